"""The application queue: open applications oldest first, counts and filters, approve-and-issue,
reject with a reason, and the counter's own application form."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards.models import Certificate, CertificateApplication
from eligibility.counter import clock
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.roles import Role
from tests.factories import (
    EnrolmentFactory,
    InsuredPersonFactory,
    MyNumberCardFactory,
    StaffUserFactory,
)
from tests.factories.staff import sign_in_staff, staff_in_role

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 26)
Status = CertificateApplication.Status


@pytest.fixture(autouse=True)
def english_and_pinned_today(settings, monkeypatch):
    settings.LANGUAGE_CODE = "en"  # assertions read the English texts
    monkeypatch.setattr(clock, "today", lambda: TODAY)


@pytest.fixture
def clerk(client):
    user = staff_in_role(Role.COUNTER)
    sign_in_staff(client, user)
    return user


def card_lost_person(**kwargs):
    """Insured, with a My Number card reported lost: a certificate on application."""
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5), **kwargs)
    EnrolmentFactory(person=person, enrolled_on=date(2020, 4, 1))
    MyNumberCardFactory(person=person, card_status="lost")
    return person


def application(person=None, *, days_ago=1, status=Status.SUBMITTED, **kwargs):
    submitted = timezone.make_aware(datetime(2026, 11, 26, 10, 0)) - timedelta(days=days_ago)
    decided = {} if status == Status.SUBMITTED else {"decided_at": timezone.now()}
    return CertificateApplication.objects.create(
        person=person or card_lost_person(),
        reason=kwargs.pop("reason", "myna_card_lost"),
        channel=kwargs.pop("channel", "online"),
        submitted_at=submitted,
        status=status,
        **decided,
        **kwargs,
    )


# --- the queue ----------------------------------------------------------------------------------


def test_queue_lists_open_applications_oldest_first_with_counts(client, clerk):
    newer = application(days_ago=1, channel="counter")
    older = application(days_ago=5)
    application(status=Status.REJECTED, rejection_reason="no")

    response = client.get("/counter/applications/")

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(older.person.full_name) < html.index(newer.person.full_name)
    assert "submitted: 2" in html
    assert "rejected: 1" in html
    assert "all: 3" in html
    assert "My Number card lost or being reissued" in html
    assert "at the counter" in html and "online" in html
    assert "21 November 2026" in html  # submitted 5 days ago, shown as a date
    assert f'action="/counter/applications/{older.pk}/approve/"' in html
    listed = AuditEvent.objects.get(action="view", object_type="cards.certificateapplication")
    assert sorted(listed.detail["ids"]) == sorted([older.pk, newer.pk])


def test_queue_filters_by_status(client, clerk):
    open_one = application()
    rejected = application(status=Status.REJECTED, rejection_reason="Not needed.")

    html = client.get("/counter/applications/", {"status": "rejected"}).content.decode()

    assert rejected.person.full_name in html
    assert open_one.person.full_name not in html
    assert "Not needed." in html


def test_queue_costs_the_same_queries_for_one_or_ten_applications(client, clerk):
    application()
    client.get("/counter/applications/")
    with CaptureQueriesContext(connection) as one:
        client.get("/counter/applications/")
    for days in range(2, 11):
        application(days_ago=days)
    with CaptureQueriesContext(connection) as ten:
        client.get("/counter/applications/")

    assert len(one) == len(ten)


# --- approve and reject -------------------------------------------------------------------------


def test_approving_issues_a_certificate_and_offers_its_pdf(client, clerk):
    submitted = application()

    response = client.post(f"/counter/applications/{submitted.pk}/approve/")

    submitted.refresh_from_db()
    certificate = Certificate.objects.get(person=submitted.person)
    assert submitted.status == Status.APPROVED
    assert submitted.certificate == certificate
    assert (certificate.issued_on, certificate.reason) == (TODAY, "myna_card_lost")
    assert response["Location"] == f"/counter/certificate/{certificate.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert f'href="/counter/certificate/{certificate.pk}/pdf"' in page
    assert client.get(f"/counter/certificate/{certificate.pk}/pdf").content.startswith(b"%PDF")
    queue = client.get("/counter/applications/", {"status": "approved"}).content.decode()
    assert certificate.number in queue


def test_approving_twice_shows_the_same_certificate_and_issues_no_second(client, clerk):
    submitted = application()

    first = client.post(f"/counter/applications/{submitted.pk}/approve/", follow=True)
    second = client.post(f"/counter/applications/{submitted.pk}/approve/", follow=True)

    assert Certificate.objects.count() == 1
    assert first.redirect_chain == second.redirect_chain
    assert [str(m) for m in second.context["messages"]] == ["This application is already approved."]


def test_a_rejected_application_cannot_be_approved(client, clerk):
    rejected = application(status=Status.REJECTED, rejection_reason="Not needed.")

    response = client.post(f"/counter/applications/{rejected.pk}/approve/", follow=True)

    assert not Certificate.objects.exists()
    assert [str(m) for m in response.context["messages"]] == [
        "This application is already decided: rejected."
    ]


def test_rejecting_requires_a_reason(client, clerk):
    submitted = application()
    before = AuditEvent.objects.exclude(action="view").count()

    response = client.post(f"/counter/applications/{submitted.pk}/reject/", {"reason": "  "})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("Give the reason for the rejection.") == 2
    assert 'href="#id_reason"' in html
    assert client.get("/counter/person/999999/application/").status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert CertificateApplication.objects.count() == 1
    assert AuditEvent.objects.exclude(action="view").count() == before


def test_rejecting_with_a_reason(client, clerk):
    submitted = application()

    response = client.post(
        f"/counter/applications/{submitted.pk}/reject/",
        {"reason": "The card was found and works again."},
    )

    assert response["Location"] == "/counter/applications/"
    submitted.refresh_from_db()
    assert submitted.status == Status.REJECTED
    assert submitted.rejection_reason == "The card was found and works again."
    assert not Certificate.objects.exists()


# --- the counter's own application --------------------------------------------------------------


def test_a_resident_applies_at_the_counter_and_the_clerk_approves(client, clerk):
    person = card_lost_person()
    page = client.get(f"/counter/person/{person.pk}/").content.decode()
    assert f'action="/counter/person/{person.pk}/application/"' in page
    assert '<option value="myna_card_lost" selected>' in page  # the due reason is preselected

    response = client.post(
        f"/counter/person/{person.pk}/application/", {"reason": "myna_card_lost"}, follow=True
    )

    submitted = CertificateApplication.objects.get(person=person)
    assert (submitted.channel, submitted.status) == ("counter", Status.SUBMITTED)
    assert response.redirect_chain == [(f"/counter/person/{person.pk}/", 302)]
    assert f'action="/counter/applications/{submitted.pk}/approve/"' in response.content.decode()


def test_no_application_is_taken_while_the_my_number_card_works(client, clerk):
    person = InsuredPersonFactory()
    EnrolmentFactory(person=person)
    MyNumberCardFactory(person=person)

    response = client.post(
        f"/counter/person/{person.pk}/application/", {"reason": "myna_card_lost"}, follow=True
    )

    assert not CertificateApplication.objects.exists()
    assert [str(m) for m in response.context["messages"]] == [
        "No application is needed: the My Number insurance card works. A certificate on "
        "application is for a lost card."
    ]


def test_an_application_for_another_reason_needs_details(client, clerk):
    person = card_lost_person()

    response = client.post(f"/counter/person/{person.pk}/application/", {"reason": "other"})

    html = response.content.decode()
    assert "Tell us why you need a certificate." in html
    assert 'href="#id_apply_detail"' in html
    assert not CertificateApplication.objects.exists()


# --- refusals -----------------------------------------------------------------------------------


def test_queue_refusals(client):
    submitted = application()

    assert client.get("/counter/applications/")["Location"].startswith("/staff/login/")
    sign_in_staff(client, StaffUserFactory())
    assert client.get("/counter/applications/").status_code == 403
    assert client.post(f"/counter/applications/{submitted.pk}/approve/").status_code == 403
    person = card_lost_person()
    applying = client.post(f"/counter/person/{person.pk}/application/", {"reason": "other"})
    assert applying.status_code == 403
    sign_in_staff(client, staff_in_role(Role.COUNTER))
    assert client.post("/counter/applications/999999/approve/").status_code == 404
    assert client.get("/counter/applications/999999/reject/").status_code == 404
    assert client.get("/counter/person/999999/application/").status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert CertificateApplication.objects.count() == 1
