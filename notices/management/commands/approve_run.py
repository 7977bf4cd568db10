"""`manage.py approve_run RUN --by second_admin`: approve a planned run (four eyes)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from notices.batch.cli import actor, add_run_arguments, find_run
from notices.batch.planning import approve_run


class Command(BaseCommand):
    help = "Approve a planned issuance run (by an administrator other than the planner)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_run_arguments(parser)
        parser.add_argument("--dry-run", action="store_true", help="check only")

    def handle(self, *args: Any, **options: Any) -> None:
        run = find_run(options)
        if options["dry_run"]:
            self.stdout.write(_("Would approve %(run)s.") % {"run": run})
            return
        try:
            run = approve_run(run=run, by=actor(options["by"]))
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            _("Approved %(run)s (%(planned)s documents).") % {"run": run, "planned": run.planned}
        )
