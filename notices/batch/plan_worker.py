"""Entry points of the planning worker processes (`planning._add_items`).

Spawned processes unpickle these functions by importing this module before Django is set up,
so it imports nothing of Django or of the project at module level.
"""

from __future__ import annotations

import os
from typing import Any


def start(settings_module: str, database_name: str) -> None:
    """Set Django up on the parent's database (under the tests that is the test database,
    whatever DATABASE_URL says)."""
    import django

    if settings_module:
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    django.setup()
    from django.db import connections

    connections["default"].settings_dict["NAME"] = database_name


def plan_range(task: Any) -> Any:
    from notices.batch.planning import _plan_range

    return _plan_range(task)
