"""Rows to rule facts: the builder picks the rows in force on `as_of` and nothing later."""

from datetime import date

import pytest

from eligibility.facts_builder import NoEnrolment, build_person_facts, persons_for_assessment
from eligibility.models import Enrolment
from eligibility.rules.facts import (
    CardStatus,
    Certificate,
    DocumentIssued,
    DocumentKind,
    EnrolmentReason,
    Event,
    EventKind,
    Income,
    MynaCard,
    PaperCard,
    PersonFacts,
)
from tests.factories import (
    BurdenDeterminationFactory,
    CertificateFactory,
    EnrolmentFactory,
    InsuredPersonFactory,
    LifeEventFactory,
    MyNumberCardFactory,
    NoticeFactory,
    PaperCardFactory,
    PremiumArrearsFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 26)


@pytest.fixture
def person():
    person = InsuredPersonFactory(birth_date=date(1956, 12, 1))
    EnrolmentFactory(person=person, enrolled_on=date(2020, 4, 1), reason="job_loss")
    return person


def facts_for(person, as_of=AS_OF) -> PersonFacts:
    return build_person_facts(person, as_of)


def test_a_plain_enrolled_person_gets_default_facts(person):
    assert facts_for(person) == PersonFacts(
        birth_date=date(1956, 12, 1),
        enrolled_on=date(2020, 4, 1),
        enrolment_reason=EnrolmentReason.JOB_LOSS,
    )


# --- enrolment periods ---------------------------------------------------------------------------


def test_the_period_in_force_on_as_of_is_used():
    person = InsuredPersonFactory()
    EnrolmentFactory(
        person=person,
        enrolled_on=date(2015, 4, 1),
        withdrawn_on=date(2018, 4, 1),
        withdrawal_reason="employment",
    )
    EnrolmentFactory(person=person, enrolled_on=date(2022, 7, 1), reason="move_in")
    EnrolmentFactory(person=person, enrolled_on=date(2027, 1, 1), reason="other")

    facts = facts_for(person)

    assert (facts.enrolled_on, facts.withdrawn_on) == (date(2022, 7, 1), None)
    assert facts.enrolment_reason == EnrolmentReason.MOVE_IN


def test_after_a_withdrawal_the_latest_period_begun_is_used_with_its_withdrawal():
    person = InsuredPersonFactory()
    EnrolmentFactory(
        person=person,
        enrolled_on=date(2015, 4, 1),
        withdrawn_on=date(2018, 4, 1),
        withdrawal_reason="employment",
    )
    EnrolmentFactory(
        person=person,
        enrolled_on=date(2020, 4, 1),
        withdrawn_on=date(2026, 11, 26),
        withdrawal_reason="move_out",
    )

    facts = facts_for(person)

    assert (facts.enrolled_on, facts.withdrawn_on) == (date(2020, 4, 1), date(2026, 11, 26))


def test_before_any_period_the_earliest_is_used_so_not_insured_can_be_assessed():
    person = InsuredPersonFactory()
    EnrolmentFactory(person=person, enrolled_on=date(2027, 4, 1), reason="birth")
    EnrolmentFactory(person=person, enrolled_on=date(2028, 4, 1), reason="move_in")

    facts = facts_for(person)

    assert facts.enrolled_on == date(2027, 4, 1)
    assert facts.enrolment_reason == EnrolmentReason.BIRTH


def test_a_person_without_any_period_cannot_be_assessed():
    with pytest.raises(NoEnrolment):
        facts_for(InsuredPersonFactory())


def test_enrolment_after_public_assistance_is_reason_other_for_the_rules():
    person = InsuredPersonFactory()
    EnrolmentFactory(person=person, reason=Enrolment.Reason.WELFARE_ENDED)
    assert facts_for(person).enrolment_reason == EnrolmentReason.OTHER


# --- household: co-payment category and arrears ------------------------------------------------ -


def test_income_is_the_household_determination_in_force_on_as_of(person):
    household = person.household
    BurdenDeterminationFactory(
        household=household, effective_from=date(2025, 8, 1), category="general"
    )
    BurdenDeterminationFactory(
        household=household, effective_from=date(2026, 8, 1), category="active"
    )
    BurdenDeterminationFactory(
        household=household, effective_from=date(2027, 8, 1), category="general"
    )

    assert facts_for(person).income == Income.ACTIVE
    assert facts_for(person, date(2026, 7, 31)).income == Income.GENERAL


def test_income_is_general_before_any_determination(person):
    BurdenDeterminationFactory(
        household=person.household, effective_from=date(2027, 8, 1), category="active"
    )
    assert facts_for(person).income == Income.GENERAL


def test_arrears_since_is_the_earliest_still_unpaid_on_as_of(person):
    household = person.household
    PremiumArrearsFactory(
        household=household, since=date(2023, 4, 30), settled_on=date(2024, 1, 10)
    )  # settled before as_of
    PremiumArrearsFactory(
        household=household, since=date(2025, 6, 30), settled_on=date(2027, 1, 5)
    )  # settled only later: unpaid on as_of
    PremiumArrearsFactory(household=household, since=date(2026, 1, 31))
    PremiumArrearsFactory(household=household, since=date(2026, 12, 31))  # not yet due

    assert facts_for(person).premium_arrears_since == date(2025, 6, 30)
    assert facts_for(person, date(2023, 1, 1)).premium_arrears_since is None


def test_arrears_settled_on_as_of_no_longer_count(person):
    PremiumArrearsFactory(household=person.household, since=date(2025, 6, 30), settled_on=AS_OF)
    assert facts_for(person).premium_arrears_since is None


# --- cards and documents -------------------------------------------------------------------------


def test_my_number_card_is_none_without_a_row(person):
    assert facts_for(person).myna is None


