"""cards.services applications (submit, approve-and-issue, reject, withdraw) and the residents'
activation codes (eligibility.services issue_activation_code / redeem_activation_code)."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from cards.models import Certificate, CertificateApplication
from cards.services import (
    approve_application,
    reject_application,
    submit_application,
    withdraw_application,
)
from eligibility.models import InsuredPerson
from eligibility.services import (
    ACTIVATION_ALPHABET,
    assess_person,
    document_due,
    issue_activation_code,
    redeem_activation_code,
)
from sumida_kokuho.models import ACTIVATION_CODE_LIFETIME, ActivationCode, AuditEvent
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    InsuredPersonFactory,
    MyNumberCardFactory,
    StaffUserFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

COUNTER = "本庁舎1番窓口"
TODAY = date(2026, 11, 26)


@pytest.fixture
def clerk():
    return StaffUserFactory()


@pytest.fixture
def resident():
    return UserFactory()


def enrolled_person(**kwargs) -> InsuredPerson:
    person = InsuredPersonFactory(birth_date=kwargs.pop("birth_date", date(1980, 5, 5)), **kwargs)
    EnrolmentFactory(person=person, enrolled_on=date(2020, 4, 1))
    return person


def person_with_lost_card() -> InsuredPerson:
    person = enrolled_person()
    MyNumberCardFactory(person=person, card_status="lost")
    return person


def error_codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def submit(person, by, reason="myna_card_lost", detail="", channel="online", **kwargs):
    return submit_application(
        person=person,
        reason=reason,
        detail=detail,
        channel=channel,
        by=by,
        as_of=kwargs.pop("as_of", TODAY),
        **kwargs,
    )


# --- submit_application -------------------------------------------------------------------------


def test_a_resident_applies_online_and_the_application_waits_in_the_queue(resident):
    person = person_with_lost_card()

    answer = submit(person, resident, detail="再交付まで1か月かかります")

    assert (answer.needed, answer.code, answer.rules) == (True, "submitted", ("R-CERT-APPLY",))
    application = answer.application
    assert application.status == "submitted"
    assert (application.reason, application.channel) == ("myna_card_lost", "online")
    assert application.submitted_by == resident
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.person_id) == ("submit", resident, person.pk)
    assert event.detail == {"reason": "myna_card_lost", "channel": "online"}


def test_a_person_holding_a_usable_certificate_is_told_no_application_is_needed(resident):
    person = enrolled_person()
    CertificateFactory(person=person, issued_on=date(2025, 9, 1), valid_until=date(2027, 9, 30))

    answer = submit(person, resident, reason="needs_support")

    assert (answer.application, answer.needed, answer.code) == (None, False, "certificate_usable")
    assert answer.rules == ("R-CERT-VALID",)
    assert not CertificateApplication.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("reason", ["myna_card_lost", "paper_card_lost"])
def test_a_lost_card_application_while_the_my_number_card_works_is_not_needed(resident, reason):
    person = enrolled_person()
    MyNumberCardFactory(person=person)

    answer = submit(person, resident, reason=reason)

    assert (answer.needed, answer.code, answer.rules) == (False, "myna_usable", ("R-MYNA",))
    assert not CertificateApplication.objects.exists()


def test_a_second_open_application_is_refused(resident):
    person = person_with_lost_card()
    submit(person, resident)

    with pytest.raises(ValidationError) as refused:
        submit(person, resident, reason="needs_support")

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["already_open"]}
    assert CertificateApplication.objects.count() == 1


def test_the_database_itself_allows_one_open_application_per_person(resident):
    person = person_with_lost_card()
    submit(person, resident)

    with pytest.raises(IntegrityError), transaction.atomic():
        CertificateApplication.objects.create(person=person, reason="other", channel="counter")


def test_the_database_refuses_a_rejection_without_a_reason(resident):
    application = submit(person_with_lost_card(), resident).application
    application.status = "rejected"
    application.decided_at = timezone.now()

    with pytest.raises(IntegrityError), transaction.atomic():
        application.save()


def test_an_other_application_needs_a_detail(resident):
    with pytest.raises(ValidationError) as refused:
        submit(person_with_lost_card(), resident, reason="other", detail="  ")

    assert error_codes(refused.value) == {"detail": ["required"]}


def test_an_unknown_channel_is_refused_naming_channel(resident):
    with pytest.raises(ValidationError) as refused:
        submit(person_with_lost_card(), resident, channel="fax")

    assert error_codes(refused.value) == {"channel": ["invalid_choice"]}


def test_an_unknown_application_reason_is_refused_naming_reason(resident):
    with pytest.raises(ValidationError) as refused:
        submit(person_with_lost_card(), resident, reason="collector")

    assert error_codes(refused.value) == {"reason": ["invalid_choice"]}


def test_a_person_not_insured_cannot_apply(resident):
    person = InsuredPersonFactory()
    EnrolmentFactory(person=person, withdrawn=True)  # ended 2026-04-01

    with pytest.raises(ValidationError) as refused:
        submit(person, resident)

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["not_insured"]}


# --- approve / reject / withdraw ----------------------------------------------------------------


def test_approving_issues_the_certificate_in_the_same_transaction(resident, clerk):
    person = person_with_lost_card()
    application = submit(person, resident).application

    approved = approve_application(application=application, by=clerk, as_of=TODAY, counter=COUNTER)

    assert approved.status == "approved"
    assert approved.decided_by == clerk
    assert approved.decided_at is not None
    certificate = approved.certificate
    assert certificate.reason == "myna_card_lost"
    assert certificate.rule_ids == ["R-MYNA", "R-CERT-APPLY", "R-CERT-VALID"]
    assert person.certificates.get(voided_on__isnull=True) == certificate
    assert document_due(person=person, as_of=TODAY) is None
    actions = set(AuditEvent.objects.filter(counter=COUNTER).values_list("action", flat=True))
    assert actions == {"approve", "issue"}


def test_the_resident_sees_the_certificate_of_an_approved_application(resident, clerk):
    person = person_with_lost_card()
    application = submit(person, resident).application
    approve_application(application=application, by=clerk, as_of=TODAY)

    seen = person.certificate_applications.select_related("certificate").get()

    assert (seen.status, seen.certificate.number) == (
        CertificateApplication.Status.APPROVED,
        "2026-0000001",
    )


def test_approving_a_needs_support_application_registers_the_person_for_later_renewals(
    resident, clerk
):
    person = enrolled_person()
    application = submit(person, resident, reason="needs_support").application

    approved = approve_application(application=application, by=clerk, as_of=TODAY)

    person.refresh_from_db()
    assert person.needs_support is True
    assert approved.certificate.reason == "needs_support"
    # After this certificate ends, the next is due without a new application (R-CERT-APPLY).
    later = assess_person(person=person, as_of=approved.certificate.valid_until + timedelta(days=1))
    assert "needs_support" in {r.reason for r in later.applying_reasons}
    assert later.documents_due[0].on_application is False


def test_an_approval_that_cannot_issue_leaves_everything_as_it_was(resident, clerk):
    person = enrolled_person()
    application = submit(person, resident, reason="needs_support").application

    with pytest.raises(ValidationError) as refused:
        # The person's coverage has not begun on this day: no certificate can be issued.
        approve_application(application=application, by=clerk, as_of=date(2019, 1, 1))

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["not_insured"]}
    person.refresh_from_db()
    assert person.needs_support is False
    application.refresh_from_db()
    assert (application.status, application.certificate) == ("submitted", None)
    assert not Certificate.objects.exists()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["submit"]


def test_an_application_cannot_be_decided_twice(resident, clerk):
    application = submit(person_with_lost_card(), resident).application
    approve_application(application=application, by=clerk, as_of=TODAY)

    with pytest.raises(ValidationError) as refused:
        reject_application(application=application, reason="重複", by=clerk)

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["already_decided"]}


def test_rejecting_records_the_reason_the_resident_will_read(resident, clerk):
    application = submit(person_with_lost_card(), resident).application

    rejected = reject_application(
        application=application, reason="カードは有効と確認できました。", by=clerk
    )

    assert (rejected.status, rejected.rejection_reason) == (
        "rejected",
        "カードは有効と確認できました。",
    )
    assert rejected.decided_by == clerk
    event = AuditEvent.objects.get(action="reject")
    assert event.detail == {"fields": ["rejection_reason"]}


def test_a_rejection_without_a_reason_is_refused_naming_reason(resident, clerk):
    application = submit(person_with_lost_card(), resident).application

    with pytest.raises(ValidationError) as refused:
        reject_application(application=application, reason="   ", by=clerk)

    assert error_codes(refused.value) == {"reason": ["required"]}
    application.refresh_from_db()
    assert application.status == "submitted"


def test_a_withdrawn_application_lets_the_resident_apply_again(resident):
    person = person_with_lost_card()
    application = submit(person, resident).application

    withdrawn = withdraw_application(application=application, by=resident)

    assert withdrawn.status == "withdrawn"
    assert submit(person, resident, reason="needs_support").needed


# --- activation codes ---------------------------------------------------------------------------


def insured_number(person: InsuredPerson) -> str:
    return f"{person.household.symbol}-{person.household.number}-{person.branch}"


def test_an_activation_code_is_shown_once_and_only_its_hash_is_kept(clerk):
    person = enrolled_person()

    row, plain = issue_activation_code(person=person, by=clerk, counter=COUNTER)

    letters = re.escape(ACTIVATION_ALPHABET)
    assert re.fullmatch(rf"[{letters}]{{4}}-[{letters}]{{4}}-[{letters}]{{4}}", plain)
    assert row.code_hash == hashlib.sha256(plain.replace("-", "").encode()).hexdigest()
    assert row.expires_at - row.created_at == ACTIVATION_CODE_LIFETIME == timedelta(days=30)
    assert row.created_by == clerk
    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.counter) == (
        "issue",
        "sumida_kokuho.activationcode",
        COUNTER,
    )
    assert plain.replace("-", "") not in str(event.detail)


def test_codes_come_from_the_csprng_and_differ(clerk):
    person = enrolled_person()

    plains = {issue_activation_code(person=person, by=clerk)[1] for _ in range(20)}

    assert len(plains) == 20


def test_the_right_code_number_and_birth_date_redeem_the_code_once(clerk):
    person = enrolled_person()
    _row, plain = issue_activation_code(person=person, by=clerk)

    redeemed = redeem_activation_code(
        insured_number=insured_number(person), birth_date=person.birth_date, code=plain
    )

    assert redeemed == person
    assert ActivationCode.objects.get().used_at is not None
    assert AuditEvent.objects.filter(action="redeem", person_id=person.pk).count() == 1
    again = redeem_activation_code(
        insured_number=insured_number(person), birth_date=person.birth_date, code=plain
    )
    assert again is None


def test_a_code_typed_in_lower_case_full_width_or_without_hyphens_is_accepted(clerk):
    person = enrolled_person()
    _row, plain = issue_activation_code(person=person, by=clerk)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in plain.replace("-", "").lower())
    number = "".join(chr(ord(c) + 0xFEE0) for c in insured_number(person))

    redeemed = redeem_activation_code(
        insured_number=number, birth_date=person.birth_date, code=full_width
    )

    assert redeemed == person


@pytest.mark.parametrize("wrong", ["birth_date", "insured_number", "code"])
def test_any_wrong_part_gives_the_same_none_and_keeps_the_code_usable(clerk, wrong):
    person = enrolled_person()
    other = enrolled_person()
    _row, plain = issue_activation_code(person=person, by=clerk)
    attempt = {
        "insured_number": insured_number(person),
        "birth_date": person.birth_date,
        "code": plain,
    }
    attempt[wrong] = {
        "birth_date": date(1980, 5, 6),
        "insured_number": insured_number(other),
        "code": "2222-2222-2222",
    }[wrong]

    assert redeem_activation_code(**attempt) is None

    refusal = AuditEvent.objects.get(action="redeem_refused")
    assert refusal.detail["cause"] in {"identity_mismatch", "unknown_code"}
    assert ActivationCode.objects.get().used_at is None
    assert (
        redeem_activation_code(
            insured_number=insured_number(person), birth_date=person.birth_date, code=plain
        )
        == person
    )


def test_an_expired_code_is_refused(clerk):
    person = enrolled_person()
    _row, plain = issue_activation_code(person=person, by=clerk)

    redeemed = redeem_activation_code(
        insured_number=insured_number(person),
        birth_date=person.birth_date,
        code=plain,
        at=timezone.now() + ACTIVATION_CODE_LIFETIME + timedelta(seconds=1),
    )

    assert redeemed is None
    assert AuditEvent.objects.get(action="redeem_refused").detail == {"cause": "expired"}


def test_a_new_code_expires_the_unused_older_one(clerk):
    person = enrolled_person()
    _first, old_plain = issue_activation_code(person=person, by=clerk)
    _second, new_plain = issue_activation_code(person=person, by=clerk)
    details = {"insured_number": insured_number(person), "birth_date": person.birth_date}

    assert redeem_activation_code(**details, code=old_plain) is None
    assert redeem_activation_code(**details, code=new_plain) == person
    assert AuditEvent.objects.filter(action="issue").last().detail == {"expired_codes": 0}
    assert AuditEvent.objects.filter(action="issue").first().detail == {"expired_codes": 1}
