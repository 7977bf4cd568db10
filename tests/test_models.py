"""The domain tables: constraints the database itself enforces, choices that mirror the rules,
the append-only audit trail and API tokens."""

from contextlib import contextmanager
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from cards.models import PAPER_CARD_LAST_VALID_ON, PAPER_CARD_STOP_ON, DocumentReason, MyNumberCard
from eligibility.models import Enrolment, InsuredPerson, LifeEvent
from eligibility.rules.facts import CardStatus, EventKind
from eligibility.rules.policy import policy_at
from eligibility.sumida_addresses import TOWNS, TOWNS_BY_POSTAL_CODE
from sumida_kokuho.audit import record
from sumida_kokuho.models import ApiToken, AppendOnlyError, AuditEvent
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    HouseholdFactory,
    InsuredPersonFactory,
    PaperCardFactory,
    PremiumArrearsFactory,
    StaffUserFactory,
)

pytestmark = pytest.mark.django_db


@contextmanager
def refused_by_database():
    """Expect an IntegrityError, in a savepoint so the test's transaction stays usable."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


# --- constraints held by the database ------------------------------------------------------------


def test_a_second_active_certificate_for_one_person_is_refused():
    first = CertificateFactory()
    with refused_by_database():
        CertificateFactory(person=first.person)


def test_a_new_certificate_is_allowed_once_the_old_one_is_voided():
    first = CertificateFactory(issued_on=date(2025, 9, 1))
    first.voided_on = date(2026, 3, 1)
    first.void_reason = "reissued"
    first.save()

    second = CertificateFactory(person=first.person, issued_on=date(2026, 3, 1))

    assert second.person.certificates.filter(voided_on__isnull=True).get() == second


def test_a_certificate_expiring_before_its_issue_is_refused():
    with refused_by_database():
        CertificateFactory(issued_on=date(2026, 1, 10), valid_until=date(2026, 1, 9))


def test_a_certificate_voided_before_its_issue_is_refused():
    with refused_by_database():
        CertificateFactory(issued_on=date(2026, 1, 10), voided_on=date(2026, 1, 9))


def test_a_paper_card_issued_on_the_day_paper_cards_stopped_is_refused():  # R-PAPER-STOP
    with refused_by_database():
        PaperCardFactory(issued_on=date(2024, 12, 2), valid_until=date(2025, 9, 30))


def test_a_paper_card_issued_the_day_before_the_stop_is_accepted():
    card = PaperCardFactory(issued_on=date(2024, 12, 1), valid_until=date(2025, 9, 30))
    assert card.pk is not None


def test_a_paper_card_valid_after_30_september_2025_is_refused():  # R-PAPER-VALID
    with refused_by_database():
        PaperCardFactory(issued_on=date(2024, 10, 1), valid_until=date(2025, 10, 1))


def test_a_paper_card_expiring_before_its_issue_is_refused():
    with refused_by_database():
        PaperCardFactory(issued_on=date(2024, 10, 1), valid_until=date(2024, 9, 30))


def test_paper_card_constraint_dates_come_from_the_policy():
    policy = policy_at(date(2026, 1, 1))
    assert PAPER_CARD_STOP_ON == policy.paper_card_stop_on == date(2024, 12, 2)
    assert PAPER_CARD_LAST_VALID_ON == policy.paper_card_last_valid_on == date(2025, 9, 30)


def test_a_withdrawal_before_enrolment_is_refused():
    with refused_by_database():
        EnrolmentFactory(
            enrolled_on=date(2025, 4, 1),
            withdrawn_on=date(2025, 3, 31),
            withdrawal_reason="move_out",
        )


def test_a_withdrawal_on_the_enrolment_day_is_accepted():
    enrolment = EnrolmentFactory(
        enrolled_on=date(2025, 4, 1), withdrawn_on=date(2025, 4, 1), withdrawal_reason="other"
    )
    assert enrolment.pk is not None


def test_a_withdrawal_date_without_a_reason_is_refused():
    with refused_by_database():
        EnrolmentFactory(withdrawn_on=date(2026, 4, 1), withdrawal_reason="")


def test_a_withdrawal_reason_without_a_date_is_refused():
    with refused_by_database():
        EnrolmentFactory(withdrawn_on=None, withdrawal_reason="death")


def test_arrears_settled_before_they_began_are_refused():
    with refused_by_database():
        PremiumArrearsFactory(since=date(2025, 4, 30), settled_on=date(2025, 4, 29))


def test_two_households_cannot_share_symbol_and_number():
    HouseholdFactory(symbol="13", number="200001")
    with refused_by_database():
        HouseholdFactory(symbol="13", number="200001")


def test_two_members_of_one_household_cannot_share_a_branch():
    person = InsuredPersonFactory(branch="01")
    with refused_by_database():
        InsuredPersonFactory(household=person.household, branch="01")


def test_model_validation_explains_a_second_active_certificate_before_the_database_refuses():
    certificate = CertificateFactory()
    duplicate = CertificateFactory.build(person=certificate.person, number="X1")
    with translation.override("en"), pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert error.value.messages == ["This person already has a certificate in force."]


# --- field validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("family_name_kana", "やまだ"),
        ("family_name_kana", "Yamada"),
        ("given_name_kana", "ﾀﾛｳ"),
        ("branch", "1"),
    ],
)
def test_person_fields_reject_malformed_values(field, value):
    person = InsuredPersonFactory()
    setattr(person, field, value)
    with pytest.raises(ValidationError) as error:
        person.full_clean()
    assert field in error.value.message_dict


def test_katakana_with_long_vowel_and_spaces_is_a_valid_reading():
    person = InsuredPersonFactory(family_name_kana="オーノ", given_name_kana="タロウ　ジロー")
    person.full_clean()


@pytest.mark.parametrize("postal_code", ["1310045", "131-045", "１３１-００４５"])
def test_household_rejects_malformed_postal_codes(postal_code):
    household = HouseholdFactory()
    household.postal_code = postal_code
    with pytest.raises(ValidationError) as error:
        household.full_clean()
    assert "postal_code" in error.value.message_dict


def test_factory_households_have_sumida_addresses_matching_their_postal_codes():
    household = HouseholdFactory()
    household.full_clean()
    town = TOWNS_BY_POSTAL_CODE[household.postal_code]
    assert household.address.startswith(f"東京都墨田区{town.name}")
    assert household.address.endswith("号")


def test_town_addresses_refuse_a_chome_the_town_does_not_have():
    oshiage = TOWNS_BY_POSTAL_CODE["131-0045"]
    assert oshiage.address(1, 1, 2) == "東京都墨田区押上一丁目1番2号"
    with pytest.raises(ValueError):
        oshiage.address(oshiage.chome + 1, 1, 2)
    assert len({town.postal_code for town in TOWNS}) == len(TOWNS)


def test_factory_persons_are_valid_and_the_first_becomes_householder():
    person = InsuredPersonFactory()
    spouse = InsuredPersonFactory(household=person.household)
    person.full_clean()
    spouse.full_clean()
    person.household.refresh_from_db()
    assert person.household.householder == person
    assert spouse.relation == InsuredPerson.Relation.OTHER


def test_insured_numbers_and_names_read_as_printed():
    household = HouseholdFactory(symbol="13", number="123456")
    person = InsuredPersonFactory(
        household=household,
        branch="02",
        family_name="墨田",
        given_name="花子",
        family_name_kana="スミダ",
        given_name_kana="ハナコ",
    )
    assert household.insured_number == "13-123456"
    assert person.insured_number == "13-123456-02"
    assert person.full_name == "墨田 花子"
    assert person.full_name_kana == "スミダ ハナコ"


# --- choices that must match the rules -----------------------------------------------------------


def test_life_event_kinds_are_exactly_the_rule_event_kinds():
    assert set(LifeEvent.Kind.values) == {kind.value for kind in EventKind}


def test_my_number_card_statuses_are_exactly_the_rule_card_statuses():
    assert set(MyNumberCard.Status.values) == {status.value for status in CardStatus}


def test_document_reasons_are_the_assessment_reasons_plus_other():
    assert set(DocumentReason.values) == {
        "new_enrolment",
        "contents_changed",
        "paper_card_lost",
        "paper_card_expiry",
        "turns_70",
        "myna_card_lost",
        "myna_registration_cancelled",
        "myna_cert_expired",
        "certificate_expiry",
        "needs_support",
        "other",
    }


def test_enrolment_reasons_cover_the_rules_reasons():
    assert {"job_loss", "move_in", "birth", "other"} <= set(Enrolment.Reason.values)


def test_no_table_has_a_field_for_the_my_number():
    # The 12-digit 個人番号 must never be stored (DESIGN.md non-negotiables).
    suspicious = ("my_number", "mynumber", "individual_number", "kojin", "personal_number")
    names = [
        f"{model._meta.label}.{field.name}"
        for app in ("eligibility", "cards", "notices", "sumida_kokuho")
        for model in apps.get_app_config(app).get_models()
        for field in model._meta.get_fields()
    ]
    assert not [name for name in names if any(word in name.split(".")[-1] for word in suspicious)]


# --- audit trail ---------------------------------------------------------------------------------


def test_record_fills_person_and_household_from_a_persons_document():
    clerk = StaffUserFactory()
    certificate = CertificateFactory()

    event = record(actor=clerk, action="issue", obj=certificate, counter="本庁舎 1番窓口")

    assert event.object_type == "cards.certificate"
    assert event.object_id == str(certificate.pk)
    assert event.person_id == certificate.person_id
    assert event.household_id == certificate.person.household_id
    assert event.actor == clerk
    assert event.at is not None and event.at.tzinfo is not None


def test_record_of_a_household_names_the_household_only():
    household = HouseholdFactory()
    event = record(actor=None, action="view", obj=household)
    assert (event.household_id, event.person_id) == (household.pk, None)


def test_an_audit_event_cannot_be_changed():
    event = record(actor=None, action="view", obj=HouseholdFactory())
    event.action = "delete"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="delete")
    event.refresh_from_db()
    assert event.action == "view"


def test_an_audit_event_cannot_be_deleted():
    event = record(actor=None, action="view", obj=HouseholdFactory())
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# --- API tokens ----------------------------------------------------------------------------------


def test_an_api_token_authenticates_with_its_plain_key_which_is_not_stored():
    clerk = StaffUserFactory()
    token, plain = ApiToken.create_token("国保連携", by=clerk)

    stored = ApiToken.objects.get()
    assert plain not in {stored.key_hash, stored.name}
    assert stored.prefix == plain[:8]
    assert len(stored.key_hash) == 64
    assert stored.last_used_at is None

    assert ApiToken.authenticate(plain) == token
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_an_api_token_refuses_a_wrong_or_empty_key():
    ApiToken.create_token("batch", by=StaffUserFactory())
    assert ApiToken.authenticate("not-the-token") is None
    assert ApiToken.authenticate("") is None


def test_an_inactive_api_token_no_longer_authenticates():
    token, plain = ApiToken.create_token("old", by=StaffUserFactory())
    token.is_active = False
    token.save()
    assert ApiToken.authenticate(plain) is None


def test_each_api_token_gets_a_different_key():
    clerk = StaffUserFactory()
    _, first = ApiToken.create_token("a", by=clerk)
    _, second = ApiToken.create_token("b", by=clerk)
    assert first != second
