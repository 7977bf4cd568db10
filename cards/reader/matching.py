"""Match the basic four read from a card against the insured records; never guess.

A match needs all four items equal after normalising how they are written (full-width digits,
spaces, 丁目 numerals, dashes). One such person is the match. Anyone else who agrees on some of the
items is a near miss, listed with the items that differ, for staff to decide with the card in
hand; two or more full matches are all near misses (no pick). Nothing read from the card is kept:
only person ids and the names of the differing items.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q

from cards.reader.apdu import BasicFour
from eligibility.models import InsuredPerson
from eligibility.sumida_addresses import KANJI_NUMERALS

ITEMS = ("name", "address", "birth_date", "sex")
MAX_CANDIDATES = 200
MAX_NEAR_MISSES = 5
NEAR_MISS_MIN_EQUAL = 2

_SPACES = re.compile(r"\s+")
_DASHES = re.compile(r"[‐‑‒–—―−ｰー－-](?=\d)|(?<=\d)[‐‑‒–—―−ｰー－-]")
_KANJI_CHOME = re.compile(r"([一二三四五六七八九十]+)丁目")
_BLOCKS = re.compile(r"(\d+)(?:丁目|番地|番|号の|の)")


@dataclass(frozen=True, slots=True)
class NearMiss:
    person_id: int
    differs: tuple[str, ...]  # names from ITEMS

    def as_json(self) -> dict[str, object]:
        return {"person_id": self.person_id, "differs": list(self.differs)}


@dataclass(frozen=True, slots=True)
class MatchResult:
    person_id: int | None
    near_misses: tuple[NearMiss, ...] = ()

    @property
    def ambiguous(self) -> bool:
        return self.person_id is None and any(not miss.differs for miss in self.near_misses)


def normalise_name(text: str) -> str:
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def _kanji_number(text: str) -> int:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + KANJI_NUMERALS.index(text[1]) + 1
    if len(text) == 2 and text.endswith("十"):
        return (KANJI_NUMERALS.index(text[0]) + 1) * 10
    if len(text) == 3 and text[1] == "十":
        return (KANJI_NUMERALS.index(text[0]) + 1) * 10 + KANJI_NUMERALS.index(text[2]) + 1
    return KANJI_NUMERALS.index(text) + 1


def normalise_address(text: str) -> str:
    """押上一丁目１番２号, 押上1丁目1番地2 and 押上1-1-2 all become 押上1-1-2."""
    value = _SPACES.sub("", unicodedata.normalize("NFKC", text))
    value = _KANJI_CHOME.sub(lambda m: f"{_kanji_number(m.group(1))}丁目", value)
    value = _DASHES.sub("-", value)
    value = _BLOCKS.sub(r"\1-", value)
    value = re.sub(r"(\d+)号$", r"\1", value)
    return value.rstrip("-")


def _differs(four: BasicFour, person: InsuredPerson) -> tuple[str, ...]:
    equal = {
        "name": normalise_name(four.name) == normalise_name(person.family_name + person.given_name),
        "address": normalise_address(four.address) == normalise_address(person.household.address),
        "birth_date": four.birth_date == person.birth_date,
        "sex": four.sex == person.sex,
    }
    return tuple(item for item in ITEMS if not equal[item])


def match_basic_four(four: BasicFour) -> MatchResult:
    family, _, given = normalise_name_parts(four.name)
    candidates = (
        InsuredPerson.objects.filter(
            Q(birth_date=four.birth_date) | Q(family_name=family, given_name=given)
        )
        .select_related("household")
        .order_by("pk")[:MAX_CANDIDATES]
    )
    scored = [(person.pk, _differs(four, person)) for person in candidates]
    exact = [pk for pk, differs in scored if not differs]
    if len(exact) == 1:
        return MatchResult(exact[0])
    near = [
        NearMiss(pk, differs)
        for pk, differs in scored
        if len(ITEMS) - len(differs) >= NEAR_MISS_MIN_EQUAL
    ]
    near.sort(key=lambda miss: (len(miss.differs), miss.person_id))
    return MatchResult(None, tuple(near[:MAX_NEAR_MISSES]))


def normalise_name_parts(name: str) -> tuple[str, str, str]:
    """(family, separator, given) as the card writes them (U+3000 between), NFKC-normalised."""
    text = unicodedata.normalize("NFKC", name).strip()
    family, separator, given = text.partition(" ")
    return family, separator, given.replace(" ", "")
