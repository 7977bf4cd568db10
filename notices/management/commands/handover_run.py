"""`manage.py handover_run RUN --by admin`: check the print files, write the mailing list and
the manifest, and mark the run handed over. Prints where the files are."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from notices.batch.cli import actor, add_run_arguments, find_run
from notices.batch.handover import hand_over, verify_files


class Command(BaseCommand):
    help = "Hand an executed issuance run over to the print vendor."

    def add_arguments(self, parser: CommandParser) -> None:
        add_run_arguments(parser)
        parser.add_argument("--dry-run", action="store_true", help="verify the files only")

    def handle(self, *args: Any, **options: Any) -> None:
        run = find_run(options)
        if options["dry_run"]:
            problems = verify_files(run)
            for problem in problems:
                self.stdout.write(problem)
            if problems:
                raise CommandError(_("Some files do not match the database."))
            self.stdout.write(_("All files match their checksums."))
            return
        try:
            result = hand_over(run=run, by=actor(options["by"]))
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(
            _("Handed over %(run)s: %(envelopes)s envelopes, files in %(dir)s")
            % {"run": result.run, "envelopes": result.envelopes, "dir": result.directory}
        )
        for file in result.files:
            self.stdout.write(f"  {file.name}  {file.size:>10}  sha256 {file.sha256}")
