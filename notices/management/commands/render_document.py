"""`manage.py render_document 13-100001-01 --kind certificate --out card.pdf`: reprint one document.

The person is named by 記号-番号-枝番. A 資格確認書 is the certificate in force (refused when there
is none: issue one first); a お知らせ is the latest one issued, or one as it would be issued
today. The read is audit-logged. Characters the font lacks are printed as 〓 and reported here:
such a document needs a person's review before it is handed over.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from eligibility.facts_builder import persons_for_assessment
from eligibility.models import InsuredPerson
from notices.documents import FontNotFoundError, render
from notices.documents.builders import SnapshotError, snapshot_for_person
from sumida_kokuho import audit
from sumida_kokuho.wareki import parse_japanese_date


class Command(BaseCommand):
    help = "Render one 資格確認書 or 資格情報のお知らせ of a stored person to a PDF file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("insured_number", help="記号-番号-枝番, e.g. 13-100001-01")
        parser.add_argument("--kind", required=True, choices=["certificate", "notice"])
        parser.add_argument("--out", required=True, help="the PDF file to write")
        parser.add_argument(
            "--as-of", help="the day to print for (2026-11-26 or R8.11.26); default today"
        )
        parser.add_argument(
            "--no-back",
            action="store_true",
            help="certificate front only (card stock with a pre-printed back)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        as_of = self._as_of(options["as_of"])
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(_("No such folder: %(folder)s") % {"folder": out.parent})
        refusal: SnapshotError | None = None
        with transaction.atomic():
            person = self._person(options["insured_number"])
            # Logged even when the document is refused: the record was looked at.
            audit.record(
                actor=None,
                action="print",
                obj=person,
                detail={"kind": options["kind"], "as_of": as_of.isoformat(), "via": "command"},
            )
            try:
                snapshot = snapshot_for_person(person, options["kind"], as_of)
            except SnapshotError as exc:
                refusal = exc
        if refusal is not None:
            raise CommandError(str(refusal))
        try:
            result = render(snapshot, out, certificate_backs=not options["no_back"])
        except FontNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(
                _("Cannot write %(file)s: %(error)s") % {"file": out, "error": exc.strerror}
            ) from exc
        written = ngettext(
            "Wrote %(file)s (%(pages)d page).", "Wrote %(file)s (%(pages)d pages).", result.pages
        )
        self.stdout.write(written % {"file": out, "pages": result.pages})
        if result.needs_review:
            self.stderr.write(_("Check this document before it is handed over:"))
            for flag in result.flags:
                self.stderr.write(f"  {flag}")

    def _as_of(self, text: str | None) -> Any:
        if not text:
            return timezone.localdate()
        try:
            return parse_japanese_date(text)
        except ValueError as exc:
            raise CommandError(
                _("%(value)s is not a date: %(error)s") % {"value": text, "error": exc}
            ) from exc

    def _person(self, text: str) -> InsuredPerson:
        # NFKC: full-width digits and hyphens typed at a Japanese keyboard become ASCII.
        parts = unicodedata.normalize("NFKC", text).strip().replace("ー", "-").split("-")
        if len(parts) != 3 or not all(part.isascii() and part.isdigit() for part in parts):
            raise CommandError(
                _(
                    "Give the insured number as symbol-number-branch, e.g. 13-100001-01, "
                    "not %(value)s."
                )
                % {"value": text}
            )
        symbol, number, branch = parts
        person = (
            persons_for_assessment()
            .filter(household__symbol=symbol, household__number=number, branch=branch)
            .first()
        )
        if person is None:
            raise CommandError(
                _("No insured person with the insured number %(number)s.") % {"number": text}
            )
        return person
