"""System checks: settings that would print wrong documents fail `manage.py check` at start-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from sumida_kokuho.insurer import is_valid_insurer_number


@register()
def check_insurer_number(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    # The number is printed on every 資格確認書; a typo would reach clinics before anyone noticed.
    number = getattr(settings, "INSURER_NUMBER", "")
    if is_valid_insurer_number(number):
        return []
    return [
        Error(
            f"INSURER_NUMBER {number!r} is not a valid insurer number (保険者番号).",
            hint="Use 6 digits (8 for non-NHI insurers) whose last digit is the check digit; "
            "Sumida's NHI number is 131078.",
            obj="settings.INSURER_NUMBER",
            id="sumida_kokuho.E001",
        )
    ]
