"""Reading one value of a file: dates (ISO or 和暦), digits, amounts, codes, kana, ids.

Each reader returns the clean value or raises `Bad` with an error code of `errors.REASONS`; the
row readers turn that into a LineError naming the line and the column. Values are normalised as
forms do it: full-width digits and letters become half width (NFKC), half-width katakana full
width.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

import jaconv

from sumida_kokuho.wareki import DateParseError, parse_japanese_date


class Bad(Exception):
    """A value that cannot be used; `code` is a key of errors.REASONS."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_BRANCH = re.compile(r"[0-9]{2}")
_POSTAL = re.compile(r"〒?\s*([0-9]{3})-?([0-9]{4})")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\u30fd\u30fe \u3000]+")
_INSURED_NUMBER = re.compile(r"([0-9]{1,20})-([0-9]{1,20})-([0-9]{2})")
_AMOUNT = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+")
_ERA_YEAR = re.compile(
    r"(?P<era>[A-Za-z]|明治|大正|昭和|平成|令和)\s*(?P<year>[0-9]{1,2}|元)\s*年?度?"
)
_WESTERN_YEAR = re.compile(r"([0-9]{4})\s*年?度?")
# Hyphens people type between 記号, 番号 and 枝番 (after NFKC): ASCII, Unicode dashes, minus.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc", "-"))

_DATE_CODES = {
    "empty": "required",
    "unreadable": "date_unreadable",
    "no_such_day": "date_no_such_day",
    "unknown_era": "date_unknown_era",
    "outside_era": "date_outside_era",
    "before_gregorian": "date_before_gregorian",
    "inconsistent": "date_inconsistent",
}
_ERA_FIRST_YEAR = {"M": 1868, "T": 1912, "S": 1926, "H": 1989, "R": 2019}
_ERA_LETTER = {"明治": "M", "大正": "T", "昭和": "S", "平成": "H", "令和": "R"}


def half_width(value: str) -> str:
    """Full-width digits, letters and punctuation to ASCII; plain ASCII passes untouched."""
    return value.strip() if value.isascii() else unicodedata.normalize("NFKC", value).strip()


def text(value: str, *, limit: int, required: bool = True) -> str:
    value = value.strip()
    if not value:
        if required:
            raise Bad("required")
        return ""
    if len(value) > limit:
        raise Bad("too_long", limit=limit)
    return value


def read_date(value: str, *, required: bool = True) -> date | None:
    """2025-09-30, 2025/9/30, R7.9.30, 令和7年9月30日 (full width too); empty -> None if allowed."""
    value = value.strip()
    if not value:
        if required:
            raise Bad("required")
        return None
    if len(value) == 10 and _ISO_DATE.fullmatch(value):  # the usual form, read directly
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise Bad("date_no_such_day") from None
    try:
        return parse_japanese_date(value)
    except DateParseError as error:
        raise Bad(_DATE_CODES.get(error.code, "date_unreadable")) from None


def digits(value: str, *, limit: int) -> str:
    value = half_width(value)
    if not value:
        raise Bad("required")
    if not (value.isascii() and value.isdigit()):
        raise Bad("digits")
    if len(value) > limit:
        raise Bad("too_long", limit=limit)
    return value


def branch(value: str, *, required: bool = True) -> str:
    value = half_width(value)
    if not value:
        if required:
            raise Bad("required")
        return ""
    if len(value) == 1 and value.isdigit():
        value = f"0{value}"  # spreadsheets drop the leading zero of 01
    if not _BRANCH.fullmatch(value):
        raise Bad("branch")
    return value


def postal_code(value: str) -> str:
    value = half_width(value)
    if not value:
        raise Bad("required")
    match = _POSTAL.fullmatch(value)
    if match is None:
        raise Bad("postal_code")
    return f"{match[1]}-{match[2]}"


def kana(value: str, *, limit: int) -> str:
    """A reading in full-width katakana; half-width katakana is widened first."""
    value = value.strip()
    if not value:
        raise Bad("required")
    if not _KATAKANA.fullmatch(value):
        # Half-width katakana (ｽﾐﾀﾞ) is widened; anything else is not a reading.
        value = jaconv.h2z(value, kana=True, ascii=False, digit=False)
        if not _KATAKANA.fullmatch(value):
            raise Bad("kana")
    if len(value) > limit:
        raise Bad("too_long", limit=limit)
    return value


def choice(value: str, options: dict[str, str], *, required: bool = True) -> str:
    """The code for `value`: `options` maps every accepted spelling (lower case) to a code."""
    code = options.get(value)
    if code is not None:  # the usual case: the code itself, as written
        return code
    key = half_width(value).lower()
    if not key:
        if required:
            raise Bad("required")
        return ""
    try:
        return options[key]
    except KeyError:
        shown = ", ".join(sorted({k for k in options if k.isascii()}))
        raise Bad("choice", choices=shown) from None


def amount(value: str) -> int:
    """Whole yen: 1450000, 1,450,000 or 1,450,000円."""
    value = half_width(value).removesuffix("円").strip()
    if not value:
        raise Bad("required")
    if not _AMOUNT.fullmatch(value):
        raise Bad("amount")
    number = int(value.replace(",", ""))
    if number >= 10**15:  # a yen amount that large is a typo, and would not fit the column
        raise Bad("amount")
    return number


def fiscal_year(value: str) -> int:
    """2026, 2026年度, R8, 令和8年度, 令和元年度."""
    value = half_width(value)
    if not value:
        raise Bad("required")
    if match := _WESTERN_YEAR.fullmatch(value):
        year = int(match[1])
    elif match := _ERA_YEAR.fullmatch(value):
        letter = _ERA_LETTER.get(match["era"], match["era"].upper())
        if letter not in _ERA_FIRST_YEAR:
            raise Bad("fiscal_year")
        number = 1 if match["year"] == "元" else int(match["year"])
        year = _ERA_FIRST_YEAR[letter] + number - 1
    else:
        raise Bad("fiscal_year")
    if not 2000 <= year <= 2100:
        raise Bad("fiscal_year")
    return year


def insured_number(value: str) -> tuple[str, str, str]:
    """記号-番号-枝番 as (symbol, number, branch)."""
    value = half_width(value).translate(_DASHES)
    if not value:
        raise Bad("required")
    match = _INSURED_NUMBER.fullmatch(value.replace(" ", ""))
    if match is None:
        raise Bad("insured_number")
    return match[1], match[2], match[3]


def flag(value: str, *, required: bool = True) -> bool | None:
    """Yes/no: 1/0, yes/no, true/false, 有/無, 済/未, あり/なし, ○/×."""
    key = half_width(value).lower()
    if not key:
        if required:
            raise Bad("required")
        return None
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise Bad("choice", choices="0, 1")


_TRUE = frozenset({"1", "yes", "y", "true", "t", "有", "済", "あり", "○", "◯", "登録", "登録済"})
_FALSE = frozenset({"0", "no", "n", "false", "f", "無", "未", "なし", "×", "未登録"})
