"""Form fields of the counter: dates in 西暦 or 和暦, postal codes, address lines.

They normalise what clerks type (full width → half width, 和暦 → `date`) and say what is wrong
in the words of the field (research/ux.md: "Enter the date of the move", not "This field is
required"), so every message names the field it belongs to.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from sumida_kokuho.wareki import DateParseError, parse_japanese_date

MAX_LENGTH = 40  # longer than any date written out: 令和7年3月1日（2025年）
DATE_HINT = _("For example 2025-03-01, R7.3.1 or 令和7年3月1日.")

# What parse_japanese_date's codes mean to a clerk; {noun} is the field ("the date of the move").
_DATE_MESSAGES: dict[str, Any] = {
    "required": _("Enter {noun}."),
    "unreadable": _("Enter {noun} like 2025-03-01, R7.3.1 or 令和7年3月1日."),
    "no_such_day": _("{Noun} is not a real day: check the month and the day."),
    "unknown_era": _(
        "{Noun} names an era we do not know: use 令和 (R), 平成 (H), 昭和 (S), 大正 (T) "
        "or 明治 (M)."
    ),
    "outside_era": _(
        "{Noun} is not in that era: check the era and the year (令和 began on 1 May 2019)."
    ),
    "before_gregorian": _("{Noun} is before 1873: such dates cannot be used."),
    "inconsistent": _("{Noun}: the Western year in brackets does not match the era year."),
}


class JapaneseDateField(forms.CharField):
    """A date typed in 西暦 or 和暦, full or half width: 2025-03-01, R7.3.1, 令和7年3月1日.

    `noun` is how the messages name the field ("the date of the move"); it defaults to the label.
    """

    def __init__(self, *, noun: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", DATE_HINT)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "off", "maxlength": MAX_LENGTH})
        )
        super().__init__(**kwargs)
        self.noun = noun if noun is not None else self.label
        self.error_messages["required"] = self._message("required")

    def _message(self, code: str) -> Any:
        return format_lazy(_DATE_MESSAGES[code], noun=self.noun, Noun=_Capitalised(self.noun))

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > MAX_LENGTH:
            raise ValidationError(self._message("unreadable"), code="unreadable")
        try:
            return parse_japanese_date(text)
        except DateParseError as error:
            code = error.code if error.code in _DATE_MESSAGES else "unreadable"
            raise ValidationError(self._message(code), code=code) from None

    def prepare_value(self, value: Any) -> Any:
        # A cleaned date shows as ISO when a form is shown again with its initial values.
        return value.isoformat() if isinstance(value, date) else value


class _Capitalised:
    """`noun` with its first letter capitalised when rendered (for a sentence start in English;
    Japanese text is unchanged)."""

    def __init__(self, noun: Any) -> None:
        self.noun = noun

    def __str__(self) -> str:
        return capfirst(str(self.noun)) or ""


def half_width_digits(text: str) -> str:
    """Full-width digits and hyphens to ASCII; everything else (kanji, kana, spaces) unchanged.

    Not NFKC: that would also rewrite compatibility characters in building names (research/ux.md
    §5.5); only what clerks type in the wrong input mode is normalised.
    """
    return text.translate(_HALF_WIDTH)


_HALF_WIDTH = {
    **{0xFF10 + n: ord("0") + n for n in range(10)},  # ０–９
    0xFF0D: ord("-"),  # － FULLWIDTH HYPHEN-MINUS
    0x2212: ord("-"),  # − MINUS SIGN
    0x2010: ord("-"),  # ‐ HYPHEN
}


class PostalCodeField(forms.CharField):
    """〒 as typed (1300001, 130-0001, 〒１３０－０００１) → "130-0001"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "postal-code", "size": "10"}
            ),
        )
        kwargs.setdefault("error_messages", {"required": _("Enter the postal code.")})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = unicodedata.normalize("NFKC", super().to_python(value))
        if not text:
            return ""
        # Every non-digit goes (〒, hyphens of any kind, spaces): NFKC keeps ー and − as they are.
        digits = re.sub(r"[^0-9]", "", text)
        if len(digits) != 7:
            raise ValidationError(
                _("Enter the postal code as 7 digits, like 130-0001."), code="invalid"
            )
        return f"{digits[:3]}-{digits[3:]}"


class AddressField(forms.CharField):
    """One address line; full-width digits and hyphens become half width, spaces are tidied."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "street-address", "size": "50"})
        )
        kwargs.setdefault("error_messages", {"required": _("Enter the new address.")})
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        text = half_width_digits(super().to_python(value))
        return re.sub(r"[ \u3000]{2,}", " ", text)
