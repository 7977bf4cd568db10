"""eligibility.services: enrolment, withdrawal and the life events, each saved atomically with its
audit events, refused with a field-naming error, and followed by the re-assessment."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from cards.models import Certificate, MyNumberCard, PaperCard
from eligibility import services
from eligibility.models import Enrolment, Household, InsuredPerson, LifeEvent
from eligibility.rules.facts import DocumentKind
from sumida_kokuho import audit
from sumida_kokuho.models import AuditEvent
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    HouseholdFactory,
    InsuredPersonFactory,
    MyNumberCardFactory,
    PaperCardFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db

COUNTER = "本庁舎1番窓口"


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
    """Make audit.record raise when the service logs `action`: everything before must roll back."""
    original = audit.record

    def failing(**kwargs):
        if kwargs["action"] == action:
            raise RuntimeError("the audit trail is unavailable")
        return original(**kwargs)

    monkeypatch.setattr(audit, "record", failing)


# --- enrol_person -------------------------------------------------------------------------------


def test_enrolling_opens_a_period_audits_it_and_offers_the_new_enrolment_certificate(clerk):
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5))

    result = services.enrol_person(
        person=person,
        enrolled_on=date(2026, 11, 1),
        reason=Enrolment.Reason.MOVE_IN,
        by=clerk,
        counter=COUNTER,
        as_of=date(2026, 11, 26),
    )

    assert result.row.enrolled_on == date(2026, 11, 1)
    assert result.row.reason == "move_in"
    assert result.assessment.insured
    assert result.document_due.document is DocumentKind.CERTIFICATE
    assert result.document_due.reason == "new_enrolment"
    event = AuditEvent.objects.get(action="enrol")
    assert (event.actor, event.counter, event.person_id) == (clerk, COUNTER, person.pk)
    assert event.object_id == str(result.row.pk)
    assert event.detail == {"reason": "move_in"}


def test_a_my_number_card_holder_who_enrols_is_offered_a_notice(clerk):
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5))
    MyNumberCardFactory(person=person)

    result = services.enrol_person(
        person=person,
        enrolled_on=date(2026, 11, 1),
        reason=Enrolment.Reason.JOB_LOSS,
        by=clerk,
        as_of=date(2026, 11, 26),
    )

    assert result.document_due.document is DocumentKind.NOTICE
    assert result.document_due.reason == "new_enrolment"


def test_an_enrolment_overlapping_an_open_period_is_refused_and_nothing_is_written(clerk):
    person = enrolled_person()

    with pytest.raises(ValidationError) as refused:
        services.enrol_person(
            person=person, enrolled_on=date(2026, 11, 1), reason="move_in", by=clerk
        )

    assert error_codes(refused.value) == {"enrolled_on": ["overlap"]}
    assert person.enrolments.count() == 1
    assert not AuditEvent.objects.exists()


def test_an_enrolment_overlapping_a_closed_period_is_refused(clerk):
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5))
    EnrolmentFactory(person=person, enrolled_on=date(2020, 4, 1), withdrawn=True)  # to 2026-04-01

    with pytest.raises(ValidationError) as refused:
        services.enrol_person(
            person=person, enrolled_on=date(2026, 3, 31), reason="move_in", by=clerk
        )

    assert error_codes(refused.value) == {"enrolled_on": ["overlap"]}


def test_a_new_period_may_start_on_the_day_the_last_one_ended(clerk):
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5))
    EnrolmentFactory(person=person, enrolled_on=date(2020, 4, 1), withdrawn=True)  # to 2026-04-01

    result = services.enrol_person(
        person=person,
        enrolled_on=date(2026, 4, 1),
        reason="job_loss",
        by=clerk,
        as_of=date(2026, 4, 2),
    )

    assert result.assessment.insured
    assert person.enrolments.count() == 2


def test_an_enrolment_before_birth_is_refused(clerk):
    person = InsuredPersonFactory(birth_date=date(2026, 10, 1))

    with pytest.raises(ValidationError) as refused:
        services.enrol_person(
            person=person, enrolled_on=date(2026, 9, 30), reason="birth", by=clerk
        )

    assert error_codes(refused.value) == {"enrolled_on": ["before_birth"]}


def test_an_enrolment_from_the_75th_birthday_is_refused_as_late_elderly_care(clerk):
    person = InsuredPersonFactory(birth_date=date(1951, 6, 1))

    with pytest.raises(ValidationError) as refused:
        services.enrol_person(person=person, enrolled_on=date(2026, 6, 1), reason="other", by=clerk)

    assert error_codes(refused.value) == {"enrolled_on": ["late_elderly"]}


def test_an_unknown_enrolment_reason_is_refused(clerk):
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5))

    with pytest.raises(ValidationError) as refused:
        services.enrol_person(
            person=person, enrolled_on=date(2026, 11, 1), reason="lottery", by=clerk
        )

    assert error_codes(refused.value) == {"reason": ["invalid_choice"]}


def test_a_failed_enrolment_audit_leaves_no_enrolment(clerk, monkeypatch):
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5))
    fail_on(monkeypatch, "enrol")

    with pytest.raises(RuntimeError):
        services.enrol_person(
            person=person, enrolled_on=date(2026, 11, 1), reason="move_in", by=clerk
        )

    assert not person.enrolments.exists()


# --- withdraw_person ----------------------------------------------------------------------------


def test_withdrawing_ends_coverage_invalidates_the_paper_card_and_voids_the_certificate(clerk):
    person = enrolled_person()
    card = PaperCardFactory(person=person)  # 2024-10-01 to 2025-09-30
    certificate = CertificateFactory(
        person=person, issued_on=date(2025, 3, 1), valid_until=date(2027, 9, 30)
    )

    result = services.withdraw_person(
        person=person,
        withdrawn_on=date(2025, 6, 1),
        reason=Enrolment.WithdrawalReason.EMPLOYMENT,
        by=clerk,
        counter=COUNTER,
        as_of=date(2025, 6, 1),
    )

    assert (result.row.withdrawn_on, result.row.withdrawal_reason) == (
        date(2025, 6, 1),
        "employment",
    )
    assert not result.assessment.insured
    assert result.document_due is None
    card.refresh_from_db()
    assert (card.invalidated_on, card.invalidated_reason) == (date(2025, 6, 1), "withdrawn")
    certificate.refresh_from_db()
    assert (certificate.voided_on, certificate.void_reason) == (date(2025, 6, 1), "withdrawn")
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == [
        "invalidate",
        "void",
        "withdraw",
    ]
    assert set(AuditEvent.objects.values_list("counter", flat=True)) == {COUNTER}


def test_a_certificate_issued_after_the_withdrawal_date_is_voided_on_its_issue_day(clerk):
    person = enrolled_person()
    certificate = CertificateFactory(
        person=person, issued_on=date(2026, 5, 1), valid_until=date(2027, 9, 30)
    )

    services.withdraw_person(
        person=person, withdrawn_on=date(2026, 4, 1), reason="move_out", by=clerk
    )

    certificate.refresh_from_db()
    assert certificate.voided_on == date(2026, 5, 1)


def test_a_withdrawal_before_the_enrolment_is_refused_naming_withdrawn_on(clerk):
    person = enrolled_person(enrolled_on=date(2026, 4, 1))

    with pytest.raises(ValidationError) as refused:
        services.withdraw_person(
            person=person, withdrawn_on=date(2026, 3, 31), reason="move_out", by=clerk
        )

    assert error_codes(refused.value) == {"withdrawn_on": ["before_enrolment"]}
    assert person.enrolments.get().withdrawn_on is None
    assert not AuditEvent.objects.exists()


def test_a_withdrawal_on_the_enrolment_day_is_accepted(clerk):
    person = enrolled_person(enrolled_on=date(2026, 4, 1))

    result = services.withdraw_person(
        person=person, withdrawn_on=date(2026, 4, 1), reason="other", by=clerk
    )

    assert result.row.withdrawn_on == date(2026, 4, 1)


def test_withdrawing_a_person_without_an_open_period_is_refused(clerk):
    person = InsuredPersonFactory()
    EnrolmentFactory(person=person, withdrawn=True)

    with pytest.raises(ValidationError) as refused:
        services.withdraw_person(
            person=person, withdrawn_on=date(2026, 11, 1), reason="move_out", by=clerk
        )

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["no_open_enrolment"]}


def test_an_unknown_withdrawal_reason_is_refused(clerk):
    person = enrolled_person()

    with pytest.raises(ValidationError) as refused:
        services.withdraw_person(
            person=person, withdrawn_on=date(2026, 11, 1), reason="holiday", by=clerk
        )

    assert error_codes(refused.value) == {"reason": ["invalid_choice"]}


def test_a_withdrawal_that_fails_at_the_last_step_leaves_nothing_half_written(clerk, monkeypatch):
    person = enrolled_person()
    card = PaperCardFactory(person=person)
    certificate = CertificateFactory(
        person=person, issued_on=date(2025, 3, 1), valid_until=date(2027, 9, 30)
    )
    fail_on(monkeypatch, "void")  # after the enrolment and the paper card were written

    with pytest.raises(RuntimeError):
        services.withdraw_person(
            person=person, withdrawn_on=date(2025, 6, 1), reason="move_out", by=clerk
        )

    assert person.enrolments.get().withdrawn_on is None
    card.refresh_from_db()
    assert card.invalidated_on is None
    certificate.refresh_from_db()
    assert certificate.voided_on is None
    assert not AuditEvent.objects.exists()


# --- record_address_change ----------------------------------------------------------------------


def household_of_three() -> tuple[Household, InsuredPerson, InsuredPerson, InsuredPerson]:
    """A householder with マイナ保険証, a spouse without, and a child enrolled later."""
    household = HouseholdFactory(postal_code="130-0001", address="東京都墨田区吾妻橋一丁目1番1号")
    holder = enrolled_person(household=household, birth_date=date(1975, 1, 10))
    MyNumberCardFactory(person=holder)
    spouse = enrolled_person(household=household, birth_date=date(1977, 2, 20))
    child = enrolled_person(
        household=household, birth_date=date(2025, 4, 1), enrolled_on=date(2025, 4, 1)
    )
    for member in (holder, spouse):
        PaperCardFactory(person=member)  # 2024-10-01 to 2025-09-30
    return household, holder, spouse, child


def test_an_address_change_moves_the_household_and_writes_an_event_per_insured_member(clerk):
    household, holder, spouse, child = household_of_three()

    result = services.record_address_change(
        household=household,
        occurred_on=date(2025, 3, 10),
        postal_code="131-0045",
        address="東京都墨田区押上一丁目1番2号",
        by=clerk,
        counter=COUNTER,
        as_of=date(2025, 3, 12),
    )

    household.refresh_from_db()
    assert (household.postal_code, household.address) == (
        "131-0045",
        "東京都墨田区押上一丁目1番2号",
    )
    # The child was not yet insured on 2025-03-10.
    assert [r.person for r in result.members] == [holder, spouse]
    event = LifeEvent.objects.get(person=spouse)
    assert (event.kind, event.occurred_on, event.recorded_by) == (
        "address_change",
        date(2025, 3, 10),
        clerk,
    )
    assert event.details == {
        "old": {"postal_code": "130-0001", "address": "東京都墨田区吾妻橋一丁目1番1号"},
        "new": {"postal_code": "131-0045", "address": "東京都墨田区押上一丁目1番2号"},
    }
    assert not LifeEvent.objects.filter(person=child).exists()


def test_an_address_change_invalidates_paper_cards_and_makes_contents_changed_due(clerk):
    household, holder, spouse, _child = household_of_three()

    result = services.record_address_change(
        household=household,
        occurred_on=date(2025, 3, 10),
        postal_code="131-0045",
        address="東京都墨田区押上一丁目1番2号",
        by=clerk,
        as_of=date(2025, 3, 12),
    )

    cards = PaperCard.objects.filter(person__in=[holder, spouse])
    assert {(c.invalidated_on, c.invalidated_reason) for c in cards} == {
        (date(2025, 3, 10), "contents_changed")
    }
    due = {r.person: r.document_due for r in result.members}
    assert (due[holder].document, due[holder].reason) == (DocumentKind.NOTICE, "contents_changed")
    assert (due[spouse].document, due[spouse].reason) == (
        DocumentKind.CERTIFICATE,
        "contents_changed",
    )


def test_an_address_change_is_audited_for_the_household_each_event_and_each_card(clerk):
    household, holder, spouse, _child = household_of_three()

    services.record_address_change(
        household=household,
        occurred_on=date(2025, 3, 10),
        postal_code="131-0045",
        address="東京都墨田区押上一丁目1番2号",
        by=clerk,
        counter=COUNTER,
    )

    actions = sorted(AuditEvent.objects.values_list("action", "object_type"))
    assert actions == [
        ("change", "eligibility.household"),
        ("invalidate", "cards.papercard"),
        ("invalidate", "cards.papercard"),
        ("record_event", "eligibility.lifeevent"),
        ("record_event", "eligibility.lifeevent"),
    ]
    # The trail names fields, not the addresses themselves.
    assert "押上" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_a_malformed_postal_code_is_refused_naming_it_and_nothing_moves(clerk):
    household, *_ = household_of_three()

    with pytest.raises(ValidationError) as refused:
        services.record_address_change(
            household=household,
            occurred_on=date(2025, 3, 10),
            postal_code="1310045",
            address="東京都墨田区押上一丁目1番2号",
            by=clerk,
        )

    assert set(refused.value.error_dict) == {"postal_code"}
    household.refresh_from_db()
    assert household.postal_code == "130-0001"
    assert not LifeEvent.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_empty_address_is_refused_naming_it(clerk):
    household, *_ = household_of_three()

    with pytest.raises(ValidationError) as refused:
        services.record_address_change(
            household=household,
            occurred_on=date(2025, 3, 10),
            postal_code="131-0045",
            address="  ",
            by=clerk,
        )

    assert error_codes(refused.value) == {"address": ["required"]}


def test_moving_to_the_same_address_is_refused(clerk):
    household, *_ = household_of_three()

    with pytest.raises(ValidationError) as refused:
        services.record_address_change(
            household=household,
            occurred_on=date(2025, 3, 10),
            postal_code="130-0001",
            address="東京都墨田区吾妻橋一丁目1番1号",
            by=clerk,
        )

    assert error_codes(refused.value) == {"address": ["unchanged"]}


def test_an_address_change_older_than_one_recorded_is_refused(clerk):
    household, *_ = household_of_three()
    services.record_address_change(
        household=household,
        occurred_on=date(2026, 6, 1),
        postal_code="131-0045",
        address="東京都墨田区押上一丁目1番2号",
        by=clerk,
    )

    with pytest.raises(ValidationError) as refused:
        services.record_address_change(
            household=household,
            occurred_on=date(2026, 5, 1),
            postal_code="131-0033",
            address="東京都墨田区向島一丁目1番1号",
            by=clerk,
        )

    assert error_codes(refused.value) == {"occurred_on": ["out_of_order"]}


def test_an_address_change_failing_at_its_last_event_rolls_back_the_household(clerk, monkeypatch):
    household, *_ = household_of_three()
    fail_on(monkeypatch, "invalidate")

    with pytest.raises(RuntimeError):
        services.record_address_change(
            household=household,
            occurred_on=date(2025, 3, 10),
            postal_code="131-0045",
            address="東京都墨田区押上一丁目1番2号",
            by=clerk,
        )

    household.refresh_from_db()
    assert household.address == "東京都墨田区吾妻橋一丁目1番1号"
    assert not LifeEvent.objects.exists()
    assert not PaperCard.objects.filter(invalidated_on__isnull=False).exists()
    assert not AuditEvent.objects.exists()


# --- record_householder_change ------------------------------------------------------------------


def test_a_householder_change_switches_the_head_and_writes_events_for_insured_members(clerk):
    household, holder, spouse, child = household_of_three()

    result = services.record_householder_change(
        household=household,
        new_householder=spouse,
        occurred_on=date(2025, 3, 10),
        by=clerk,
        counter=COUNTER,
        as_of=date(2025, 3, 12),
    )

    household.refresh_from_db()
    assert household.householder == spouse
    spouse.refresh_from_db()
    holder.refresh_from_db()
    assert spouse.relation == InsuredPerson.Relation.HOUSEHOLDER
    assert holder.relation == InsuredPerson.Relation.OTHER
    assert [r.person for r in result.members] == [holder, spouse]
    assert LifeEvent.objects.get(person=spouse).details == {
        "old_householder_id": holder.pk,
        "new_householder_id": spouse.pk,
    }
    assert {r.document_due.reason for r in result.members} == {"contents_changed"}
    assert not PaperCard.objects.filter(invalidated_on__isnull=True).exists()


def test_a_householder_from_another_household_is_refused_naming_new_householder(clerk):
    household, *_ = household_of_three()
    stranger = enrolled_person()

    with pytest.raises(ValidationError) as refused:
        services.record_householder_change(
            household=household, new_householder=stranger, occurred_on=date(2025, 3, 10), by=clerk
        )

    assert error_codes(refused.value) == {"new_householder": ["not_a_member"]}
    household.refresh_from_db()
    assert household.householder != stranger
    assert not AuditEvent.objects.exists()


def test_naming_the_current_householder_again_is_refused(clerk):
    household, holder, *_ = household_of_three()

    with pytest.raises(ValidationError) as refused:
        services.record_householder_change(
            household=household, new_householder=holder, occurred_on=date(2025, 3, 10), by=clerk
        )

    assert error_codes(refused.value) == {"new_householder": ["unchanged"]}


# --- record_paper_card_lost ---------------------------------------------------------------------


def test_a_lost_paper_card_is_invalidated_and_a_certificate_is_due_on_application(clerk):
    person = enrolled_person()
    card = PaperCardFactory(person=person)

    result = services.record_paper_card_lost(
        person=person, occurred_on=date(2025, 5, 1), by=clerk, as_of=date(2025, 5, 2)
    )

    assert (result.row.kind, result.row.recorded_by) == ("paper_card_lost", clerk)
    card.refresh_from_db()
    assert (card.invalidated_on, card.invalidated_reason) == (date(2025, 5, 1), "lost")
    due = result.document_due
    assert (due.document, due.reason, due.on_application) == (
        DocumentKind.CERTIFICATE,
        "paper_card_lost",
        True,
    )
    assert AuditEvent.objects.filter(action="record_event", person_id=person.pk).count() == 1


def test_losing_a_paper_card_never_issued_is_refused_naming_occurred_on(clerk):
    person = enrolled_person()

    with pytest.raises(ValidationError) as refused:
        services.record_paper_card_lost(person=person, occurred_on=date(2025, 5, 1), by=clerk)

    assert error_codes(refused.value) == {"occurred_on": ["no_paper_card"]}
    assert not LifeEvent.objects.exists()


def test_a_paper_card_lost_while_not_insured_is_refused(clerk):
    person = enrolled_person(enrolled_on=date(2025, 6, 1))
    PaperCardFactory(person=person)

    with pytest.raises(ValidationError) as refused:
        services.record_paper_card_lost(person=person, occurred_on=date(2025, 5, 1), by=clerk)

    assert error_codes(refused.value) == {"occurred_on": ["not_insured"]}


def test_a_paper_card_cannot_be_reported_lost_twice(clerk):
    person = enrolled_person()
    PaperCardFactory(person=person)
    services.record_paper_card_lost(person=person, occurred_on=date(2025, 5, 1), by=clerk)

    with pytest.raises(ValidationError) as refused:
        services.record_paper_card_lost(person=person, occurred_on=date(2025, 5, 3), by=clerk)

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["already_lost"]}


# --- the My Number card -------------------------------------------------------------------------


def test_a_lost_my_number_card_is_marked_lost_and_a_certificate_is_due_on_application(clerk):
    person = enrolled_person()
    card = MyNumberCardFactory(person=person)

    result = services.record_myna_card_lost(
        person=person, occurred_on=date(2026, 11, 20), by=clerk, as_of=date(2026, 11, 26)
    )

    card.refresh_from_db()
    assert (card.card_status, card.status_changed_on) == ("lost", date(2026, 11, 20))
    assert result.assessment.proofs.myna.reason == "card_not_valid"
    due = result.document_due
    assert (due.document, due.reason, due.on_application) == (
        DocumentKind.CERTIFICATE,
        "myna_card_lost",
        True,
    )
    assert sorted(AuditEvent.objects.values_list("action", flat=True)) == [
        "change",
        "record_event",
    ]


def test_a_lost_card_the_ward_had_no_record_of_is_still_recorded_as_an_event(clerk):
    person = enrolled_person()

    result = services.record_myna_card_lost(
        person=person, occurred_on=date(2026, 11, 20), by=clerk, as_of=date(2026, 11, 26)
    )

    assert not MyNumberCard.objects.exists()
    assert result.document_due.reason == "myna_card_lost"


def test_a_my_number_card_cannot_be_reported_lost_twice(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person)
    services.record_myna_card_lost(person=person, occurred_on=date(2026, 11, 20), by=clerk)

    with pytest.raises(ValidationError) as refused:
        services.record_myna_card_lost(person=person, occurred_on=date(2026, 11, 21), by=clerk)

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["already_lost"]}
    assert LifeEvent.objects.count() == 1


def test_a_reissued_card_works_again_and_nothing_is_due(clerk):
    person = enrolled_person()
    card = MyNumberCardFactory(person=person)
    services.record_myna_card_lost(person=person, occurred_on=date(2026, 10, 1), by=clerk)

    result = services.record_myna_card_reissued(
        person=person,
        occurred_on=date(2026, 11, 20),
        by=clerk,
        as_of=date(2026, 11, 26),
        e_cert_valid_until=date(2031, 11, 19),
    )

    card.refresh_from_db()
    assert (card.card_status, card.status_changed_on, card.e_cert_valid_until) == (
        "valid",
        date(2026, 11, 20),
        date(2031, 11, 19),
    )
    assert result.assessment.proofs.myna.usable
    assert result.document_due is None


def test_a_reissue_without_a_recorded_loss_is_refused(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person)

    with pytest.raises(ValidationError) as refused:
        services.record_myna_card_reissued(person=person, occurred_on=date(2026, 11, 20), by=clerk)

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["not_lost"]}
    assert not LifeEvent.objects.exists()


def test_a_reissue_dated_before_the_loss_is_refused_naming_occurred_on(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person)
    services.record_myna_card_lost(person=person, occurred_on=date(2026, 10, 1), by=clerk)

    with pytest.raises(ValidationError) as refused:
        services.record_myna_card_reissued(person=person, occurred_on=date(2026, 9, 30), by=clerk)

    assert error_codes(refused.value) == {"occurred_on": ["before_loss"]}


def test_a_cancelled_registration_keeps_the_registration_date_and_makes_a_certificate_due(clerk):
    person = enrolled_person()
    card = MyNumberCardFactory(person=person, registered_on=date(2023, 5, 10))

    result = services.record_myna_registration_cancelled(
        person=person, occurred_on=date(2026, 11, 20), by=clerk, as_of=date(2026, 11, 26)
    )

    card.refresh_from_db()
    assert card.registered_on == date(2023, 5, 10)
    assert result.assessment.proofs.myna.reason == "not_registered"
    due = result.document_due
    assert (due.document, due.reason, due.on_application) == (
        DocumentKind.CERTIFICATE,
        "myna_registration_cancelled",
        False,
    )


def test_cancelling_a_registration_that_does_not_exist_is_refused(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person, registered_on=None)

    with pytest.raises(ValidationError) as refused:
        services.record_myna_registration_cancelled(
            person=person, occurred_on=date(2026, 11, 20), by=clerk
        )

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["not_registered"]}


def test_a_cancellation_before_the_registration_is_refused_naming_occurred_on(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person, registered_on=date(2023, 5, 10))

    with pytest.raises(ValidationError) as refused:
        services.record_myna_registration_cancelled(
            person=person, occurred_on=date(2023, 5, 9), by=clerk
        )

    assert error_codes(refused.value) == {"occurred_on": ["before_registration"]}


def test_a_registration_cannot_be_cancelled_twice(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person)
    services.record_myna_registration_cancelled(
        person=person, occurred_on=date(2026, 11, 20), by=clerk
    )

    with pytest.raises(ValidationError) as refused:
        services.record_myna_registration_cancelled(
            person=person, occurred_on=date(2026, 11, 21), by=clerk
        )

    assert error_codes(refused.value) == {NON_FIELD_ERRORS: ["already_cancelled"]}


def test_an_event_failing_its_audit_leaves_the_card_status_unchanged(clerk, monkeypatch):
    person = enrolled_person()
    card = MyNumberCardFactory(person=person)
    fail_on(monkeypatch, "record_event")

    with pytest.raises(RuntimeError):
        services.record_myna_card_lost(person=person, occurred_on=date(2026, 11, 20), by=clerk)

    card.refresh_from_db()
    assert card.card_status == "valid"
    assert not LifeEvent.objects.exists()
    assert not AuditEvent.objects.exists()


# --- reads --------------------------------------------------------------------------------------


def test_what_if_shows_the_assessment_after_an_event_without_saving_it(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person)

    supposed = services.what_if(
        person=person,
        event_kind="myna_card_lost",
        occurred_on=date(2026, 11, 20),
        as_of=date(2026, 11, 26),
    )

    assert supposed.documents_due[0].reason == "myna_card_lost"
    assert not LifeEvent.objects.exists()
    assert MyNumberCard.objects.get().card_status == "valid"
    assert not AuditEvent.objects.exists()
    assert services.document_due(person=person, as_of=date(2026, 11, 26)) is None


def test_what_if_agrees_with_recording_the_event(clerk):
    person = enrolled_person()
    MyNumberCardFactory(person=person)
    services.record_myna_card_lost(person=person, occurred_on=date(2026, 10, 1), by=clerk)

    supposed = services.what_if(
        person=person,
        event_kind="myna_card_reissued",
        occurred_on=date(2026, 11, 20),
        as_of=date(2026, 11, 26),
    )
    recorded = services.record_myna_card_reissued(
        person=person, occurred_on=date(2026, 11, 20), by=clerk, as_of=date(2026, 11, 26)
    )

    assert supposed.proofs == recorded.assessment.proofs
    assert supposed.documents_due == recorded.assessment.documents_due


def test_what_if_refuses_an_unknown_event_kind():
    person = enrolled_person()

    with pytest.raises(ValidationError) as refused:
        services.what_if(
            person=person,
            event_kind="won_lottery",
            occurred_on=date(2026, 11, 20),
            as_of=date(2026, 11, 26),
        )

    assert error_codes(refused.value) == {"event_kind": ["invalid_choice"]}


def test_assess_person_reads_the_stored_records_afresh(clerk):
    person = enrolled_person(enrolled_on=date(2026, 11, 1))
    assert services.document_due(person=person, as_of=date(2026, 11, 26)).reason == (
        "new_enrolment"
    )
    Certificate.objects.create(
        person=person,
        number="T-1",
        issued_on=date(2026, 11, 2),
        valid_until=date(2027, 9, 30),
        reason="new_enrolment",
    )

    assessment = services.assess_person(person=person, as_of=date(2026, 11, 26))

    assert assessment.proofs.certificate.usable
    assert services.document_due(person=person, as_of=date(2026, 11, 26)) is None


def test_nothing_is_due_to_a_person_without_any_enrolment():
    person = InsuredPersonFactory()

    assert services.document_due(person=person, as_of=date(2026, 11, 26)) is None
