""" "Today" for the counter pages, in one place so tests (and an "as of" page) can move it."""

from __future__ import annotations

from datetime import date

from django.utils import timezone


def today() -> date:
    """The calendar day in Asia/Tokyo. Call it as `clock.today()` so a test can replace it."""
    return timezone.localdate()
