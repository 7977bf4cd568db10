"""`manage.py count_statistics [--as-of YYYY-MM-DD]`: count the statistics page's figures afresh
and keep them, so that the page opens at once. Run it each night (cron at 05:00, say), or leave
`--nightly 05:00` running: it counts at that local time every day (docker-compose's `stats`)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone, translation

from notices.stats import store
from notices.stats.tables import counted_tables


def next_run(now: datetime, at: clock) -> datetime:
    """The next moment at local time `at` strictly after `now` (an aware datetime)."""
    local = timezone.localtime(now)
    candidate = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if candidate <= local:
        candidate = timezone.make_aware(
            datetime.combine(candidate.date() + timedelta(days=1), at),
            timezone.get_current_timezone(),
        )
    return candidate


class Command(BaseCommand):
    help = "Count the statistics page's figures for a day (default today) and keep them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=date.fromisoformat, default=None)
        parser.add_argument(
            "--nightly",
            metavar="HH:MM",
            default=None,
            help="keep running and count every day at this local time",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["nightly"] is None:
            self.count(options["as_of"] or timezone.localdate())
            return
        try:
            at = clock.fromisoformat(options["nightly"])
        except ValueError as error:
            raise CommandError(f"--nightly wants a time such as 05:00: {error}") from error
        while True:
            wake = next_run(timezone.now(), at)
            self.stdout.write(f"next count at {wake:%Y-%m-%d %H:%M}")
            time.sleep(max(0.0, (wake - timezone.now()).total_seconds()))
            close_old_connections()
            try:
                self.count(timezone.localdate())
            except Exception as error:  # a failed night is logged; the next one tries again
                self.stderr.write(f"statistics not counted: {type(error).__name__}: {error}")

    def count(self, as_of: date) -> None:
        started = time.monotonic()
        store.forget(as_of)
        with translation.override("en"):
            tables, _counted_at = counted_tables(as_of)
        self.stdout.write(
            f"counted {len(tables)} tables for {as_of.isoformat()} "
            f"in {time.monotonic() - started:.1f} s"
        )
