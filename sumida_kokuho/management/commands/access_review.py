"""`manage.py access_review --month 2026-10`: the monthly access review as CSV on standard output.

The same figures and flags as the supervisors' page /staff/audit/review/ (the rule is described
in sumida_kokuho/audit.py). Without --month: last month. Exits 1 when someone is flagged with
--fail-on-flag, so a scheduled job can raise an alert.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from sumida_kokuho import csvsafe
from sumida_kokuho.audit import access_review, record
from sumida_kokuho.staff_views import (
    REVIEW_CSV_HEADER,
    last_month,
    parse_month,
    review_csv_rows,
)


class Command(BaseCommand):
    help = "Print the monthly access review (per staff member: views, changes, flags) as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--month", default="", help="Year-month, e.g. 2026-10 (default: last month)."
        )
        parser.add_argument("--language", default="ja", choices=["ja", "en"])
        parser.add_argument(
            "--fail-on-flag", action="store_true", help="Exit with status 1 if anyone is flagged."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        month = parse_month(options["month"]) if options["month"] else last_month()
        if month is None:
            raise CommandError("Give the month as YYYY-MM, e.g. 2026-10.")
        review = access_review(month)
        record(
            actor=None,
            action="export",
            object_type="sumida_kokuho.accessreview",
            detail={"month": review.month.strftime("%Y-%m"), "via": "manage.py"},
        )
        with translation.override(options["language"]):
            header = [str(title) for title in REVIEW_CSV_HEADER]
            for line in csvsafe.stream_lines(header, review_csv_rows(review), bom=False):
                self.stdout.write(line, ending="")
        if options["fail_on_flag"] and review.flagged:
            raise CommandError(f"{len(review.flagged)} staff member(s) flagged.", returncode=1)
