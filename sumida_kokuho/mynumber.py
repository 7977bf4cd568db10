"""Recognising a 12-digit My Number (個人番号) so that it can be refused, never kept.

The system holds no My Numbers (番号法 §20; a hashed or partial number still counts). Imports,
forms, the search box and the logging filter all use the functions here to spot one. A run of 12
digits is taken for a My Number only when its last digit is the official check digit
(平成26年総務省令第85号 第5条), which cuts false alarms on other 12-digit values (telephone
numbers, amounts) to about one in ten.

The check digit: with P(n) the n-th of the first eleven digits counted from the right (n = 1 is
the eleventh digit) and Q(n) = n + 1 for n = 1…6 and n − 5 for n = 7…11,
remainder = Σ P(n)·Q(n) mod 11, and the check digit is 0 when the remainder is 0 or 1, else
11 − remainder.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Written as people write it: 12 digits, alone or in groups of four separated by a space or a
# hyphen (after NFKC, so full-width digits, spaces and hyphens count too). Not part of a longer
# run of digits.
_CANDIDATE = re.compile(r"(?<![0-9])([0-9]{4})[ \-]?([0-9]{4})[ \-]?([0-9]{4})(?![0-9])")
_WHOLE = re.compile(r"([0-9]{4})[ \-]?([0-9]{4})[ \-]?([0-9]{4})")
# Dashes that NFKC leaves alone but people type between digit groups.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc", "-"))

REDACTED = "[redacted]"

MY_NUMBER_REFUSED = _(
    "This looks like a My Number (12 digits with a valid check digit). The system must not keep "
    "My Numbers: remove it and write the text without it."
)


def check_digit(first_eleven: str) -> int:
    """The check digit of a 個人番号 from its first 11 digits (a string of 11 ASCII digits)."""
    if len(first_eleven) != 11 or not first_eleven.isascii() or not first_eleven.isdigit():
        raise ValueError("check_digit needs exactly 11 digits")
    total = 0
    for n in range(1, 12):
        p = int(first_eleven[11 - n])
        q = n + 1 if n <= 6 else n - 5
        total += p * q
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def _normal(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text).translate(_DASHES)


def _valid(groups: tuple[str, ...]) -> bool:
    digits = "".join(groups)
    return check_digit(digits[:11]) == int(digits[11])


def is_my_number(value: str) -> bool:
    """The whole value (spaces around it aside) is a My Number: 12 digits, groups of four
    allowed, with a valid check digit."""
    match = _WHOLE.fullmatch(_normal(value).strip())
    return match is not None and _valid(match.groups())


def contains_my_number(text: str) -> bool:
    """Somewhere in `text` is a My Number (not part of a longer run of digits)."""
    if len(text) < 12:
        return False
    return any(_valid(match.groups()) for match in _CANDIDATE.finditer(_normal(text)))


def redact_my_numbers(text: str) -> str:
    """`text` with every My Number in it replaced by "[redacted]".

    Full-width text is normalised first only where a number was found, so text without one comes
    back unchanged.
    """
    if not contains_my_number(text):
        return text
    return _CANDIDATE.sub(lambda m: REDACTED if _valid(m.groups()) else m.group(0), _normal(text))


def refuse_my_number(value: object) -> None:
    """A form or model validator: refuses text that holds a My Number anywhere in it."""
    if isinstance(value, str) and contains_my_number(value):
        raise ValidationError(MY_NUMBER_REFUSED, code="my_number")
