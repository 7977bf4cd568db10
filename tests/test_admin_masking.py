"""The Django admin's lists mask insured numbers as the staff pages do (README "Personal data"):
`13-****78-01`; the change page of a household or person shows the number whole."""

from __future__ import annotations

import json
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


def a_my_number() -> str:
    from sumida_kokuho.mynumber import check_digit

    first = "12345678901"
    return first + str(check_digit(first))


def test_an_admin_form_refuses_a_my_number_in_free_text(admin_client) -> None:
    from eligibility.models import Household

    response = admin_client.post(
        "/admin/eligibility/household/add/",
        {
            "symbol": "13",
            "number": "555501",
            "postal_code": "131-0045",
            "address": f"東京都墨田区押上一丁目1番 {a_my_number()}",
            # the inline formsets, empty
            **{
                f"{prefix}-{key}": value
                for prefix in ("members", "burden_determinations", "premium_arrears")
                for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
            },
        },
    )
    from django.utils import translation
    from django.utils.html import escape

    from sumida_kokuho.mynumber import MY_NUMBER_REFUSED

    assert response.status_code == 200  # the form again, with the error
    with translation.override("ja"):
        assert escape(str(MY_NUMBER_REFUSED)) in response.content.decode()
    assert not Household.objects.filter(number="555501").exists()


def test_inline_text_and_json_fields_refuse_a_my_number_too() -> None:
    from django.contrib import admin
    from django.core.exceptions import ValidationError

    from eligibility.admin import LifeEventInline
    from eligibility.models import InsuredPerson, LifeEvent

    inline = LifeEventInline(InsuredPerson, admin.site)
    details = inline.formfield_for_dbfield(LifeEvent._meta.get_field("details"), request=None)
    assert details.clean('{"note": "moved"}') == {"note": "moved"}
    with pytest.raises(ValidationError):
        details.clean(json.dumps({"note": a_my_number()}))
