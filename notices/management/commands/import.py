"""`manage.py import KIND FILE`: check a data file from the core systems and import it.

    python manage.py import master docs/samples/master.csv
    python manage.py import myna_status status.csv --dry-run
    python manage.py import income income.csv --commit-good-lines --rejects rejected.csv

All or nothing by default: one bad line and nothing is imported (exit status 1, every bad line
listed). `--commit-good-lines` imports the good lines and writes the rejected ones to a file.
The columns of each kind are in the README ("Data files (imports)").
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from notices.imports.engine import KIND_ALIASES, KINDS, import_file
from notices.imports.errors import LineError
from notices.models import ImportRun
from sumida_kokuho.wareki import DateParseError, parse_japanese_date


class Command(BaseCommand):
    help = (
        "Import a data file from the ward's core systems (KIND: master, myna_status, income). "
        "Nothing is imported if any line is bad, unless --commit-good-lines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=[*KINDS, *KIND_ALIASES], help="kind of file")
        parser.add_argument("file", help="the CSV file (UTF-8 or Shift_JIS/CP932, header row)")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file only; import nothing"
        )
        parser.add_argument(
            "--commit-good-lines",
            action="store_true",
            help="import the good lines even if some are bad, and return the bad ones",
        )
        parser.add_argument(
            "--rejects", help="with --commit-good-lines: copy the rejected lines to this file"
        )
        parser.add_argument(
            "--as-of", help="the run's today (2026-11-26 or R8.11.26); default today in Tokyo"
        )
        parser.add_argument("--by", help="user name recorded as the importer (default: none)")
        parser.add_argument(
            "--max-errors",
            type=int,
            default=200,
            help="errors to print (default 200; the run's report file has them all)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress lines")
        parser.add_argument("--language", default="ja", choices=["ja", "en"])

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(options["language"]):
            self._handle(options)

    def _handle(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(file)s") % {"file": path})
        as_of = None
        if options["as_of"]:
            try:
                as_of = parse_japanese_date(options["as_of"])
            except DateParseError as error:
                raise CommandError(str(error)) from None
        by = None
        if options["by"]:
            by = get_user_model()._default_manager.filter(username=options["by"]).first()
            if by is None:
                raise CommandError(_("No user named %(name)s.") % {"name": options["by"]})
        mode = (
            ImportRun.Mode.GOOD_LINES
            if options["commit_good_lines"]
            else ImportRun.Mode.ALL_OR_NOTHING
        )
        progress = None if options["no_progress"] else _Progress(self.stderr)
        run = import_file(
            options["kind"],
            path,
            by=by,
            mode=mode,
            dry_run=options["dry_run"],
            as_of=as_of,
            progress=progress,
        )
        if progress is not None:
            progress.done()
        self._summary(run, options["max_errors"])
        if run.rejects_file and options["rejects"]:
            shutil.copyfile(run.rejects_file, options["rejects"])
            self.stdout.write(
                _("Rejected lines written to %(file)s") % {"file": options["rejects"]}
            )
        elif run.rejects_file:
            self.stdout.write(_("Rejected lines: %(file)s") % {"file": run.rejects_file})
        if run.status in (ImportRun.Status.REJECTED, ImportRun.Status.FAILED):
            raise CommandError(run.get_status_display())
        if run.status == ImportRun.Status.CHECKED and run.error_count:
            raise CommandError(_("The file has errors."))

    def _summary(self, run: ImportRun, max_errors: int) -> None:
        write = self.stdout.write
        write(
            _("%(file)s: %(kind)s, %(encoding)s, %(lines)s data lines (run %(id)s)")
            % {
                "file": run.file_name,
                "kind": run.get_kind_display(),
                "encoding": run.encoding,
                "lines": f"{run.lines:,}",
                "id": run.pk,
            }
        )
        errors = [LineError.from_json(data) for data in run.errors][:max_errors]
        for error in errors:
            write(
                _("line %(line)s%(column)s: %(category)s: %(reason)s")
                % {
                    "line": error.line,
                    "column": f" [{error.column}]" if error.column else "",
                    "category": error.category_label,
                    "reason": error.message,
                }
            )
        if run.error_count > len(errors):
            write(
                _("… and %(more)s more errors: %(file)s")
                % {"more": f"{run.error_count - len(errors):,}", "file": run.report_file}
            )
        if run.message:
            write(run.message)
        write(
            _(
                "created %(created)s, updated %(updated)s, unchanged %(unchanged)s, "
                "rejected %(rejected)s"
            )
            % {
                "created": f"{run.created:,}",
                "updated": f"{run.updated:,}",
                "unchanged": f"{run.unchanged:,}",
                "rejected": f"{run.rejected:,}",
            }
        )
        style = (
            self.style.SUCCESS
            if run.status in (ImportRun.Status.COMMITTED, ImportRun.Status.CHECKED)
            else self.style.WARNING
        )
        write(style(str(run.get_status_display())))


class _Progress:
    """Progress on standard error: one updating line on a terminal, a line per 10% otherwise."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self.phase = ""
        self.last_tenth = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            if self.tty and self.phase:
                self.stream.write("")
            self.phase, self.started, self.last_tenth = phase, time.monotonic(), -1
        elapsed = max(time.monotonic() - self.started, 1e-6)
        percent = 100 * done // total if total else 100
        label = _("checking") if phase == "checking" else _("importing")
        text = _("%(phase)s: %(done)s / %(total)s lines (%(percent)s%%), %(rate)s lines/s") % {
            "phase": label,
            "done": f"{done:,}",
            "total": f"{total:,}",
            "percent": percent,
            "rate": f"{done / elapsed:,.0f}",
        }
        if self.tty:
            self.stream.write(f"\r{text}", ending="")
            self.stream.flush()
        elif percent // 10 != self.last_tenth:
            self.last_tenth = percent // 10
            self.stream.write(text)

    def done(self) -> None:
        if self.tty and self.phase:
            self.stream.write("")
