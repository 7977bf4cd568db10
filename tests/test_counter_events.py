"""Recording life events at the counter: each form through its real URL, the dates it accepts
(西暦 and 和暦), the errors it names, Post/Redirect/Get, and that a refusal saves nothing."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from cards.models import MyNumberCard, PaperCard
from eligibility.counter import clock
from eligibility.models import Enrolment, Household, InsuredPerson, LifeEvent
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.roles import Role
from tests.factories import (
    EnrolmentFactory,
    HouseholdFactory,
    InsuredPersonFactory,
    MyNumberCardFactory,
    PaperCardFactory,
    StaffUserFactory,
)
from tests.factories.staff import sign_in_staff, staff_in_role

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def english_and_pinned_today(settings, monkeypatch):
    settings.LANGUAGE_CODE = "en"  # assertions read the English texts
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture
def clerk(client):
    user = staff_in_role(Role.COUNTER)
    sign_in_staff(client, user)
    return user


def enrolled(*, birth_date=date(1980, 5, 5), enrolled_on=date(2020, 4, 1), **kwargs):
    person = InsuredPersonFactory(birth_date=birth_date, **kwargs)
    EnrolmentFactory(person=person, enrolled_on=enrolled_on)
    return person


def writes() -> int:
    """Audit events other than "view": opening a form page (or showing it again with errors) is
    an access to the person and is logged as a view; everything else is a write."""
    return AuditEvent.objects.exclude(action="view").count()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- enrolment ----------------------------------------------------------------------------------


def test_enrolment_form_ties_labels_to_inputs_and_has_no_browser_validation(client, clerk):
    person = InsuredPersonFactory()

    response = client.get(f"/counter/person/{person.pk}/enrol/")

    html = response.content.decode()
    assert response.status_code == 200
    assert '<label for="id_enrolled_on">' in html
    assert '<label for="id_reason">' in html
    assert 'aria-describedby="id_enrolled_on_helptext"' in html
    assert "novalidate" in html
    assert " required" not in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_recording_an_enrolment_saves_it_and_says_which_document_is_due(client, clerk):
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5))

    response = client.post(
        f"/counter/person/{person.pk}/enrol/",
        {"enrolled_on": "令和8年11月1日", "reason": "move_in"},
        follow=True,
    )

    assert response.redirect_chain == [(f"/counter/person/{person.pk}/", 302)]
    enrolment = Enrolment.objects.get(person=person)
    assert (enrolment.enrolled_on, enrolment.reason) == (date(2026, 11, 1), "move_in")
    event = AuditEvent.objects.get(action="enrol")
    assert (event.actor, event.counter, event.person_id) == (clerk, "honcho-1", person.pk)
    assert messages_of(response) == [
        "Saved. Now due: eligibility certificate (new enrolment). Issue it below."
    ]
    assert "Issue the eligibility certificate" in response.content.decode()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-02-30", "The first covered day is not a real day: check the month and the day."),
        ("R8.2.30", "The first covered day is not a real day: check the month and the day."),
        ("H32.1.1", "The first covered day is not in that era"),
        ("X8.1.1", "The first covered day names an era we do not know"),
        ("next monday", "Enter the first covered day like 2025-03-01, R7.3.1 or 令和7年3月1日."),
        ("", "Enter the first covered day."),
    ],
)
def test_a_bad_enrolment_date_is_named_and_nothing_is_saved(client, clerk, typed, message):
    person = InsuredPersonFactory()
    before = writes()

    response = client.post(
        f"/counter/person/{person.pk}/enrol/", {"enrolled_on": typed, "reason": "move_in"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count(message) == 2  # in the error summary and next to the field
    assert 'href="#id_enrolled_on"' in html
    assert "<title>Error: " in html
    assert 'aria-invalid="true"' in html
    assert f'value="{typed}"' in html or not typed  # what was typed is kept
    assert not Enrolment.objects.filter(person=person).exists()
    assert writes() == before


def test_a_refusal_by_the_service_lands_on_its_field_and_nothing_is_saved(client, clerk):
    person = enrolled(enrolled_on=date(2020, 4, 1))  # still covered
    before = writes()

    response = client.post(
        f"/counter/person/{person.pk}/enrol/", {"enrolled_on": "2026-11-01", "reason": "job_loss"}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "This overlaps the period of coverage from 1 April 2020." in html
    assert 'href="#id_enrolled_on"' in html
    assert Enrolment.objects.filter(person=person).count() == 1
    assert writes() == before


def test_a_missing_reason_is_named(client, clerk):
    person = InsuredPersonFactory()

    response = client.post(f"/counter/person/{person.pk}/enrol/", {"enrolled_on": "2026-11-01"})

    assert "Choose the reason for the enrolment." in response.content.decode()
    assert not Enrolment.objects.exists()


# --- withdrawal and the card events -------------------------------------------------------------


def test_recording_a_withdrawal_ends_the_coverage(client, clerk):
    person = enrolled()

    response = client.post(
        f"/counter/person/{person.pk}/withdraw/",
        {"withdrawn_on": "R8.11.20", "reason": "move_out"},
    )

    assert response.status_code == 302
    enrolment = Enrolment.objects.get(person=person)
    assert (enrolment.withdrawn_on, enrolment.withdrawal_reason) == (date(2026, 11, 20), "move_out")


def test_a_lost_paper_card_makes_a_certificate_available_on_application(client, clerk):
    person = enrolled()
    PaperCardFactory(person=person, issued_on=date(2024, 10, 1), valid_until=date(2025, 9, 30))
    # Recorded as of a day it still mattered: the loss was reported while the card was valid.
    response = client.post(
        f"/counter/person/{person.pk}/paper-card-lost/", {"occurred_on": "2025-06-01"}, follow=True
    )

    assert LifeEvent.objects.filter(person=person, kind="paper_card_lost").exists()
    assert PaperCard.objects.get(person=person).invalidated_reason == "lost"
    assert response.status_code == 200


def test_recording_a_lost_and_then_reissued_my_number_card(client, clerk):
    person = enrolled()
    MyNumberCardFactory(person=person)

    lost = client.post(
        f"/counter/person/{person.pk}/myna-card-lost/", {"occurred_on": "R8.11.10"}, follow=True
    )
    assert MyNumberCard.objects.get(person=person).card_status == "lost"
    assert messages_of(lost) == [
        "Saved. An eligibility certificate can be issued on application (My Number card lost): "
        "record the application below."
    ]

    reissued = client.post(
        f"/counter/person/{person.pk}/myna-card-reissued/",
        {"occurred_on": "R8.11.25", "e_cert_valid_until": "２０３１－１１－２４"},
        follow=True,
    )
    card = MyNumberCard.objects.get(person=person)
    assert (card.card_status, card.e_cert_valid_until) == ("valid", date(2031, 11, 24))
    assert messages_of(reissued) == ["Saved. No document is due now."]


def test_recording_a_cancelled_registration_makes_a_certificate_due(client, clerk):
    person = enrolled()
    MyNumberCardFactory(person=person)

    response = client.post(
        f"/counter/person/{person.pk}/registration-cancelled/",
        {"occurred_on": "2026-11-25"},
        follow=True,
    )

    assert LifeEvent.objects.filter(kind="myna_registration_cancelled").count() == 1
    assert messages_of(response) == [
        "Saved. Now due: eligibility certificate (health-insurance registration cancelled). "
        "Issue it below."
    ]


def test_a_state_refusal_is_shown_above_the_form(client, clerk):
    person = enrolled()  # no My Number card at all
    before = writes()

    response = client.post(
        f"/counter/person/{person.pk}/registration-cancelled/", {"occurred_on": "2026-11-25"}
    )

    html = response.content.decode()
    assert "The My Number card is not registered for health-insurance use." in html
    assert not LifeEvent.objects.exists()
    assert writes() == before


# --- household changes --------------------------------------------------------------------------


def test_an_address_change_normalises_full_width_input_and_updates_the_household(client, clerk):
    household = HouseholdFactory(postal_code="131-0045", address="東京都墨田区押上一丁目1番2号")
    person = enrolled(household=household)

    response = client.post(
        f"/counter/household/{household.pk}/address-change/",
        {
            "occurred_on": "令和8年11月20日",
            "postal_code": "〒１３０－０００１",
            "address": "東京都墨田区吾妻橋一丁目２３番２０号",
        },
        follow=True,
    )

    assert response.redirect_chain == [(f"/counter/household/{household.pk}/", 302)]
    household.refresh_from_db()
    assert household.postal_code == "130-0001"
    assert household.address == "東京都墨田区吾妻橋一丁目23番20号"
    event = LifeEvent.objects.get(person=person, kind="address_change")
    assert event.occurred_on == date(2026, 11, 20)
    assert messages_of(response) == [
        "Saved for 1 member. A document is now due for 1 of them: see the members below."
    ]


@pytest.mark.parametrize("typed", ["130-001", "13000011", "abc"])
def test_a_bad_postal_code_is_named_and_nothing_is_saved(client, clerk, typed):
    household = HouseholdFactory(postal_code="131-0045")
    enrolled(household=household)
    before = writes()

    response = client.post(
        f"/counter/household/{household.pk}/address-change/",
        {
            "occurred_on": "2026-11-20",
            "postal_code": typed,
            "address": "東京都墨田区緑一丁目1番1号",
        },
    )

    html = response.content.decode()
    assert "Enter the postal code as 7 digits, like 130-0001." in html
    assert 'href="#id_postal_code"' in html
    assert Household.objects.get(pk=household.pk).postal_code == "131-0045"
    assert not LifeEvent.objects.exists()
    assert writes() == before


def test_a_change_of_householder_picks_a_member(client, clerk):
    household = HouseholdFactory()
    head = enrolled(household=household)
    spouse = enrolled(household=household)

    form = client.get(f"/counter/household/{household.pk}/householder-change/")
    assert f'<option value="{spouse.pk}">' in form.content.decode()
    assert f'<option value="{head.pk}">' not in form.content.decode()  # already the householder

    response = client.post(
        f"/counter/household/{household.pk}/householder-change/",
        {"new_householder": spouse.pk, "occurred_on": "R8.11.1"},
    )

    assert response.status_code == 302
    household.refresh_from_db()
    assert household.householder == spouse
    assert InsuredPerson.objects.get(pk=spouse.pk).relation == "householder"


def test_a_householder_from_another_household_is_refused(client, clerk):
    household = HouseholdFactory()
    enrolled(household=household)
    stranger = enrolled()

    response = client.post(
        f"/counter/household/{household.pk}/householder-change/",
        {"new_householder": stranger.pk, "occurred_on": "R8.11.1"},
    )

    assert "Choose the new householder from the members listed." in response.content.decode()
    assert not LifeEvent.objects.exists()


# --- refusals -----------------------------------------------------------------------------------


def test_anonymous_posts_go_to_the_sign_in_and_save_nothing(client):
    person = InsuredPersonFactory()

    response = client.post(
        f"/counter/person/{person.pk}/enrol/", {"enrolled_on": "2026-11-01", "reason": "move_in"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")
    assert not Enrolment.objects.exists()


def test_staff_without_the_permission_are_refused(client):
    sign_in_staff(client, StaffUserFactory())
    person = InsuredPersonFactory()

    response = client.post(
        f"/counter/person/{person.pk}/enrol/", {"enrolled_on": "2026-11-01", "reason": "move_in"}
    )

    assert response.status_code == 403
    assert not Enrolment.objects.exists()


def test_an_unknown_person_or_household_is_not_found(client, clerk):
    assert client.get("/counter/person/999999/withdraw/").status_code == 404
    assert client.get("/counter/household/999999/address-change/").status_code == 404


def test_a_post_without_the_csrf_token_is_refused():
    client = Client(enforce_csrf_checks=True)
    sign_in_staff(client, staff_in_role(Role.COUNTER))
    person = InsuredPersonFactory()

    response = client.post(
        f"/counter/person/{person.pk}/enrol/", {"enrolled_on": "2026-11-01", "reason": "move_in"}
    )

    assert response.status_code == 403
    assert not Enrolment.objects.exists()
