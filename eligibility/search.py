"""Finding insured persons from what a clerk types: 記号・番号・枝番, a name, a birth date.

Two layers: `parse_query` reads the text (pure, no database) and `search_persons` turns the
reading into one indexed query. Names are matched on copies normalised by `normalise_kana`
(`InsuredPerson.name_search`, `.name_kanji_search`), so ｽﾐﾀﾞ, すみだ, スミダ and "スミダ　タロウ"
all find スミダ タロウ by prefix. The columns are filled by `InsuredPerson.save()`; code that
writes persons with bulk_create or COPY must fill them with `search_columns_for`.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import jaconv
from django.db.models import Q, QuerySet

from eligibility.models import SEARCH_COLUMN_LENGTH, InsuredPerson
from sumida_kokuho.wareki import DateParseError, parse_japanese_date

# The person fields the search columns are computed from (save() refreshes the columns whenever
# one of them is saved).
SEARCH_SOURCE_FIELDS = frozenset(
    {"family_name", "given_name", "family_name_kana", "given_name_kana"}
)

# Spaces of both widths and the middle dots that separate parts of foreign names (スミス・ジョン).
_NAME_SEPARATORS = re.compile(r"[\s・]+")
# Full-width katakana, the long vowel mark and the iteration marks: what a reading is made of.
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc\u30fd\u30fe]+")
# Hyphens people type between 記号, 番号 and 枝番 (after NFKC): ASCII, Unicode dashes, minus,
# and the katakana long vowel mark an IME produces for "-" in kana mode.
_DASH = r"\-\u2010-\u2015\u2212\u30fc"
_INSURED_NUMBER = re.compile(
    rf"(?P<symbol>[0-9]+)\s*[{_DASH}\s]\s*(?P<number>[0-9]+)"
    rf"(?:\s*[{_DASH}\s]\s*(?P<branch>[0-9]{{1,2}}))?"
)
_DIGITS_ONLY = re.compile(r"[0-9]+")
# A My Number as people write it: 12 digits, alone or in groups of four (1234 5678 9012). It is
# never searched for and never reaches the trail. An insured number never has that shape: its
# 枝番 has 2 digits.
_MY_NUMBER_LIKE = re.compile(
    rf"(?<![0-9])(?:[0-9]{{12}}|[0-9]{{4}}[\s{_DASH}][0-9]{{4}}[\s{_DASH}][0-9]{{4}})(?![0-9])"
)


class QueryKind(enum.StrEnum):
    EMPTY = "empty"
    MY_NUMBER = "my_number"  # refused: the system holds no My Numbers
    INSURED_NUMBER = "insured_number"
    BIRTH_DATE = "birth_date"
    KANA = "kana"
    NAME = "name"  # kanji (or romaji) name


@dataclass(frozen=True)
class ParsedQuery:
    """What a search text asks for. Empty strings and None mean "not asked"."""

    kind: QueryKind
    symbol: str = ""
    number: str = ""
    branch: str = ""
    birth_date: date | None = None
    name_kana: str = ""
    name: str = ""

    @property
    def searchable(self) -> bool:
        return self.kind not in (QueryKind.EMPTY, QueryKind.MY_NUMBER)


@dataclass(frozen=True)
class SearchResult:
    query: ParsedQuery
    persons: list[InsuredPerson]
    has_more: bool  # more than `limit` persons matched: the clerk should narrow the search


# --- normalisation (pure) ------------------------------------------------------------------------


def normalise_kana(text: str) -> str:
    """The form readings are compared in: katakana, full width, no spaces or middle dots.

    Half-width katakana become full width (ｽﾐﾀﾞ → スミダ) and hiragana become katakana (すみだ →
    スミダ) with jaconv; NFKC then folds full-width letters and digits to ASCII. The long vowel
    mark ー is kept: スズキ and スズーキ are different names.
    """
    text = jaconv.h2z(text, kana=True, ascii=False, digit=False)
    text = jaconv.hira2kata(text)
    text = unicodedata.normalize("NFKC", text)
    return _NAME_SEPARATORS.sub("", text)


def normalise_name(text: str) -> str:
    """The form names (kanji, kana or romaji) are compared in: as `normalise_kana`, case-folded."""
    return normalise_kana(text).casefold()


def search_columns_for(person: Any) -> dict[str, str]:
    """The search columns of a person (anything with the four name attributes).

    For code that bypasses `InsuredPerson.save()`:
    `InsuredPerson(**fields, **search_columns_for(SimpleNamespace(**fields)))`.
    """
    return {
        "name_search": normalise_kana(f"{person.family_name_kana}{person.given_name_kana}")[
            :SEARCH_COLUMN_LENGTH
        ],
        "name_kanji_search": normalise_name(f"{person.family_name}{person.given_name}")[
            :SEARCH_COLUMN_LENGTH
        ],
    }


def redact_query(text: str) -> str:
    """The query as it may be written to the audit trail: 12-digit runs (My Numbers) removed."""
    return _MY_NUMBER_LIKE.sub("[redacted]", unicodedata.normalize("NFKC", text))


def _as_date(text: str) -> date | None:
    try:
        return parse_japanese_date(text)
    except DateParseError:
        return None


def _name_query(text: str, birth_date: date | None = None) -> ParsedQuery:
    kana = normalise_kana(text)
    if _KATAKANA.fullmatch(kana):
        return ParsedQuery(kind=QueryKind.KANA, name_kana=kana, birth_date=birth_date)
    return ParsedQuery(kind=QueryKind.NAME, name=normalise_name(text), birth_date=birth_date)


def _name_and_date(tokens: list[str]) -> ParsedQuery | None:
    """ "スミダ タロウ S31.4.1" or "S31.4.1 スミダ": a date at either end, a name in the rest."""
    for cut in range(1, len(tokens)):
        head, tail = " ".join(tokens[:cut]), " ".join(tokens[cut:])
        if (day := _as_date(tail)) is not None:
            return _name_query(head, day)
        if (day := _as_date(head)) is not None:
            return _name_query(tail, day)
    return None


def parse_query(text: str) -> ParsedQuery:
    """Read a search text. Tried in this order, on the NFKC form (full width → half width):

    1. 12 digits, alone or as 4-4-4: a My Number → refused (kind MY_NUMBER);
    2. a date in any form `parse_japanese_date` reads (1956-04-01, S31.4.1, 昭和31年4月1日);
    3. 記号-番号 or 記号-番号-枝番 (any dash or a space between), or digits alone (番号);
    4. a name with a date at either end (スミダ タロウ S31.4.1);
    5. a name: kana when it is all kana after `normalise_kana`, else kanji/romaji.
    """
    normal = unicodedata.normalize("NFKC", text).strip()
    if not normal:
        return ParsedQuery(kind=QueryKind.EMPTY)
    if _MY_NUMBER_LIKE.fullmatch(normal):
        return ParsedQuery(kind=QueryKind.MY_NUMBER)
    if (day := _as_date(normal)) is not None:
        return ParsedQuery(kind=QueryKind.BIRTH_DATE, birth_date=day)
    if match := _INSURED_NUMBER.fullmatch(normal):
        branch = match["branch"]
        return ParsedQuery(
            kind=QueryKind.INSURED_NUMBER,
            symbol=match["symbol"],
            number=match["number"],
            branch=branch.zfill(2) if branch else "",
        )
    if _DIGITS_ONLY.fullmatch(normal):
        return ParsedQuery(kind=QueryKind.INSURED_NUMBER, number=normal)
    tokens = normal.split()
    if len(tokens) > 1 and (combined := _name_and_date(tokens)) is not None:
        return combined
    return _name_query(normal)


# --- querying ------------------------------------------------------------------------------------


def persons_matching(query: ParsedQuery) -> QuerySet[InsuredPerson]:
    """Unordered and unsliced, with the household joined: every condition is on an index.

    No ORDER BY on purpose: sorting every match of a short prefix would defeat the LIMIT, while
    without it PostgreSQL stops reading the prefix index after `limit` rows.
    """
    persons = InsuredPerson.objects.select_related("household").order_by()
    if not query.searchable:
        return persons.none()
    condition = Q()
    if query.symbol:
        condition &= Q(household__symbol=query.symbol)
    if query.number:
        condition &= Q(household__number=query.number)
    if query.branch:
        condition &= Q(branch=query.branch)
    if query.birth_date is not None:
        condition &= Q(birth_date=query.birth_date)
    if query.name_kana:
        condition &= Q(name_search__startswith=query.name_kana)
    if query.name:
        condition &= Q(name_kanji_search__startswith=query.name)
    return persons.filter(condition)


def _display_order(person: InsuredPerson) -> tuple[str, date, str, str, str]:
    household = person.household
    return (
        person.name_search,
        person.birth_date,
        household.symbol,
        household.number,
        person.branch,
    )


# What a results list shows; only these columns are read, which halves the time spent building
# rows (timestamps are slow to convert). Any other field loads lazily, one query per person: use
# `persons_matching` directly for a list that shows more.
RESULT_FIELDS = (
    "household_id",
    "branch",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "name_search",
    "household__symbol",
    "household__number",
    "household__postal_code",
    "household__address",
)


def search_persons(query: str, *, limit: int = 50) -> SearchResult:
    """At most `limit` persons matching `query` (one database query), in kana order, with their
    households; the fields loaded are RESULT_FIELDS."""
    parsed = parse_query(query)
    rows = list(persons_matching(parsed).only(*RESULT_FIELDS)[: limit + 1])
    persons = sorted(rows[:limit], key=_display_order)
    return SearchResult(query=parsed, persons=persons, has_more=len(rows) > limit)
