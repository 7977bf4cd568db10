"""和暦 (Japanese era dates): formatting and lenient parsing. Pure functions, no Django.

Eras covered: 明治 from 1873-01-01, 大正, 昭和, 平成, 令和. 明治 starts here on the day Japan
adopted the Gregorian calendar (明治6年1月1日): before it the months and days were lunisolar, so
a Gregorian date cannot be written as a 和暦 date by changing the year alone. Nobody insured by
NHI was born that early.

On the two days that belonged to two eras (1912-07-30 and 1926-12-25, the days an emperor died and
the next era began) formatting uses the new era, as official documents do; parsing accepts both
spellings, since both are historically right. 平成 ended on 2019-04-30 (no such day shift), so
平成31年5月1日 and 平成32年 are rejected.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime


class DateParseError(ValueError):
    """A date that cannot be read; `code` lets a form show its own translated message."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Era:
    name: str  # 令和
    romaji: str  # Reiwa
    letter: str  # R (the one-letter abbreviation used on forms: R7.9.30)
    year_one: int  # the Gregorian year of 元年
    first_day: date  # the first day this module writes in the era
    last_day: date | None  # None: the current era

    def year_of(self, day: date) -> int:
        return day.year - self.year_one + 1


# Oldest first. last_day of an era is the first_day of the next where the two eras share a day.
ERAS: tuple[Era, ...] = (
    Era("明治", "Meiji", "M", 1868, date(1873, 1, 1), date(1912, 7, 30)),
    Era("大正", "Taisho", "T", 1912, date(1912, 7, 30), date(1926, 12, 25)),
    Era("昭和", "Showa", "S", 1926, date(1926, 12, 25), date(1989, 1, 7)),
    Era("平成", "Heisei", "H", 1989, date(1989, 1, 8), date(2019, 4, 30)),
    Era("令和", "Reiwa", "R", 2019, date(2019, 5, 1), None),
)
_BY_NAME = {era.name: era for era in ERAS}
_BY_LETTER = {era.letter: era for era in ERAS}

_MONTHS_EN = tuple(
    "January February March April May June July August September October November December".split()
)


def era_of(day: date) -> Era:
    """The era a date is written in: the newest era that had begun by that day."""
    _require_date(day)
    for era in reversed(ERAS):
        if day >= era.first_day:
            return era
    raise ValueError(
        f"{day.isoformat()} is before 1873-01-01; earlier dates used the lunisolar calendar "
        "and cannot be written in 和暦 here."
    )


def to_wareki(day: date, *, seireki: bool = False) -> str:
    """令和7年9月30日; the first year of an era is 元年; with seireki, 令和7年9月30日（2025年）."""
    era = era_of(day)
    year = era.year_of(day)
    text = f"{era.name}{'元' if year == 1 else year}年{day.month}月{day.day}日"
    if seireki:
        text += f"（{day.year}年）"
    return text


def to_wareki_en(day: date) -> str:
    """30 September 2025 (Reiwa 7): the Gregorian date first, the era year alongside."""
    era = era_of(day)
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year} ({era.romaji} {era.year_of(day)})"


def format_date_en(day: date) -> str:
    """30 September 2025."""
    _require_date(day)
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


_NUM = r"(\d{1,4})"
_SEP = r"\s*[-/.]\s*"
_WESTERN = re.compile(rf"^(\d{{4}}){_SEP}{_NUM}{_SEP}{_NUM}$")
_WESTERN_KANJI = re.compile(rf"^(\d{{4}})\s*年\s*{_NUM}\s*月\s*{_NUM}\s*日$")
# Era written as one Latin letter (S31.4.1) or a name (昭和31年4月1日, 昭和31.4.1); 元 is year 1.
_ERA_DATE = re.compile(
    r"^(?P<era>[A-Za-z]|[^\W\d_]+?)\s*(?P<year>\d{1,3}|元)\s*"
    r"(?:年\s*(?P<m1>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*日"
    r"|[-/.]\s*(?P<m2>\d{1,2})\s*[-/.]\s*(?P<d2>\d{1,2}))$"
)
# 令和7年9月30日（2025年）, as to_wareki(seireki=True) writes it: the Gregorian year must agree.
_SEIREKI_SUFFIX = re.compile(r"^(?P<body>.*?)\s*\(\s*(?P<year>\d{4})\s*年?\s*\)$")

_EXAMPLES = "1956-04-01, 1956/4/1, S31.4.1 or 昭和31年4月1日"


