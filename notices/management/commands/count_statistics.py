"""`manage.py count_statistics [--as-of YYYY-MM-DD]`: count the statistics page's figures afresh
and keep them, so that the page opens at once (run it each night, e.g. from cron at 05:00)."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone, translation

from notices.stats.tables import counted_tables, forget


class Command(BaseCommand):
    help = "Count the statistics page's figures for a day (default today) and keep them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=date.fromisoformat, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = options["as_of"] or timezone.localdate()
        started = time.monotonic()
        forget(as_of)
        with translation.override("en"):
            tables, _counted_at = counted_tables(as_of)
        self.stdout.write(
            f"counted {len(tables)} tables for {as_of.isoformat()} "
            f"in {time.monotonic() - started:.1f} s"
        )
