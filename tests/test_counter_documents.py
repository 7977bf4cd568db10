"""Documents at the counter: issue, reissue and void 資格確認書, hand out お知らせ, download
their PDFs (audit-logged, not cached), and print activation codes."""

from __future__ import annotations

import re
from datetime import date

import pytest

from cards.models import Certificate
from eligibility.counter import clock
from notices.models import Notice
from sumida_kokuho.models import ActivationCode, AuditEvent
from sumida_kokuho.roles import Role
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    HouseholdFactory,
    InsuredPersonFactory,
    MyNumberCardFactory,
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


def person_page(client, person) -> str:
    return client.get(f"/counter/person/{person.pk}/").content.decode()


def issue(client, person, **data):
    return client.post(f"/counter/person/{person.pk}/certificate/", data)


# --- the whole flow -----------------------------------------------------------------------------


def test_address_change_then_issue_then_print_then_nothing_is_due(client, clerk):
    household = HouseholdFactory(postal_code="131-0045")
    person = enrolled(household=household)
    old = CertificateFactory(person=person, issued_on=date(2025, 9, 1))  # no マイナ保険証
    assert "No document is due now." in person_page(client, person)

    client.post(
        f"/counter/household/{household.pk}/address-change/",
        {
            "occurred_on": "R8.11.20",
            "postal_code": "130-0001",
            "address": "東京都墨田区吾妻橋一丁目1番1号",
        },
    )
    html = person_page(client, person)
    assert "An eligibility certificate is due because the paper card&#x27;s contents" in html
    assert "Issue the eligibility certificate" in html

    response = issue(client, person)
    certificate = Certificate.objects.get(person=person, voided_on__isnull=True)
    assert response.status_code == 302
    assert response["Location"] == f"/counter/certificate/{certificate.pk}/"
    assert certificate.issued_on == TODAY
    assert certificate.reason == "contents_changed"
    old.refresh_from_db()
    assert (old.voided_on, old.void_reason) == (TODAY, "reissued")

    page = client.get(response["Location"]).content.decode()
    assert f'href="/counter/certificate/{certificate.pk}/pdf"' in page
    assert certificate.number in page

    pdf = client.get(f"/counter/certificate/{certificate.pk}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert (
        pdf["Content-Disposition"] == f'attachment; filename="certificate-{certificate.number}.pdf"'
    )
    assert "no-store" in pdf["Cache-Control"]
    printed = AuditEvent.objects.get(action="print")
    assert (printed.object_id, printed.person_id, printed.counter) == (
        str(certificate.pk),
        person.pk,
        "honcho-1",
    )

    assert "No document is due now." in person_page(client, person)


def test_pressing_issue_twice_gives_one_certificate(client, clerk):
    person = enrolled(enrolled_on=date(2026, 11, 1))

    first, second = issue(client, person), issue(client, person)

    assert first["Location"] == second["Location"]
    assert Certificate.objects.filter(person=person).count() == 1
    assert AuditEvent.objects.filter(action="issue").count() == 1


def test_reissuing_replaces_the_certificate_in_force(client, clerk):
    person = enrolled()
    old = CertificateFactory(person=person, issued_on=date(2025, 9, 1))

    response = issue(client, person, reason="other")

    new = Certificate.objects.get(person=person, voided_on__isnull=True)
    assert new != old
    assert new.reason == "other"
    assert response["Location"] == f"/counter/certificate/{new.pk}/"
    old.refresh_from_db()
    assert old.void_reason == "reissued"


def test_issuing_for_a_person_not_insured_is_refused_with_a_message(client, clerk):
    person = enrolled(enrolled_on=date(2027, 1, 1))

    response = issue(client, person)

    assert response.status_code == 302
    assert response["Location"] == f"/counter/person/{person.pk}/"
    messages = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert messages == ["This person is not insured on 26 November 2026."]
    assert not Certificate.objects.exists()


def test_handing_out_a_notice_and_printing_it(client, clerk):
    person = enrolled(enrolled_on=date(2026, 11, 1))
    MyNumberCardFactory(person=person)

    response = client.post(f"/counter/person/{person.pk}/notice/")

    notice = Notice.objects.get(person=person)
    assert response["Location"] == f"/counter/notice/{notice.pk}/"
    assert (notice.issued_on, notice.reason) == (TODAY, "new_enrolment")
    page = client.get(response["Location"]).content.decode()
    assert f'href="/counter/notice/{notice.pk}/pdf"' in page

    pdf = client.get(f"/counter/notice/{notice.pk}/pdf")
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"].startswith('attachment; filename="notice-20261126-')
    assert "no-store" in pdf["Cache-Control"]
    assert AuditEvent.objects.filter(action="print", object_id=str(notice.pk)).count() == 1
    assert "No document is due now." in person_page(client, person)


# --- void ---------------------------------------------------------------------------------------