def test_my_number_card_row_becomes_myna_facts(person):
    MyNumberCardFactory(
        person=person,
        card_status="lost",
        registered_on=date(2023, 5, 10),
        e_cert_valid_until=date(2028, 5, 9),
    )
    assert facts_for(person).myna == MynaCard(
        registered_on=date(2023, 5, 10),
        card_status=CardStatus.LOST,
        e_cert_valid_until=date(2028, 5, 9),
    )


def test_the_latest_paper_card_issued_by_as_of_is_used_without_its_invalidation(person):
    PaperCardFactory(person=person, issued_on=date(2023, 10, 1), valid_until=date(2024, 9, 30))
    PaperCardFactory(
        person=person,
        issued_on=date(2024, 10, 1),
        valid_until=date(2025, 9, 30),
        invalidated_on=date(2025, 3, 10),
        invalidated_reason="contents_changed",
    )

    assert facts_for(person).paper_card == PaperCard(date(2024, 10, 1), date(2025, 9, 30))
    assert facts_for(person, date(2024, 9, 30)).paper_card == PaperCard(
        date(2023, 10, 1), date(2024, 9, 30)
    )
    assert facts_for(person, date(2023, 9, 30)).paper_card is None


def test_a_certificate_voided_before_as_of_is_not_current(person):
    CertificateFactory(
        person=person,
        issued_on=date(2025, 9, 1),
        valid_until=date(2027, 9, 30),
        voided_on=date(2026, 3, 1),
        void_reason="reissued",
    )
    CertificateFactory(person=person, issued_on=date(2026, 3, 1), valid_until=date(2028, 3, 31))

    assert facts_for(person).certificate == Certificate(date(2026, 3, 1), date(2028, 3, 31))


def test_a_certificate_voided_after_as_of_still_counts_on_as_of(person):
    CertificateFactory(
        person=person,
        issued_on=date(2025, 9, 1),
        valid_until=date(2027, 9, 30),
        voided_on=date(2026, 3, 1),
        void_reason="reissued",
    )
    CertificateFactory(person=person, issued_on=date(2026, 3, 1), valid_until=date(2028, 3, 31))

    assert facts_for(person, date(2026, 2, 28)).certificate == Certificate(
        date(2025, 9, 1), date(2027, 9, 30)
    )


def test_a_certificate_issued_after_as_of_is_not_current(person):
    CertificateFactory(person=person, issued_on=date(2027, 1, 5), valid_until=date(2029, 1, 31))
    assert facts_for(person).certificate is None


def test_documents_issued_lists_certificates_voided_or_not_and_notices_up_to_as_of(person):
    CertificateFactory(
        person=person,
        issued_on=date(2025, 9, 1),
        voided_on=date(2026, 3, 1),
        void_reason="reissued",
    )
    CertificateFactory(person=person, issued_on=date(2026, 3, 1), valid_until=date(2028, 3, 31))
    NoticeFactory(person=person, issued_on=date(2024, 11, 20))
    NoticeFactory(person=person, issued_on=date(2026, 12, 1))  # after as_of

    assert facts_for(person).documents_issued == (
        DocumentIssued(DocumentKind.NOTICE, date(2024, 11, 20)),
        DocumentIssued(DocumentKind.CERTIFICATE, date(2025, 9, 1)),
        DocumentIssued(DocumentKind.CERTIFICATE, date(2026, 3, 1)),
    )


def test_events_up_to_as_of_are_passed_in_date_order(person):
    LifeEventFactory(person=person, kind="householder_change", occurred_on=date(2026, 5, 1))
    LifeEventFactory(person=person, kind="address_change", occurred_on=date(2025, 3, 10))
    LifeEventFactory(person=person, kind="paper_card_lost", occurred_on=date(2026, 11, 27))

    assert facts_for(person).events == (
        Event(date(2025, 3, 10), EventKind.ADDRESS_CHANGE),
        Event(date(2026, 5, 1), EventKind.HOUSEHOLDER_CHANGE),
    )


def test_needs_support_comes_from_the_person():
    person = InsuredPersonFactory(needs_support=True)
    EnrolmentFactory(person=person)
    assert facts_for(person).needs_support is True


# --- many persons --------------------------------------------------------------------------------


def _person_with_everything(household=None):
    person = InsuredPersonFactory(**({"household": household} if household else {}))
    EnrolmentFactory(person=person)
    LifeEventFactory(person=person)
    MyNumberCardFactory(person=person)
    PaperCardFactory(person=person)
    CertificateFactory(person=person)
    NoticeFactory(person=person)
    BurdenDeterminationFactory(household=person.household, effective_from=date(2026, 8, 1))
    PremiumArrearsFactory(household=person.household, since=date(2025, 4, 30))
    return person


@pytest.mark.parametrize("how_many", [2, 6])
def test_facts_for_many_persons_take_a_fixed_number_of_queries(how_many, django_assert_num_queries):
    for _ in range(how_many):
        _person_with_everything()
    # A person without a My Number card row, sharing a household, must not cost extra queries.
    shared = _person_with_everything()
    lone = InsuredPersonFactory(household=shared.household)
    EnrolmentFactory(person=lone)

    # One query for persons with household and card, one per prefetched relation.
    with django_assert_num_queries(8):
        all_facts = [build_person_facts(p, AS_OF) for p in persons_for_assessment()]

    assert len(all_facts) == how_many + 2
    assert sum(f.myna is None for f in all_facts) == 1
    assert all(f.premium_arrears_since == date(2025, 4, 30) for f in all_facts)


def test_prefetched_and_plain_persons_give_the_same_facts():
    person = _person_with_everything()
    prefetched = persons_for_assessment().get(pk=person.pk)
    assert build_person_facts(prefetched, AS_OF) == build_person_facts(person, AS_OF)
