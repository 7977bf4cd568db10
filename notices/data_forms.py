"""Forms of the data pages: upload a file, confirm its import, choose the statistics' day.

Forms normalise and validate; the views act.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from notices.imports import storage
from notices.models import ImportRun
from sumida_kokuho.wareki import DateParseError, parse_japanese_date


def upload_limit() -> str:
    """The upload limit as people read it ("200.0 MB", "100 bytes"), in the active language."""
    return filesizeformat(storage.max_upload_bytes())


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of file"), choices=ImportRun.Kind.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV with a header row, in UTF-8 or Shift_JIS (CP932). The columns of each kind are "
            "listed in the README."
        ),
    )

    @classmethod
    def refused(cls, message: str) -> UploadForm:
        """An empty form showing `message`: for an upload refused before its body was read."""
        form = cls()
        # An unbound form has no errors to add to; give it an empty set first.
        form._errors = ErrorDict()
        form.cleaned_data = {}
        form.add_error(None, message)
        return form

    def clean_file(self) -> Any:
        uploaded = self.cleaned_data["file"]
        if uploaded.size > storage.max_upload_bytes():
            raise forms.ValidationError(
                _("The file is larger than the limit of %(limit)s."),
                code="too_large",
                params={"limit": upload_limit()},
            )
        if uploaded.size == 0:
            raise forms.ValidationError(_("The file is empty."), code="empty")
        return uploaded


class ConfirmForm(forms.Form):
    # The checksum shown on the preview: confirming imports exactly the file that was checked.
    sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)
    good_lines = forms.BooleanField(
        label=_("Import the good lines and give back a file of the rejected ones"),
        required=False,
        help_text=_("Without this, nothing is imported while any line is wrong."),
    )


class StatisticsForm(forms.Form):
    as_of = forms.CharField(
        label=_("Figures for"),
        required=False,
        help_text=_("A day such as 2026-11-26 or R8.11.26; empty for today."),
        max_length=30,
    )

    def clean_as_of(self) -> date | None:
        text = self.cleaned_data["as_of"].strip()
        if not text:
            return None
        try:
            return parse_japanese_date(text)
        except DateParseError:
            raise forms.ValidationError(
                _("Enter a date such as 2026-11-26 or R8.11.26."), code="invalid"
            ) from None
