"""`manage.py assess FILE|-` and `manage.py assess --person ID --as-of DATE`.

Prints the result JSON and exits 0, or prints the errors JSON and exits 2 (shared ASSESS_API.md).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from eligibility.assess_api import assess_payload, has_errors
from sumida_kokuho.wareki import parse_japanese_date

EXIT_BAD_INPUT = 2


class Command(BaseCommand):
    help = "Assess one person (or a list) from a JSON file, standard input, or the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", help="JSON request file, or - for standard input")
        parser.add_argument("--person", type=int, help="assess a stored insured person (id)")
        parser.add_argument(
            "--as-of",
            help="assessment date for --person (2026-11-26 or R8.11.26); "
            "default today in Asia/Tokyo",
        )
        parser.add_argument(
            "--language",
            default="ja",
            choices=["ja", "en"],
            help="language of the explanation (default ja)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["person"] is not None:
            answer = self._stored_person(options["person"], options["as_of"], options["language"])
        elif options["file"]:
            answer = assess_payload(self._read(options["file"]), options["language"])
        else:
            raise CommandError(_("Give a JSON FILE (or - for standard input) or --person ID."))
        self.stdout.write(json.dumps(answer, ensure_ascii=False, indent=1))
        if has_errors(answer):
            sys.exit(EXIT_BAD_INPUT)

    def _read(self, name: str) -> Any:
        try:
            text = sys.stdin.read() if name == "-" else open(name, encoding="utf-8").read()  # noqa: SIM115
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": name, "error": exc.strerror}
            ) from exc
        except UnicodeDecodeError as exc:
            self._fail("request", _("The file is not UTF-8 text."))
            raise AssertionError from exc  # not reached
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            self._fail(
                "request",
                _("Not valid JSON: %(error)s (line %(line)d, column %(col)d).")
                % {"error": exc.msg, "line": exc.lineno, "col": exc.colno},
            )

    def _fail(self, field: str, message: str) -> None:
        self.stdout.write(
            json.dumps(
                {"errors": [{"field": field, "message": message}]}, ensure_ascii=False, indent=1
            )
        )
        sys.exit(EXIT_BAD_INPUT)

    def _stored_person(self, person_id: int, as_of_text: str | None, language: str) -> Any:
        from eligibility.stored import assess_stored_person

        if as_of_text:
            try:
                as_of = parse_japanese_date(as_of_text)
            except ValueError as exc:
                self._fail(
                    "as_of",
                    _("%(value)s is not a date: %(error)s") % {"value": as_of_text, "error": exc},
                )
        else:
            as_of = timezone.localdate()
        answer = assess_stored_person(person_id, as_of, language, via="command")
        if answer is None:
            raise CommandError(_("No insured person with id %(id)s.") % {"id": person_id})
        return answer
