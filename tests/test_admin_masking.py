"""The Django admin's lists mask insured numbers as the staff pages do (README "Personal data"):
`13-****78-01`; the change page of a household or person shows the number whole."""

from __future__ import annotations

from datetime import date

import pytest

from eligibility.models import PremiumArrears
from sumida_kokuho.templatetags.insured import masked
from tests.factories import HouseholdFactory, InsuredPersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():  # type: ignore[no-untyped-def]
    household = HouseholdFactory(symbol="13", number="123478")
    return InsuredPersonFactory(household=household, branch="01")


def page(admin_client, url: str) -> str:  # type: ignore[no-untyped-def]
    response = admin_client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    "url", ["/admin/eligibility/household/", "/admin/eligibility/insuredperson/"]
)
def test_the_lists_show_the_insured_number_masked(admin_client, person, url: str) -> None:
    html = page(admin_client, url)
    shown = person.household if "household" in url else person
    assert masked(shown.insured_number) in html  # 13-****78 / 13-****78-01
    assert "123478" not in html


def test_the_household_columns_of_other_lists_are_masked(admin_client, person) -> None:
    PremiumArrears.objects.create(household=person.household, since=date(2025, 4, 1))
    html = page(admin_client, "/admin/eligibility/premiumarrears/")
    assert "13-****78" in html and "123478" not in html


def test_a_search_by_the_whole_number_still_finds_the_person(admin_client, person) -> None:
    html = page(admin_client, "/admin/eligibility/insuredperson/?q=13-123478-01")
    start = html.index('id="result_list"')
    results = html[start : html.index("</table>", start)]
    assert person.full_name in results and "13-****78-01" in results
    # (The sort links and the search box echo what the administrator typed.)
    assert "123478" not in results.replace("q=13-123478-01", "").replace("q%3D13-123478-01", "")


def test_the_change_pages_show_the_number_whole(admin_client, person) -> None:
    html = page(admin_client, f"/admin/eligibility/household/{person.household.pk}/change/")
    assert "123478" in html
