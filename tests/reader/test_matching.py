"""Matching the basic four against the insured records: all four or nothing, near misses shown."""

from __future__ import annotations

from datetime import date

import pytest

from cards.reader.apdu import BasicFour
from cards.reader.matching import match_basic_four, normalise_address, normalise_name
from eligibility.models import InsuredPerson
from tests.factories import HouseholdFactory, InsuredPersonFactory

CARD = BasicFour("向島\u3000一郎", "東京都墨田区向島三丁目１２番５号", date(1961, 7, 7), "1")


def person(address: str = "東京都墨田区向島三丁目12番5号", **fields) -> InsuredPerson:
    values = {
        "family_name": "向島",
        "given_name": "一郎",
        "birth_date": date(1961, 7, 7),
        "sex": InsuredPerson.Sex.MALE,
        **fields,
    }
    return InsuredPersonFactory(household=HouseholdFactory(address=address), **values)


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("東京都墨田区押上一丁目１番２号", "東京都墨田区押上1-1-2"),
        ("東京都墨田区押上1丁目1番地2", "東京都墨田区押上1-1-2"),
        ("東京都墨田区押上１－１－２", "東京都墨田区押上1-1-2"),
        ("東京都 墨田区押上十二丁目3番", "東京都墨田区押上12-3"),
    ],
)
def test_addresses_are_compared_as_written_in_any_style(written: str, normal: str) -> None:
    assert normalise_address(written) == normal


def test_names_ignore_spaces_and_width() -> None:
    assert normalise_name("向島\u3000一郎") == normalise_name("向島 一郎") == "向島一郎"


@pytest.mark.django_db
def test_all_four_items_equal_is_a_match() -> None:
    holder = person()
    person(given_name="二郎", birth_date=date(1963, 1, 1))  # same family, nothing else
    assert match_basic_four(CARD).person_id == holder.pk
    assert match_basic_four(CARD).near_misses == ()


@pytest.mark.django_db
def test_a_moved_person_is_a_near_miss_not_a_match() -> None:
    moved = person(address="東京都墨田区八広一丁目1番1号")
    result = match_basic_four(CARD)
    assert result.person_id is None
    assert [(m.person_id, m.differs) for m in result.near_misses] == [(moved.pk, ("address",))]


@pytest.mark.django_db
def test_two_people_matching_all_four_are_never_guessed_between() -> None:
    first, second = person(), person()
    result = match_basic_four(CARD)
    assert result.person_id is None
    assert result.ambiguous
    assert {m.person_id for m in result.near_misses} == {first.pk, second.pk}


@pytest.mark.django_db
def test_someone_sharing_only_the_birth_date_is_not_shown() -> None:
    person(family_name="田中", given_name="花子", sex=InsuredPerson.Sex.FEMALE, address="別")
    result = match_basic_four(CARD)
    assert result.person_id is None
    assert result.near_misses == ()
