"""The counter's person and household pages: what they show, the what-if, the "as of" date,
the audit event, constant query counts, and the refusals."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.models import CertificateApplication, MyNumberCard
from eligibility.counter import clock
from eligibility.models import LifeEvent
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.roles import Role
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    HouseholdFactory,
    InsuredPersonFactory,
    LifeEventFactory,
    MyNumberCardFactory,
    NoticeFactory,
    PaperCardFactory,
    StaffUserFactory,
)
from tests.factories.staff import sign_in_staff, staff_in_role

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 26)
# Session, user, device, permissions, the person, its rows (one query per relation), the audit
# event and the session save: a fixed number whatever the history holds.
PERSON_PAGE_QUERIES = 22


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


def myna_holder(**kwargs):
    person = enrolled(**kwargs)
    MyNumberCardFactory(person=person)
    return person


def page(client, person, **params):
    return client.get(f"/counter/person/{person.pk}/", params)


# --- the person page ----------------------------------------------------------------------------


def test_person_page_shows_the_header_the_assessment_and_its_reasons(client, clerk):
    person = myna_holder(birth_date=date(1956, 4, 1))
    PaperCardFactory(person=person, issued_on=date(2024, 10, 1), valid_until=date(2025, 9, 30))

    response = page(client, person)

    assert response.status_code == 200
    html = response.content.decode()
    household = person.household
    assert f"{household.symbol}・{household.number}・{person.branch}" in html
    assert person.full_name in html
    assert person.full_name_kana in html
    assert "1 April 1956 (Showa 31)" in html  # 和暦 with 西暦 (English rendering)
    assert f'href="/counter/household/{household.pk}/"' in html
    # Which proof works and why not the others, with the rule ids shown small.
    assert "The My Number card can be used as the health insurance card" in html
    assert "The paper insurance card has expired" in html
    assert "No eligibility certificate has been issued." in html
    assert '<span class="rules">R-ENROLMENT</span>' in html
    assert "R-PAPER-VALID" in html
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]


def test_person_page_offers_the_certificate_due_with_a_button_to_issue_it(client, clerk):
    person = enrolled(enrolled_on=date(2026, 11, 1))  # new enrolment, no マイナ保険証

    html = page(client, person).content.decode()

    assert "An eligibility certificate is due because the person newly joined." in html
    assert f'action="/counter/person/{person.pk}/certificate/"' in html
    assert "Issue the eligibility certificate" in html


def test_person_page_offers_the_notice_to_a_myna_holder(client, clerk):
    person = myna_holder(enrolled_on=date(2026, 11, 1))

    html = page(client, person).content.decode()

    assert "A notice of insurance information is due" in html
    assert f'action="/counter/person/{person.pk}/notice/"' in html
    assert "Hand out the notice" in html


def test_person_page_lists_the_history_newest_first_with_voided_certificates(client, clerk):
    person = enrolled()
    PaperCardFactory(
        person=person,
        issued_on=date(2024, 10, 1),
        valid_until=date(2025, 9, 30),
        invalidated_on=date(2025, 3, 10),
        invalidated_reason="contents_changed",
    )
    LifeEventFactory(person=person, occurred_on=date(2025, 3, 10))
    CertificateFactory(
        person=person,
        number="2025-0000001",
        issued_on=date(2025, 3, 12),
        valid_until=date(2027, 3, 31),
        voided_on=date(2026, 1, 5),
        void_reason="lost",
    )
    current = CertificateFactory(person=person, number="2025-0000002", issued_on=date(2026, 1, 5))
    NoticeFactory(person=person, issued_on=date(2025, 9, 1))

    html = page(client, person).content.decode()

    history = html[html.index('id="history-title"') :]
    days = [
        datetime.strptime(day, "%d %B %Y").date()
        for day in re.findall(r"<tr>\s*<td>(\d{1,2} \w+ \d{4})", history)
    ]
    assert days == sorted(days, reverse=True)
    assert len(days) == 8  # enrolment, card issued and unusable, event, 2+1 certificate, notice
    for title in (
        "Enrolled",
        "Paper insurance card issued",
        "Paper insurance card no longer usable",
        "Address change",
        "Eligibility certificate issued",
        "Eligibility certificate void",
        "Notice of insurance information handed out",
    ):
        assert title in history
    assert f'href="/counter/certificate/{current.pk}/"' in history
    assert "no longer usable" in history


def test_viewing_the_person_page_writes_exactly_one_view_event(client, clerk):
    person = myna_holder()
    before = AuditEvent.objects.count()

    page(client, person)

    events = list(AuditEvent.objects.order_by("pk")[before:])
    assert [(e.action, e.person_id, e.actor_id, e.counter) for e in events] == [
        ("view", person.pk, clerk.pk, "honcho-1")
    ]


def _with_long_history(person):
    for day in range(1, 11):
        LifeEventFactory(person=person, kind="address_change", occurred_on=date(2025, 1, day))
        NoticeFactory(person=person, issued_on=date(2025, 2, day))
    for n in range(1, 6):
        CertificateFactory(
            person=person,
            issued_on=date(2025, 4, n),
            valid_until=date(2027, 3, 31),
            voided_on=date(2025, 4, n + 1),
            void_reason="reissued",
        )
        CertificateApplication.objects.create(
            person=person,
            reason="other",
            detail="x",
            channel="online",
            status="withdrawn",
            decided_at=f"2025-05-0{n}T10:00:00+09:00",
        )
    PaperCardFactory(person=person)


def _queries(client, person, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert page(client, person, **params).status_code == 200
    return len(captured)


def test_person_page_costs_the_same_queries_for_a_long_and_a_short_history(
    client, clerk, django_assert_max_num_queries
):
    short = myna_holder()
    long = myna_holder()
    _with_long_history(long)
    page(client, short)  # warm the session and permission caches alike for both

    assert _queries(client, short) == _queries(client, long)
    with django_assert_max_num_queries(PERSON_PAGE_QUERIES):
        page(client, long)
    what_if = {"kind": "myna_card_lost", "on": "2026-11-20"}
    assert _queries(client, short, **what_if) == _queries(client, long, **what_if)


# --- as of, and what if -------------------------------------------------------------------------


def test_as_of_accepts_wareki_and_shows_that_day(client, clerk):
    person = enrolled(enrolled_on=date(2026, 4, 1))

    html = page(client, person, as_of="R8.3.31").content.decode()

    assert "As of 31 March 2026 (Reiwa 8)" in html
    assert "Not insured on this date: the coverage starts on 1 April 2026." in html
    assert "Back to today" in html


def test_an_unreadable_as_of_is_an_error_naming_the_field_and_today_is_shown(client, clerk):
    person = enrolled()

    response = page(client, person, as_of="2026-02-30")

    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "The date to show is not a real day" in html
    assert 'href="#id_as_of"' in html
    assert "Today, 26 November 2026 (Reiwa 8)" in html


def test_what_if_shows_a_different_result_and_saves_nothing(client, clerk):
    person = myna_holder()
    events, audit = LifeEvent.objects.count(), AuditEvent.objects.count()

    html = page(client, person, kind="myna_card_lost", on="R8.11.20").content.decode()

    what_if = html[html.index('id="what-if-title"') :]
    assert "Not saved" in what_if
    assert "The My Number card cannot be used" in what_if
    assert "An eligibility certificate is due because the My Number card was lost" in what_if
    today_part = html[: html.index('id="what-if-title"')]
    assert "The My Number card can be used as the health insurance card" in today_part
    assert LifeEvent.objects.count() == events
    assert MyNumberCard.objects.get(person=person).card_status == "valid"
    assert list(AuditEvent.objects.values_list("action", flat=True)[audit:]) == ["view"]


def test_what_if_with_a_wrong_era_names_the_field(client, clerk):
    person = myna_holder()

    html = page(client, person, kind="myna_card_lost", on="H32.1.1").content.decode()

    assert "There is a problem" in html
    assert "The date of the event is not in that era" in html
    assert 'href="#id_what_if_on"' in html
    assert "Not saved" not in html


# --- refusals -----------------------------------------------------------------------------------


def test_person_page_sends_anonymous_visitors_to_the_staff_sign_in(client):
    person = enrolled()

    response = page(client, person)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=/counter/person/")


def test_person_page_refuses_staff_without_a_role(client):
    user = StaffUserFactory()
    sign_in_staff(client, user)

    assert page(client, enrolled()).status_code == 403
    assert AuditEvent.objects.filter(action="denied", actor=user).exists()


def test_person_page_of_an_unknown_person_is_not_found(client, clerk):
    assert client.get("/counter/person/999999/").status_code == 404


def test_a_person_without_any_enrolment_still_has_a_page(client, clerk):
    person = InsuredPersonFactory()

    html = page(client, person).content.decode()

    assert "No period of coverage is recorded for this person." in html


# --- the household page -------------------------------------------------------------------------


def household_page(client, household, **params):
    return client.get(f"/counter/household/{household.pk}/", params)


def test_household_page_lists_members_with_their_status(client, clerk):
    household = HouseholdFactory(postal_code="130-0001", address="東京都墨田区吾妻橋一丁目1番1号")
    head = myna_holder(household=household, birth_date=date(1980, 4, 1))
    child = enrolled(
        household=household, birth_date=date(2021, 6, 1), enrolled_on=date(2026, 11, 1)
    )

    response = household_page(client, household)

    html = response.content.decode()
    assert response.status_code == 200
    assert "130-0001" in html
    assert "東京都墨田区吾妻橋一丁目1番1号" in html
    assert f'href="/counter/person/{head.pk}/"' in html
    assert f'href="/counter/person/{child.pk}/#documents-due"' in html  # a certificate is due
    assert "My Number insurance card" in html
    assert "2割" in html and "3割" in html  # the child before school, the adult
    household_views = AuditEvent.objects.filter(action="view", household_id=household.pk)
    assert household_views.count() == 1


def test_household_page_costs_the_same_queries_for_one_or_five_members(client, clerk):
    small, large = HouseholdFactory(), HouseholdFactory()
    myna_holder(household=small)
    for _ in range(5):
        person = myna_holder(household=large)
        _with_long_history(person)
    household_page(client, small)

    with CaptureQueriesContext(connection) as one:
        household_page(client, small)
    with CaptureQueriesContext(connection) as five:
        household_page(client, large)

    assert len(one) == len(five)


def test_household_page_refusals(client):
    household = HouseholdFactory()
    assert household_page(client, household).status_code == 302
    sign_in_staff(client, StaffUserFactory())
    assert household_page(client, household).status_code == 403
    sign_in_staff(client, staff_in_role(Role.COUNTER))
    assert client.get("/counter/household/999999/").status_code == 404
