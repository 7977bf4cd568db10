"""Households, insured persons and their eligibility records, with Sumida addresses and
Japanese names (kanji with katakana readings from Faker's ja_JP pairs)."""

from datetime import date
from typing import Any

import factory
from factory.django import DjangoModelFactory
from factory.random import randgen

from eligibility.models import (
    BurdenDetermination,
    Enrolment,
    Household,
    IncomeRecord,
    InsuredPerson,
    LifeEvent,
    PremiumArrears,
)
from eligibility.sumida_addresses import TOWNS


def _address(household: Any) -> str:
    town = household.town
    return town.address(
        randgen.randint(1, town.chome), randgen.randint(1, 30), randgen.randint(1, 20)
    )


class HouseholdFactory(DjangoModelFactory):
    class Meta:
        model = Household

    class Params:
        town = factory.Faker("random_element", elements=TOWNS)

    symbol = "13"
    number = factory.Sequence(lambda n: f"{100001 + n}")
    postal_code = factory.LazyAttribute(lambda household: household.town.postal_code)
    address = factory.LazyAttribute(_address)


class InsuredPersonFactory(DjangoModelFactory):
    """The first person made for a household becomes its householder."""

    class Meta:
        model = InsuredPerson
        skip_postgeneration_save = True

    class Params:
        is_male = factory.LazyAttribute(lambda person: person.sex == InsuredPerson.Sex.MALE)
        family = factory.Faker("last_name_pair", locale="ja_JP")
        given = factory.Maybe(
            "is_male",
            yes_declaration=factory.Faker("first_name_male_pair", locale="ja_JP"),
            no_declaration=factory.Faker("first_name_female_pair", locale="ja_JP"),
        )

    household = factory.SubFactory(HouseholdFactory)
    branch = factory.Sequence(lambda n: f"{n % 99 + 1:02d}")
    sex = factory.Iterator([InsuredPerson.Sex.MALE, InsuredPerson.Sex.FEMALE])
    family_name = factory.LazyAttribute(lambda person: person.family[0])
    given_name = factory.LazyAttribute(lambda person: person.given[0])
    family_name_kana = factory.LazyAttribute(lambda person: person.family[1])
    given_name_kana = factory.LazyAttribute(lambda person: person.given[1])
    birth_date = factory.Faker(
        "date_between", start_date=date(1952, 4, 2), end_date=date(2012, 3, 31)
    )
    relation = factory.LazyAttribute(
        lambda person: (
            InsuredPerson.Relation.OTHER
            if person.household.householder_id
            else InsuredPerson.Relation.HOUSEHOLDER
        )
    )
    needs_support = False

    @factory.post_generation
    def become_householder(
        person: InsuredPerson, create: bool, extracted: object, **kwargs: object
    ) -> None:
        household = person.household
        if (
            create
            and person.relation == InsuredPerson.Relation.HOUSEHOLDER
            and (household.householder_id is None)
        ):
            household.householder = person
            household.save(update_fields=["householder", "updated_at"])


class EnrolmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrolment

    class Params:
        withdrawn = factory.Trait(
            withdrawn_on=date(2026, 4, 1), withdrawal_reason=Enrolment.WithdrawalReason.MOVE_OUT
        )

    person = factory.SubFactory(InsuredPersonFactory)
    enrolled_on = date(2020, 4, 1)
    reason = Enrolment.Reason.JOB_LOSS


class LifeEventFactory(DjangoModelFactory):
    class Meta:
        model = LifeEvent

    person = factory.SubFactory(InsuredPersonFactory)
    kind = LifeEvent.Kind.ADDRESS_CHANGE
    occurred_on = date(2025, 3, 10)
    details = factory.Dict({})


class IncomeRecordFactory(DjangoModelFactory):
    class Meta:
        model = IncomeRecord

    person = factory.SubFactory(InsuredPersonFactory, birth_date=date(1955, 6, 15))
    fiscal_year = 2026
    taxable_income = 900_000
    old_proviso_income = 1_200_000
    income = 2_400_000


class BurdenDeterminationFactory(DjangoModelFactory):
    class Meta:
        model = BurdenDetermination

    household = factory.SubFactory(HouseholdFactory)
    effective_from = date(2026, 8, 1)
    category = "general"
    rule_ids = factory.List(["R-RATIO"])


class PremiumArrearsFactory(DjangoModelFactory):
    class Meta:
        model = PremiumArrears

    household = factory.SubFactory(HouseholdFactory)
    since = date(2025, 4, 30)
    settled_on = None