def parse_japanese_date(text: str) -> date:
    """Read a date written in 西暦 or 和暦, half or full width.

    Raises DateParseError (a ValueError) whose message says what is wrong and whose `code` is one
    of empty, unreadable, no_such_day, unknown_era, outside_era, before_gregorian, inconsistent.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected text, got {type(text).__name__}")
    # NFKC turns full-width digits, letters and punctuation (Ｓ３１．４．１, （）) into ASCII.
    normal = unicodedata.normalize("NFKC", text).strip()
    if not normal:
        raise DateParseError("No date given.", code="empty")

    stated_year = None
    suffix = _SEIREKI_SUFFIX.match(normal)
    if suffix:
        normal, stated_year = suffix["body"], int(suffix["year"])

    if match := _WESTERN.match(normal) or _WESTERN_KANJI.match(normal):
        day = _make_date(int(match[1]), int(match[2]), int(match[3]), text)
    elif match := _ERA_DATE.match(normal):
        day = _era_date(match, text)
    else:
        raise DateParseError(
            f"{text!r} is not a date we can read. Write it like {_EXAMPLES}.", code="unreadable"
        )

    if stated_year is not None and stated_year != day.year:
        raise DateParseError(
            f"{text!r} disagrees with itself: "
            f"{to_wareki(day)} is in {day.year}, not {stated_year}.",
            code="inconsistent",
        )
    return day


# A month: 2026-12, 2026/12, 2026年12月, R8.12, 令和8年12月 (full width too); a whole date is read
# as its month.
_WESTERN_MONTH = re.compile(r"^(\d{4})\s*(?:[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月)$")
_ERA_MONTH = re.compile(r"^(\D+?)\s*(\d{1,3}|元)\s*(?:[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月)$")


def parse_month(text: str) -> date:
    """The first day of the month written in 西暦 or 和暦; DateParseError if it cannot be read."""
    normal = unicodedata.normalize("NFKC", text).strip()
    if match := _WESTERN_MONTH.match(normal):
        return parse_japanese_date(f"{match[1]}-{match[2] or match[3]}-1")
    if match := _ERA_MONTH.match(normal):
        return parse_japanese_date(f"{match[1]}{match[2]}年{match[3] or match[4]}月1日")
    return parse_japanese_date(normal).replace(day=1)


def _era_date(match: re.Match[str], text: str) -> date:
    label = match["era"]
    era = _BY_LETTER.get(label.upper()) if len(label) == 1 and label.isascii() else None
    era = era or _BY_NAME.get(label)
    if era is None:
        known = ", ".join(f"{e.name} ({e.letter})" for e in ERAS)
        raise DateParseError(
            f"Unknown era {label!r} in {text!r}. Known eras: {known}.", code="unknown_era"
        )
    year = 1 if match["year"] == "元" else int(match["year"])
    if year < 1:
        raise DateParseError(
            f"{era.name}{year}年 does not exist: era years start at 1 (元年).", code="outside_era"
        )
    month = int(match["m1"] or match["m2"])
    day_of_month = int(match["d1"] or match["d2"])
    day = _make_date(era.year_one + year - 1, month, day_of_month, text)
    if day < ERAS[0].first_day:
        raise DateParseError(
            f"{text!r} is before 1873-01-01, when Japan adopted the Gregorian calendar; "
            "earlier 和暦 dates cannot be converted here.",
            code="before_gregorian",
        )
    if day < era.first_day or (era.last_day is not None and day > era.last_day):
        end = f" to {era.last_day.isoformat()}" if era.last_day else " onwards"
        raise DateParseError(
            f"{text!r} is outside the {era.name} era, which runs from "
            f"{era.first_day.isoformat()}{end}.",
            code="outside_era",
        )
    return day


def _make_date(year: int, month: int, day: int, text: str) -> date:
    if not 1 <= month <= 12:
        raise DateParseError(
            f"{text!r} is not a real date: there is no month {month}.", code="no_such_day"
        )
    if not 1 <= year <= 9999:
        raise DateParseError(
            f"{text!r} is not a real date: year {year} is out of range.", code="no_such_day"
        )
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise DateParseError(
            f"{text!r} is not a real date: {_MONTHS_EN[month - 1]} {year} has days 1 to {last}.",
            code="no_such_day",
        )
    return date(year, month, day)


def _require_date(day: object) -> None:
    # A datetime is a date too, but its calendar day depends on the time zone: convert it first.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(
            f"expected a date, got {type(day).__name__}; convert instants with localdate() first"
        )
