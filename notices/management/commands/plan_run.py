"""`manage.py plan_run --period 2026-12`: assess everyone and list who is due which document.

    python manage.py plan_run --period 2026-12 --as-of 2026-11-25 --by admin
    python manage.py plan_run --period 2025-09 --kind on_demand --dry-run

Nothing is issued. Planning the same period and kind again prints the same run (`--replan`
refreshes a run nobody has approved yet). `--dry-run` plans inside a transaction that is rolled
back: counts only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from notices.batch.cli import actor, parse_day, parse_period, stdout_bar
from notices.batch.planning import compare_with_previous, plan_run
from notices.models import IssuanceRun


class _DryRun(Exception):
    pass


class Command(BaseCommand):
    help = "Plan an issuance run: who is due which document this month, and why."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument(
            "--kind", default=IssuanceRun.Kind.MONTHLY, choices=IssuanceRun.Kind.values
        )
        parser.add_argument("--as-of", help="assessment and issue day (default: today, Tokyo)")
        parser.add_argument("--by", help="user name recorded as the planner")
        parser.add_argument("--replan", action="store_true", help="refresh an unapproved run")
        parser.add_argument("--chunk-size", type=int, help="envelopes per print file")
        parser.add_argument("--dry-run", action="store_true", help="count only; keep nothing")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        bar = stdout_bar(_("Assessing"), not options["no_progress"])
        kwargs = {
            "period": parse_period(options["period"]),
            "kind": options["kind"],
            "as_of": parse_day(options["as_of"]),
            "by": actor(options["by"]),
            "replan": options["replan"],
            "chunk_size": options["chunk_size"],
            "progress": bar,
        }
        try:
            with transaction.atomic():
                result = plan_run(**kwargs)
                bar.close()
                self._summary(result.run, result.created)
                if options["dry_run"]:
                    raise _DryRun
        except _DryRun:
            self.stdout.write(_("Dry run: nothing was kept."))
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None

    def _summary(self, run: IssuanceRun, created: bool) -> None:
        if not created:
            self.stdout.write(_("This period already has a run; it is unchanged."))
        self.stdout.write(
            _("Run %(id)s %(run)s: %(assessed)s persons assessed, %(planned)s documents due.")
            % {"id": run.pk, "run": run, "assessed": run.assessed, "planned": run.planned}
        )
        for row in compare_with_previous(run):
            previous = "–" if row["previous"] is None else row["previous"]
            self.stdout.write(
                f"  {row['document']:<12} {row['reason']:<30} {row['count']:>8} "
                f"({_('last month')}: {previous})"
            )