def test_a_supervisor_voids_a_certificate(client):
    sign_in_staff(client, staff_in_role(Role.SUPERVISOR))
    certificate = CertificateFactory(person=enrolled())

    form = client.get(f"/counter/certificate/{certificate.pk}/void/")
    assert '<label for="id_reason">' in form.content.decode()
    response = client.post(f"/counter/certificate/{certificate.pk}/void/", {"reason": "lost"})

    assert response.status_code == 302
    certificate.refresh_from_db()
    assert (certificate.voided_on, certificate.void_reason) == (TODAY, "lost")
    assert AuditEvent.objects.filter(action="void", object_id=str(certificate.pk)).exists()


def test_voiding_needs_a_reason_and_a_real_date(client):
    sign_in_staff(client, staff_in_role(Role.SUPERVISOR))
    certificate = CertificateFactory(person=enrolled())

    response = client.post(
        f"/counter/certificate/{certificate.pk}/void/", {"reason": "", "on": "R8.13.1"}
    )

    html = response.content.decode()
    assert "Choose why the certificate is void." in html
    assert "The first day it is void is not a real day" in html
    certificate.refresh_from_db()
    assert certificate.voided_on is None


def test_a_counter_clerk_may_not_void(client, clerk):
    certificate = CertificateFactory(person=enrolled())

    response = client.post(f"/counter/certificate/{certificate.pk}/void/", {"reason": "lost"})

    assert response.status_code == 403
    certificate.refresh_from_db()
    assert certificate.voided_on is None


# --- refusals -----------------------------------------------------------------------------------


def test_pdfs_are_refused_to_anonymous_visitors_and_staff_without_a_role(client):
    certificate = CertificateFactory(person=enrolled())

    anonymous = client.get(f"/counter/certificate/{certificate.pk}/pdf")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/staff/login/")
    sign_in_staff(client, StaffUserFactory())
    assert client.get(f"/counter/certificate/{certificate.pk}/pdf").status_code == 403
    assert not AuditEvent.objects.filter(action="print").exists()


def test_unknown_documents_are_not_found(client, clerk):
    assert client.get("/counter/certificate/999999/").status_code == 404
    assert client.get("/counter/certificate/999999/pdf").status_code == 404
    assert client.get("/counter/notice/999999/").status_code == 404
    assert client.get("/counter/notice/999999/pdf").status_code == 404
    assert client.get("/counter/certificate/999999/void/").status_code == 403  # no permission
    assert client.post("/counter/person/999999/certificate/").status_code == 404


def test_issuing_and_handing_out_are_refused_to_anonymous_visitors_and_staff_without_a_role(
    client,
):
    person = enrolled(enrolled_on=date(2026, 11, 1))
    for url in (
        f"/counter/person/{person.pk}/certificate/",
        f"/counter/person/{person.pk}/notice/",
    ):
        assert client.post(url)["Location"].startswith("/staff/login/")
    sign_in_staff(client, StaffUserFactory())
    for url in (
        f"/counter/person/{person.pk}/certificate/",
        f"/counter/person/{person.pk}/notice/",
    ):
        assert client.post(url).status_code == 403
    assert not Certificate.objects.exists()
    assert not Notice.objects.exists()


def test_issue_is_post_only(client, clerk):
    person = enrolled(enrolled_on=date(2026, 11, 1))

    assert client.get(f"/counter/person/{person.pk}/certificate/").status_code == 405
    assert not Certificate.objects.exists()


# --- activation codes ---------------------------------------------------------------------------


def grant_activation_codes(user) -> None:
    # Counter clerks print activation codes on demand: the role holds the permission.
    assert user.has_perm("sumida_kokuho.add_activationcode")


def test_an_activation_code_is_shown_once_for_printing_and_never_stored(client, clerk):
    grant_activation_codes(clerk)
    person = enrolled()
    assert "Issue an activation code" in person_page(client, person)

    response = client.post(f"/counter/person/{person.pk}/activation-code/")

    html = response.content.decode()
    assert response.status_code == 200
    code = re.search(r'class="activation__code"[^>]*>([A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})<', html)
    assert code is not None
    plain = code.group(1)
    assert person.insured_number in html
    assert "26 December 2026 (Reiwa 8)" in html or "27 December 2026 (Reiwa 8)" in html
    assert "@media print" in html
    assert "no-store" in response["Cache-Control"]
    row = ActivationCode.objects.get(person=person)
    assert plain.replace("-", "") not in row.code_hash
    for event in AuditEvent.objects.all():
        assert plain not in str(event.detail)
        assert plain.replace("-", "") not in str(event.detail)
    assert plain not in str(dict(client.session))


def test_activation_codes_are_refused_without_the_permission(client):
    sign_in_staff(client, StaffUserFactory())
    person = enrolled()

    response = client.post(f"/counter/person/{person.pk}/activation-code/")

    assert response.status_code == 403
    assert not ActivationCode.objects.exists()
