"""cards.services and notices.services: issuing, reissuing and voiding 資格確認書, and handing out
資格情報のお知らせ — reasons, validity, printed ratio, numbers, idempotency, audit and rollback."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from cards.models import Certificate, DocumentCounter
from cards.services import fiscal_year_of, issue_certificate, void_certificate
from eligibility.models import InsuredPerson
from eligibility.rules.validity import certificate_validity
from eligibility.services import document_due
from notices.models import Notice
from notices.services import hand_out_notice
from sumida_kokuho import audit
from sumida_kokuho.models import AuditEvent
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    InsuredPersonFactory,
    MyNumberCardFactory,
    PaperCardFactory,
    PremiumArrearsFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

COUNTER = "本庁舎1番窓口"
TODAY = date(2026, 11, 26)


@pytest.fixture
def clerk():
    return StaffUserFactory()


def enrolled_person(
    enrolled_on: date = date(2020, 4, 1), birth_date: date = date(1980, 5, 5), **kwargs
) -> InsuredPerson:
    person = InsuredPersonFactory(birth_date=birth_date, **kwargs)
    EnrolmentFactory(person=person, enrolled_on=enrolled_on)
    return person


def error_codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in error.error_dict.items()}


def fail_on(monkeypatch, action: str) -> None:
    original = audit.record

    def failing(**kwargs):
        if kwargs["action"] == action:
            raise RuntimeError("the audit trail is unavailable")
        return original(**kwargs)

    monkeypatch.setattr(audit, "record", failing)


# --- issue_certificate --------------------------------------------------------------------------


def test_a_new_enrolment_certificate_records_reason_rules_validity_and_issuer(clerk):
    person = enrolled_person(enrolled_on=date(2026, 11, 1))

    certificate = issue_certificate(person=person, by=clerk, as_of=TODAY, counter=COUNTER)

    assert certificate.reason == "new_enrolment"
    assert certificate.issued_on == TODAY
    assert certificate.valid_until == certificate_validity(person.birth_date, TODAY).valid_until
    assert certificate.valid_until == date(2027, 9, 30)
    assert certificate.rule_ids == ["R-PAPER-STOP", "R-CERT-WHO", "R-CERT-VALID"]
    assert certificate.burden_ratio is None  # under 70: not printed
    assert certificate.special_medical_expenses is False
    assert certificate.issued_by == clerk
    assert certificate.number == "2026-0000001"


def test_after_issuing_nothing_is_due_any_more(clerk):
    person = enrolled_person(enrolled_on=date(2026, 11, 1))
    assert document_due(person=person, as_of=TODAY).reason == "new_enrolment"

    issue_certificate(person=person, by=clerk, as_of=TODAY)

    assert document_due(person=person, as_of=TODAY) is None


def test_issuing_is_audited_with_the_counter_in_the_same_transaction(clerk):
    person = enrolled_person(enrolled_on=date(2026, 11, 1))

    certificate = issue_certificate(person=person, by=clerk, as_of=TODAY, counter=COUNTER)

    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.object_id) == (
        "issue",
        "cards.certificate",
        str(certificate.pk),
    )
    assert (event.actor, event.counter, event.person_id) == (clerk, COUNTER, person.pk)
    assert event.detail == {
        "number": certificate.number,
        "reason": "new_enrolment",
        "replaces": None,
    }


def test_pressing_issue_twice_on_the_same_day_gives_the_same_certificate(clerk):
    person = enrolled_person(enrolled_on=date(2026, 11, 1))

    first = issue_certificate(person=person, by=clerk, as_of=TODAY)
    second = issue_certificate(person=person, by=StaffUserFactory(), as_of=TODAY)
    third = issue_certificate(person=person, by=clerk, as_of=TODAY, reason="new_enrolment")

    assert first == second == third
    assert Certificate.objects.count() == 1
    assert AuditEvent.objects.filter(action="issue").count() == 1


def test_a_reissue_for_another_reason_voids_the_certificate_in_force(clerk):
    person = enrolled_person(enrolled_on=date(2026, 11, 1))
    first = issue_certificate(person=person, by=clerk, as_of=date(2026, 11, 2))

    second = issue_certificate(person=person, by=clerk, as_of=TODAY, reason="other")

    first.refresh_from_db()
    assert (first.voided_on, first.void_reason) == (TODAY, "reissued")
    assert second.number == "2026-0000002"
    assert person.certificates.get(voided_on__isnull=True) == second
    assert AuditEvent.objects.get(action="void").detail == {
        "void_reason": "reissued",
        "replaced_by": second.number,
    }


def test_a_certificate_near_its_expiry_is_renewed(clerk):
    person = enrolled_person()
    old = CertificateFactory(
        person=person, issued_on=date(2025, 9, 1), valid_until=date(2027, 9, 30)
    )
    as_of = date(2027, 8, 15)
    assert document_due(person=person, as_of=as_of).reason == "certificate_expiry"

    new = issue_certificate(person=person, by=clerk, as_of=as_of)

    old.refresh_from_db()
    assert (old.voided_on, old.void_reason) == (as_of, "renewed")
    assert new.reason == "certificate_expiry"
    assert new.valid_until == date(2029, 9, 30)
    assert new.number == "2027-0000001"
    assert document_due(person=person, as_of=as_of) is None


def test_a_certificate_replacing_an_expiring_paper_card_counts_its_validity_from_after_it(clerk):
    person = enrolled_person()
    PaperCardFactory(person=person)  # valid to 2025-09-30
    as_of = date(2025, 8, 15)

    certificate = issue_certificate(person=person, by=clerk, as_of=as_of)

    assert certificate.reason == "paper_card_expiry"
    # Taking effect on 2025-10-01, the ward's two-year cycle runs to 2027-09-30.
    assert certificate.valid_until == date(2027, 9, 30)
    assert certificate.number == "2025-0000001"


def test_a_turns_70_certificate_starts_from_the_elderly_rates_and_prints_the_ratio(clerk):
    # Reaches 70 on 2026-12-14: 2割 from 2027-01-01 (R-AGE70, R-RATIO).
    person = enrolled_person(birth_date=date(1956, 12, 15))
    old = CertificateFactory(
        person=person, issued_on=date(2025, 9, 1), valid_until=date(2026, 12, 31)
    )
    as_of = date(2026, 12, 20)

    certificate = issue_certificate(person=person, by=clerk, as_of=as_of)

    assert certificate.reason == "turns_70"
    assert certificate.issued_on == as_of
    # Valid to the 31 July after it takes effect on 2027-01-01.
    assert certificate.valid_until == date(2027, 7, 31)
    assert certificate.burden_ratio == 20
    assert "R-AGE70" in certificate.rule_ids
    old.refresh_from_db()
    assert old.void_reason == "renewed"


def test_an_active_level_70_year_old_gets_3_wari_printed(clerk):
    from tests.factories import BurdenDeterminationFactory

    person = enrolled_person(birth_date=date(1954, 6, 10))
    BurdenDeterminationFactory(
        household=person.household, effective_from=date(2026, 8, 1), category="active"
    )

    certificate = issue_certificate(person=person, by=clerk, as_of=TODAY)

    assert certificate.burden_ratio == 30


def test_arrears_of_over_a_year_print_special_medical_expenses(clerk):
    person = enrolled_person()
    PremiumArrearsFactory(household=person.household, since=date(2024, 4, 30))

    certificate = issue_certificate(person=person, by=clerk, as_of=TODAY)

    assert certificate.special_medical_expenses is True


def test_a_recorded_withdrawal_ends_the_certificate_the_day_before(clerk):
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5))
    EnrolmentFactory(
        person=person,
        enrolled_on=date(2026, 11, 1),
        withdrawn_on=date(2027, 3, 1),
        withdrawal_reason="move_out",
    )

    certificate = issue_certificate(person=person, by=clerk, as_of=TODAY)

    assert certificate.valid_until == date(2027, 2, 28)


def test_a_person_with_a_working_my_number_card_may_still_get_one_as_other(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person)
    assert document_due(person=person, as_of=TODAY) is None

    certificate = issue_certificate(person=person, by=clerk, as_of=TODAY)

    assert certificate.reason == "other"
    assert certificate.rule_ids == ["R-CERT-VALID"]


def test_a_requested_reason_takes_the_rules_that_apply(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person, card_status="lost")

    certificate = issue_certificate(person=person, by=clerk, as_of=TODAY, reason="myna_card_lost")

    assert certificate.rule_ids == ["R-MYNA", "R-CERT-APPLY", "R-CERT-VALID"]


def test_a_person_not_insured_on_the_day_is_refused_and_nothing_is_written(clerk):
    person = enrolled_person(enrolled_on=date(2026, 12, 1))

    with pytest.raises(ValidationError) as refused:
        issue_certificate(person=person, by=clerk, as_of=TODAY)

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["not_insured"]}
    assert not Certificate.objects.exists()
    assert not DocumentCounter.objects.exists()
    assert not AuditEvent.objects.exists()


def test_a_person_without_any_enrolment_is_refused_as_not_insured(clerk):
    person = InsuredPersonFactory()

    with pytest.raises(ValidationError) as refused:
        issue_certificate(person=person, by=clerk, as_of=TODAY)

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["not_insured"]}


def test_an_unknown_reason_is_refused_naming_reason(clerk):
    person = enrolled_person()

    with pytest.raises(ValidationError) as refused:
        issue_certificate(person=person, by=clerk, as_of=TODAY, reason="because")

    assert error_codes(refused.value) == {"reason": ["invalid_choice"]}


def test_a_failed_issue_keeps_the_old_certificate_and_gives_its_number_back(clerk, monkeypatch):
    person = enrolled_person()
    old = CertificateFactory(person=person, issued_on=date(2025, 9, 1))
    fail_on(monkeypatch, "issue")

    with pytest.raises(RuntimeError):
        issue_certificate(person=person, by=clerk, as_of=TODAY, reason="other")

    old.refresh_from_db()
    assert old.voided_on is None
    assert Certificate.objects.count() == 1
    assert not DocumentCounter.objects.filter(last_value__gt=0).exists()
    assert not AuditEvent.objects.exists()
    monkeypatch.undo()
    assert issue_certificate(person=person, by=clerk, as_of=TODAY, reason="other").number == (
        "2026-0000001"
    )


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "fiscal_year"),
    [(date(2026, 4, 1), 2026), (date(2027, 3, 31), 2026), (date(2027, 1, 1), 2026)],
)
def test_the_fiscal_year_starts_on_1_april(day, fiscal_year):
    assert fiscal_year_of(day) == fiscal_year


def test_numbers_count_up_within_a_fiscal_year_and_restart_in_the_next(clerk):
    people = [enrolled_person() for _ in range(3)]

    numbers = [
        issue_certificate(person=people[0], by=clerk, as_of=date(2027, 3, 30)).number,
        issue_certificate(person=people[1], by=clerk, as_of=date(2027, 3, 31)).number,
        issue_certificate(person=people[2], by=clerk, as_of=date(2027, 4, 1)).number,
    ]

    assert numbers == ["2026-0000001", "2026-0000002", "2027-0000001"]
    assert all(re.fullmatch(r"\d{4}-\d{7}", n) for n in numbers)


# --- void_certificate ---------------------------------------------------------------------------


def test_voiding_a_certificate_stops_it_being_usable_and_is_audited(clerk):
    person = enrolled_person()
    certificate = CertificateFactory(person=person, issued_on=date(2025, 9, 1))

    voided = void_certificate(
        certificate=certificate, reason="lost", by=clerk, on=TODAY, counter=COUNTER
    )

    assert (voided.voided_on, voided.void_reason) == (TODAY, "lost")
    event = AuditEvent.objects.get()
    assert (event.action, event.counter, event.detail) == ("void", COUNTER, {"void_reason": "lost"})
    from eligibility.services import assess_person

    assert assess_person(person=person, as_of=TODAY).proofs.certificate.reason == "none"


def test_voiding_twice_is_refused(clerk):
    certificate = CertificateFactory(person=enrolled_person(), issued_on=date(2025, 9, 1))
    void_certificate(certificate=certificate, reason="lost", by=clerk, on=TODAY)

    with pytest.raises(ValidationError) as refused:
        void_certificate(certificate=certificate, reason="other", by=clerk, on=TODAY)

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["already_void"]}
    assert AuditEvent.objects.filter(action="void").count() == 1


def test_voiding_before_the_issue_day_is_refused_naming_on(clerk):
    certificate = CertificateFactory(person=enrolled_person(), issued_on=date(2025, 9, 1))

    with pytest.raises(ValidationError) as refused:
        void_certificate(certificate=certificate, reason="lost", by=clerk, on=date(2025, 8, 31))

    assert error_codes(refused.value) == {"on": ["before_issue"]}
    certificate.refresh_from_db()
    assert certificate.voided_on is None


def test_an_unknown_void_reason_is_refused_naming_reason(clerk):
    certificate = CertificateFactory(person=enrolled_person())

    with pytest.raises(ValidationError) as refused:
        void_certificate(certificate=certificate, reason="bored", by=clerk)

    assert error_codes(refused.value) == {"reason": ["invalid_choice"]}


# --- hand_out_notice ----------------------------------------------------------------------------


def test_a_new_enrolment_notice_is_handed_out_and_nothing_is_due_after(clerk):
    person = enrolled_person(enrolled_on=date(2026, 11, 1))
    MyNumberCardFactory(person=person)
    assert document_due(person=person, as_of=TODAY).reason == "new_enrolment"

    notice = hand_out_notice(person=person, by=clerk, as_of=TODAY, counter=COUNTER)

    assert (notice.reason, notice.issued_on, notice.issued_by) == ("new_enrolment", TODAY, clerk)
    assert notice.rule_ids == ["R-PAPER-STOP", "R-NOTICE-WHO"]
    assert notice.burden_ratio is None
    assert document_due(person=person, as_of=TODAY) is None
    event = AuditEvent.objects.get()
    assert (event.action, event.object_type, event.counter) == ("issue", "notices.notice", COUNTER)


def test_handing_out_twice_on_the_same_day_gives_the_same_notice(clerk):
    person = enrolled_person(enrolled_on=date(2026, 11, 1))
    MyNumberCardFactory(person=person)

    first = hand_out_notice(person=person, by=clerk, as_of=TODAY)
    second = hand_out_notice(person=person, by=clerk, as_of=TODAY)

    assert first == second
    assert Notice.objects.count() == 1
    assert AuditEvent.objects.count() == 1


def test_a_turns_70_notice_prints_the_ratio_from_the_next_month(clerk):
    person = enrolled_person(birth_date=date(1956, 12, 15))
    MyNumberCardFactory(person=person)

    notice = hand_out_notice(person=person, by=clerk, as_of=date(2026, 12, 20))

    assert notice.reason == "turns_70"
    assert notice.burden_ratio == 20


def test_a_notice_prints_the_ratio_only_for_70_to_74(clerk):
    elderly = enrolled_person(birth_date=date(1954, 6, 10))
    younger = enrolled_person(birth_date=date(1960, 6, 10))
    for person in (elderly, younger):
        MyNumberCardFactory(person=person)

    assert hand_out_notice(person=elderly, by=clerk, as_of=TODAY).burden_ratio == 20
    assert hand_out_notice(person=younger, by=clerk, as_of=TODAY).burden_ratio is None


def test_a_notice_without_a_reason_due_is_recorded_as_other(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person)

    notice = hand_out_notice(person=person, by=clerk, as_of=TODAY)

    assert (notice.reason, notice.rule_ids) == ("other", ["R-NOTICE-WHO"])


def test_a_notice_for_a_person_not_insured_is_refused(clerk):
    person = enrolled_person(enrolled_on=date(2026, 12, 1))

    with pytest.raises(ValidationError) as refused:
        hand_out_notice(person=person, by=clerk, as_of=TODAY)

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["not_insured"]}
    assert not Notice.objects.exists()


def test_a_notice_with_an_unknown_reason_is_refused_naming_reason(clerk):
    with pytest.raises(ValidationError) as refused:
        hand_out_notice(person=enrolled_person(), by=clerk, as_of=TODAY, reason="whim")

    assert error_codes(refused.value) == {"reason": ["invalid_choice"]}


def test_a_notice_whose_audit_fails_is_not_saved(clerk, monkeypatch):
    person = enrolled_person()
    fail_on(monkeypatch, "issue")

    with pytest.raises(RuntimeError):
        hand_out_notice(person=person, by=clerk, as_of=TODAY)

    assert not Notice.objects.exists()
