"""Insured numbers are masked in lists and search results, shown whole on the person's page."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from sumida_kokuho.roles import Role
from sumida_kokuho.templatetags.insured import masked
from tests.factories import HouseholdFactory, InsuredPersonFactory
from tests.factories.staff import sign_in_staff, staff_in_role


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        ("13-123478-01", "13-****78-01"),
        ("13-123478", "13-****78"),
        ("9300-000001-02", "9300-****01-02"),
        ("13-12-01", "13-**-01"),
        ("13-1-01", "13-*-01"),
        ("garbage", "*******"),
        ("13--01", "******"),
    ],
)
def test_masked(number, shown):
    assert masked(number) == shown


def test_the_filter_takes_a_person_a_household_or_text(db):
    household = HouseholdFactory(symbol="13", number="654321")
    person = InsuredPersonFactory(household=household, branch="02")
    template = Template(
        "{% load insured %}{{ p|masked_insured_number }} {{ h|masked_insured_number }} "
        "{{ t|masked_insured_number }}|{{ n|masked_insured_number }}|"
    )
    text = template.render(Context({"p": person, "h": household, "t": "13-999912-03", "n": None}))
    assert text == "13-****21-02 13-****21 13-****12-03||"


@pytest.fixture
def clerk_client(client, db, settings):
    settings.LANGUAGE_CODE = "en"
    sign_in_staff(client, staff_in_role(Role.COUNTER, username="clerk"), counter="honcho-1")
    return client


@pytest.fixture
def person(db):
    household = HouseholdFactory(symbol="13", number="246813")
    return InsuredPersonFactory(
        household=household, branch="01", family_name_kana="スミダ", given_name_kana="ハナコ"
    )


def test_search_results_show_the_number_masked(clerk_client, person):
    html = clerk_client.get("/staff/search/", {"q": "スミダ ハナコ"}).content.decode()
    assert f'href="/counter/person/{person.pk}/"' in html
    assert "<td>13-****13-01</td>" in html
    assert "246813" not in html


def test_the_person_page_shows_the_number_whole(clerk_client, person):
    html = clerk_client.get(f"/counter/person/{person.pk}/").content.decode()
    assert "13・246813・01" in html
