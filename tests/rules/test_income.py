"""R-RATIO: the 70–74 household income category (general 2割 / active 現役並み 3割)."""

from __future__ import annotations

import ast
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.rules import income as income_module
from eligibility.rules.facts import Income
from eligibility.rules.income import (
    Dependant,
    DependantOutcome,
    ElderlyMember,
    FormerMember,
    HouseholdIncome,
    IncomeCategory,
    IncomeDecision,
    IncomeStep,
    decide_income_category,
    determination_effective_from,
    fiscal_year_for_income,
)
from eligibility.rules.policy import policy_at

RULE = "R-RATIO"
AUG_1 = date(2026, 8, 1)
AGED_73 = date(1953, 5, 10)  # 73 on AUG_1
AGED_71 = date(1955, 3, 3)  # 71 on AUG_1

MAN = 10_000  # 1万円
ACTIVE_TAXABLE = 145 * MAN  # 145万: step 1 is passed
HIGH_PROVISO = 300 * MAN  # 旧ただし書所得 well above 210万: step 2 is passed


def member(
    *,
    born: date = AGED_73,
    taxable: int = 0,
    proviso: int = 0,
    income: int = 0,
    householder: bool = False,
) -> ElderlyMember:
    return ElderlyMember(
        birth_date=born,
        taxable_income=taxable,
        old_proviso_income=proviso,
        income=income,
        is_householder=householder,
    )


def active_member(*, income: int = 0, born: date = AGED_73) -> ElderlyMember:
    """A member who passes steps 1 and 2 on their own, so only step 3 can help."""
    return member(born=born, taxable=ACTIVE_TAXABLE, proviso=HIGH_PROVISO, income=income)


def decide(household: HouseholdIncome, on: date = AUG_1) -> IncomeDecision:
    return decide_income_category(household, reference_date=on)


# --- Steps 1 and 2: taxable income and 旧ただし書所得 ---------------------------------------------

STEPS_1_AND_2 = [
    pytest.param(
        (member(taxable=1_449_000),),
        "general",
        "below_taxable_threshold",
        id="taxable_income_of_144_9_man_is_general",
    ),
    pytest.param(
        (member(taxable=1_449_999),),
        "general",
        "below_taxable_threshold",
        id="taxable_income_one_yen_below_145_man_is_general",
    ),
    pytest.param(
        (member(taxable=1_450_000, proviso=HIGH_PROVISO),),
        "active",
        "active",
        id="taxable_income_of_exactly_145_man_is_active",
    ),
    pytest.param(
        (member(taxable=1_449_999), member(born=AGED_71, taxable=1_450_000, proviso=HIGH_PROVISO)),
        "active",
        "active",
        id="any_one_member_at_145_man_makes_the_household_active",
    ),
    pytest.param(
        (member(taxable=1_449_999), member(born=AGED_71, taxable=1_449_999)),
        "general",
        "below_taxable_threshold",
        id="taxable_incomes_are_not_added_up_across_members",
    ),
    pytest.param(
        (member(taxable=ACTIVE_TAXABLE, proviso=2_100_000),),
        "general",
        "old_proviso_income",
        id="old_proviso_income_of_exactly_210_man_is_general",
    ),
    pytest.param(
        (member(taxable=ACTIVE_TAXABLE, proviso=2_100_001),),
        "active",
        "active",
        id="old_proviso_income_one_yen_over_210_man_is_active",
    ),
    pytest.param(
        (
            member(taxable=ACTIVE_TAXABLE, proviso=1_050_000),
            member(born=AGED_71, proviso=1_050_000),
        ),
        "general",
        "old_proviso_income",
        id="old_proviso_incomes_of_two_members_adding_up_to_210_man_are_general",
    ),
    pytest.param(
        (
            member(taxable=ACTIVE_TAXABLE, proviso=1_050_000),
            member(born=AGED_71, proviso=1_050_001),
        ),
        "active",
        "active",
        id="old_proviso_incomes_of_two_members_adding_up_to_one_yen_over_210_man_are_active",
    ),
]


@pytest.mark.parametrize(("members", "category", "step"), STEPS_1_AND_2)
def test_r_ratio_taxable_and_old_proviso_income_steps(members, category, step):
    decision = decide(HouseholdIncome(members=members))

    assert (decision.category, decision.step) == (category, step)
    assert RULE in decision.rule_ids


# The 旧ただし書所得 test needs a member born on or after 1945-01-02; such people were 70 in 2015.
AUG_1_2015 = date(2015, 8, 1)


@pytest.mark.parametrize(
    ("births", "category", "step"),
    [
        pytest.param(
            (date(1945, 1, 1),), "active", "active", id="born_1945_01_01_gets_no_old_proviso_test"
        ),
        pytest.param(
            (date(1945, 1, 2),),
            "general",
            "old_proviso_income",
            id="born_1945_01_02_gets_the_old_proviso_test",
        ),
        pytest.param(
            (date(1945, 1, 1), date(1945, 1, 2)),
            "general",
            "old_proviso_income",
            id="one_member_born_1945_01_02_brings_the_test_to_the_whole_household",
        ),
    ],
)
def test_r_ratio_old_proviso_test_depends_on_birth_date(births, category, step):
    members = tuple(member(born=b, taxable=2_000_000, proviso=1_000_000) for b in births)

    decision = decide(HouseholdIncome(members=members), on=AUG_1_2015)

    assert (decision.category, decision.step) == (category, step)


# --- Step 3: 基準収入額 on application ---------------------------------------------------------

STEP_3 = [
    pytest.param(
        (active_member(income=3_829_000),),
        (),
        "general",
        "base_income_single",
        id="one_member_with_income_of_382_9_man_is_general",
    ),
    pytest.param(
        (active_member(income=3_829_999),),
        (),
        "general",
        "base_income_single",
        id="one_member_with_income_one_yen_below_383_man_is_general",
    ),
    pytest.param(
        (active_member(income=3_830_000),),
        (),
        "active",
        "active",
        id="one_member_with_income_of_exactly_383_man_and_no_former_member_is_active",
    ),
    pytest.param(
        (active_member(income=3_830_000),),
        (1_369_999,),
        "general",
        "base_income_with_former",
        id="one_member_with_a_former_member_adding_up_to_one_yen_below_520_man_is_general",
    ),
    pytest.param(
        (active_member(income=3_830_000),),
        (1_369_000,),
        "general",
        "base_income_with_former",
        id="one_member_with_a_former_member_adding_up_to_519_9_man_is_general",
    ),
    pytest.param(
        (active_member(income=3_830_000),),
        (1_370_000,),
        "active",
        "active",
        id="one_member_with_a_former_member_adding_up_to_exactly_520_man_is_active",
    ),
    pytest.param(
        (active_member(income=3_830_000),),
        (700_000, 669_999),
        "general",
        "base_income_with_former",
        id="the_incomes_of_all_former_members_are_added",
    ),
    pytest.param(
        (active_member(income=1_000_000),),
        (9_000_000,),
        "general",
        "base_income_single",
        id="one_member_below_383_man_is_general_whatever_the_former_members_earn",
    ),
    pytest.param(
        (active_member(income=2_599_999), active_member(born=AGED_71, income=2_600_000)),
        (),
        "general",
        "base_income_multi",
        id="two_members_with_incomes_adding_up_to_one_yen_below_520_man_are_general",
    ),
    pytest.param(
        (active_member(income=2_599_000), active_member(born=AGED_71, income=2_600_000)),
        (),
        "general",
        "base_income_multi",
        id="two_members_with_incomes_adding_up_to_519_9_man_are_general",
    ),
    pytest.param(
        (active_member(income=2_600_000), active_member(born=AGED_71, income=2_600_000)),
        (),
        "active",
        "active",
        id="two_members_with_incomes_adding_up_to_exactly_520_man_are_active",
    ),
    pytest.param(
        (active_member(income=1_000_000), active_member(born=AGED_71, income=4_200_000)),
        (),
        "active",
        "active",
        id="two_members_are_not_tested_one_by_one_against_383_man",
    ),
    pytest.param(
        (active_member(income=2_600_000), active_member(born=AGED_71, income=2_600_000)),
        (1,),
        "active",
        "active",
        id="two_members_do_not_add_the_income_of_a_former_member",
    ),
    pytest.param(
        (active_member(income=2_500_000), active_member(born=AGED_71, income=2_500_000)),
        (3_000_000,),
        "general",
        "base_income_multi",
        id="two_members_are_not_pushed_over_520_man_by_a_former_member",
    ),
]


@pytest.mark.parametrize(("members", "former", "category", "step"), STEP_3)
def test_r_ratio_base_income_after_application(members, former, category, step):
    household = HouseholdIncome(
        members=members,
        former_members=tuple(FormerMember(income=i) for i in former),
        base_income_application=True,
    )

    decision = decide(household)

    assert (decision.category, decision.step) == (category, step)
    assert RULE in decision.rule_ids


@pytest.mark.parametrize(
    ("members", "former"),
    [
        pytest.param((active_member(income=0),), (), id="one_member"),
        pytest.param((active_member(income=3_830_000),), (0,), id="one_member_with_former"),
        pytest.param((active_member(), active_member(born=AGED_71)), (), id="two_members"),
    ],
)
def test_r_ratio_base_income_test_needs_an_application(members, former):
    household = HouseholdIncome(
        members=members, former_members=tuple(FormerMember(income=i) for i in former)
    )

    assert decide(household).step == "active"


# --- The dependant deduction on the householder's taxable income ---------------------------------


def householder_with(
    taxable: int, dependants: tuple[Dependant, ...], *, aged_70: bool = True
) -> HouseholdIncome:
    return HouseholdIncome(
        members=(member(taxable=taxable, proviso=HIGH_PROVISO, householder=aged_70),),
        householder_is_70_or_over=aged_70,
        dependants=dependants,
    )


CHILD_10 = date(2016, 4, 1)
TEEN_17 = date(2009, 4, 1)

DEDUCTIONS = [
    pytest.param(
        1_779_999,
        (Dependant(CHILD_10, 0),),
        "general",
        330_000,
        id="a_child_under_16_takes_33_man_off_and_brings_it_below_145_man",
    ),
    pytest.param(
        1_780_000,
        (Dependant(CHILD_10, 0),),
        "active",
        330_000,
        id="a_child_under_16_takes_33_man_off_leaving_exactly_145_man",
    ),
    pytest.param(
        1_569_999,
        (Dependant(TEEN_17, 0),),
        "general",
        120_000,
        id="a_dependant_aged_16_to_18_takes_12_man_off_and_brings_it_below_145_man",
    ),
    pytest.param(
        1_570_000,
        (Dependant(TEEN_17, 0),),
        "active",
        120_000,
        id="a_dependant_aged_16_to_18_takes_12_man_off_leaving_exactly_145_man",
    ),
    pytest.param(
        1_570_000,
        (Dependant(TEEN_17, 380_000),),
        "active",
        120_000,
        id="a_dependant_with_total_income_of_exactly_38_man_still_counts",
    ),
    pytest.param(
        1_450_000,
        (Dependant(CHILD_10, 380_001),),
        "active",
        0,
        id="a_dependant_with_total_income_over_38_man_takes_nothing_off",
    ),
    pytest.param(
        2_229_999,
        (Dependant(CHILD_10, 0), Dependant(date(2014, 1, 1), 0), Dependant(TEEN_17, 0)),
        "general",
        780_000,
        id="deductions_for_several_dependants_add_up",
    ),
    # Ages on the reference date; an age is reached on the day before the birthday.
    pytest.param(
        1_570_000,
        (Dependant(date(2010, 8, 2), 0),),
        "active",
        120_000,
        id="a_dependant_reaching_16_on_the_reference_date_is_16",
    ),
    pytest.param(
        1_570_000,
        (Dependant(date(2010, 8, 3), 0),),
        "general",
        330_000,
        id="a_dependant_reaching_16_the_day_after_the_reference_date_is_under_16",
    ),
    pytest.param(
        1_450_000,
        (Dependant(date(2007, 8, 2), 0),),
        "active",
        0,
        id="a_dependant_reaching_19_on_the_reference_date_takes_nothing_off",
    ),
    pytest.param(
        1_569_999,
        (Dependant(date(2007, 8, 3), 0),),
        "general",
        120_000,
        id="a_dependant_reaching_19_the_day_after_the_reference_date_still_counts",
    ),
]


@pytest.mark.parametrize(("taxable", "dependants", "category", "deduction"), DEDUCTIONS)
def test_r_ratio_dependant_deduction_for_a_householder_aged_70_or_over(
    taxable, dependants, category, deduction
):
    decision = decide(householder_with(taxable, dependants))

    assert decision.category == category
    assert decision.figures.householder_deduction == deduction
    assert decision.figures.adjusted_taxable_incomes == (taxable - deduction,)
    assert decision.figures.taxable_incomes == (taxable,)


def test_r_ratio_dependant_outcomes_say_why_each_dependant_counts_or_not():
    dependants = (
        Dependant(CHILD_10, 0),
        Dependant(TEEN_17, 0),
        Dependant(TEEN_17, 380_001),
        Dependant(date(2007, 8, 2), 0),
    )

    figures = decide(householder_with(3_000_000, dependants)).figures

    assert [(d.age, d.amount, d.outcome) for d in figures.dependant_deductions] == [
        (10, 330_000, DependantOutcome.UNDER_16),
        (17, 120_000, DependantOutcome.AGED_16_TO_18),
        (17, 0, DependantOutcome.INCOME_ABOVE_LIMIT),
        (19, 0, DependantOutcome.NOT_UNDER_19),
    ]


def test_r_ratio_householder_under_70_gets_no_dependant_deduction():
    household = HouseholdIncome(
        members=(member(taxable=1_500_000, proviso=HIGH_PROVISO),),
        householder_is_70_or_over=False,
        dependants=(Dependant(CHILD_10, 0),),
    )

    decision = decide(household)

    assert decision.category == "active"
    assert decision.figures.householder_deduction == 0
    assert decision.figures.dependant_deductions[0].outcome == "householder_not_elderly_member"


def test_r_ratio_householder_aged_75_or_over_deducts_from_no_member():
    # The householder is 70+ but in 後期高齢者医療, so no member is marked as the householder.
    household = HouseholdIncome(
        members=(member(taxable=1_500_000, proviso=HIGH_PROVISO),),
        householder_is_70_or_over=True,
        dependants=(Dependant(CHILD_10, 0),),
    )

    decision = decide(household)

    assert decision.category == "active"
    assert decision.figures.adjusted_taxable_incomes == (1_500_000,)
    assert decision.figures.householder_deduction == 0
    assert decision.figures.dependant_deductions[0].outcome == "householder_not_elderly_member"


def test_r_ratio_dependant_deduction_applies_to_the_householder_only():
    household = HouseholdIncome(
        members=(
            member(taxable=1_500_000, proviso=HIGH_PROVISO, householder=True),
            member(born=AGED_71, taxable=1_500_000),
        ),
        householder_is_70_or_over=True,
        dependants=(Dependant(CHILD_10, 0),),
    )

    decision = decide(household)

    assert decision.figures.adjusted_taxable_incomes == (1_170_000, 1_500_000)
    assert decision.figures.householder_index == 0
    assert decision.category == "active"


def test_r_ratio_dependant_deduction_never_makes_taxable_income_negative():
    decision = decide(householder_with(100_000, (Dependant(CHILD_10, 0),)))

    assert decision.figures.adjusted_taxable_incomes == (0,)


# --- The decision itself --------------------------------------------------------------------------


def test_r_ratio_decision_gives_the_ratio_and_the_figures_used():
    household = HouseholdIncome(
        members=(
            active_member(income=3_000_000),
            member(born=AGED_71, proviso=1, income=2_300_000),
        ),
        former_members=(FormerMember(income=500_000),),
        base_income_application=True,
    )

    decision = decide(household)

    assert decision.category == IncomeCategory.ACTIVE
    assert decision.step == IncomeStep.ACTIVE
    assert decision.is_active
    assert decision.ratio == 30
    assert decision.rule_ids == (RULE,)
    assert decision.reference_date == AUG_1
    assert decision.figures.highest_adjusted_taxable_income == ACTIVE_TAXABLE
    assert decision.figures.old_proviso_income_sum == HIGH_PROVISO + 1
    assert decision.figures.income_sum == 5_300_000
    assert decision.figures.former_income_sum == 500_000
    assert decision.figures.has_member_born_on_or_after_proviso_date


def test_r_ratio_general_decision_is_2_wari():
    assert decide(HouseholdIncome(members=(member(),))).ratio == 20


def test_r_ratio_categories_are_the_values_the_person_facts_use():
    assert {c.value for c in IncomeCategory} == {i.value for i in Income}


def test_r_ratio_thresholds_come_from_the_policy_given():
    household = HouseholdIncome(members=(member(taxable=1_500_000, proviso=HIGH_PROVISO),))
    policy = policy_at(AUG_1, active_taxable_income_min=2_000_000)

    decision = decide_income_category(household, reference_date=AUG_1, policy=policy)

    assert decision.step == "below_taxable_threshold"
    assert decision.policy == policy


def test_r_ratio_facts_accept_lists_and_keep_tuples():
    household = HouseholdIncome(members=[member()], dependants=[Dependant(CHILD_10, 0)])

    assert household.members == (member(),)
    assert isinstance(household.dependants, tuple)


# --- Invalid input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: member(taxable=-1), "taxable_income", id="negative_taxable_income"),
        pytest.param(lambda: member(proviso=-1), "old_proviso_income", id="negative_old_proviso"),
        pytest.param(lambda: member(income=-1), "income", id="negative_income"),
        pytest.param(lambda: FormerMember(income=-1), "FormerMember.income", id="negative_former"),
        pytest.param(lambda: Dependant(CHILD_10, -1), "total_income", id="negative_dependant"),
        pytest.param(lambda: HouseholdIncome(members=()), "70–74 member", id="no_members"),
        pytest.param(
            lambda: HouseholdIncome(
                members=(member(householder=True), member(born=AGED_71, householder=True)),
                householder_is_70_or_over=True,
            ),
            "at most one",
            id="two_householders",
        ),
        pytest.param(
            lambda: HouseholdIncome(members=(member(householder=True),)),
            "householder_is_70_or_over",
            id="member_householder_but_flag_says_under_70",
        ),
    ],
)
def test_r_ratio_facts_that_cannot_hold_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(lambda: member(taxable=True), id="a_bool_is_not_yen"),
        pytest.param(lambda: member(income=1.5), id="a_float_is_not_yen"),
        pytest.param(lambda: member(born=datetime(1953, 5, 10)), id="a_datetime_is_not_a_date"),
        pytest.param(lambda: HouseholdIncome(members=(FormerMember(0),)), id="wrong_member_kind"),
    ],
)
def test_r_ratio_facts_of_the_wrong_type_raise_type_error(build):
    with pytest.raises(TypeError):
        build()


@pytest.mark.parametrize(
    ("born", "message"),
    [
        # Reaches 70 on 2026-08-01, so the 70–74 rate starts on 2026-09-01.
        pytest.param(
            date(1956, 8, 2), "not yet 70–74", id="a_member_whose_70_74_rate_starts_later"
        ),
        # 75th birthday on the reference date: 後期高齢者医療 from that day.
        pytest.param(date(1951, 8, 1), "FormerMember", id="a_member_on_the_75th_birthday"),
    ],
)
def test_r_ratio_members_who_are_not_70_to_74_on_the_reference_date_raise(born, message):
    with pytest.raises(ValueError, match=message):
        decide(HouseholdIncome(members=(member(born=born),)))


@pytest.mark.parametrize(
    "born",
    [
        pytest.param(date(1956, 8, 1), id="reached_70_the_day_before_the_reference_date"),
        pytest.param(date(1951, 8, 2), id="the_day_before_the_75th_birthday"),
    ],
)
def test_r_ratio_members_at_the_edges_of_70_to_74_are_accepted(born):
    assert decide(HouseholdIncome(members=(member(born=born),))).category == "general"


def test_r_ratio_dependant_not_yet_born_raises():
    with pytest.raises(ValueError, match="not yet born"):
        decide(householder_with(0, (Dependant(date(2026, 8, 2), 0),)))


# --- Dates of the determination ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "effective_from", "fiscal_year"),
    [
        pytest.param(date(2026, 8, 1), date(2026, 8, 1), 2026, id="1_august_starts_a_new_year"),
        pytest.param(date(2026, 7, 31), date(2025, 8, 1), 2025, id="31_july_is_still_last_year"),
        pytest.param(date(2026, 12, 31), date(2026, 8, 1), 2026, id="december_after_1_august"),
        pytest.param(date(2027, 1, 1), date(2026, 8, 1), 2026, id="january_uses_last_august"),
        pytest.param(date(2026, 10, 1), date(2026, 8, 1), 2026, id="turning_70_mid_year"),
    ],
)
def test_r_ratio_is_redetermined_each_1_august(day, effective_from, fiscal_year):
    assert determination_effective_from(day) == effective_from
    assert fiscal_year_for_income(day) == fiscal_year


def test_r_ratio_redetermination_month_comes_from_the_policy():
    policy = policy_at(AUG_1, ratio_redetermined_month=4)

    assert determination_effective_from(date(2026, 3, 31), policy=policy) == date(2025, 4, 1)
    assert fiscal_year_for_income(date(2026, 4, 1), policy=policy) == 2026


# --- No Django in the rules ----------------------------------------------------------------------

ALLOWED_PROJECT_IMPORTS = {"eligibility.rules.policy", "eligibility.rules.dates"}


def imported_modules(source: str, package: str) -> set[str]:
    """Every module a source imports, relative imports resolved against `package`."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            modules.add(base)
    return modules


def disallowed(modules: set[str]) -> set[str]:
    return {
        m
        for m in modules
        if m.split(".")[0] not in sys.stdlib_module_names
        and m != "__future__"
        and m not in ALLOWED_PROJECT_IMPORTS
    }


def test_r_ratio_import_check_catches_django_and_relative_imports():
    source = "import django\nfrom django.db import models\nfrom .engine import x\nimport datetime\n"

    assert disallowed(imported_modules(source, "eligibility.rules")) == {
        "django",
        "django.db",
        "eligibility.rules.engine",
    }


def test_r_ratio_income_rules_import_no_django():
    source = Path(income_module.__file__).read_text(encoding="utf-8")

    modules = imported_modules(source, "eligibility.rules")

    assert not any(m == "django" or m.startswith("django.") for m in modules)
    assert disallowed(modules) == set()


# --- Properties ----------------------------------------------------------------------------------

PROPERTIES = settings(max_examples=300, deadline=None, database=None)

# Everyone born in this range is 70–74 on AUG_1.
members_born = st.dates(min_value=date(1951, 8, 2), max_value=date(1956, 8, 1))
THRESHOLDS = (1_450_000, 2_100_000, 3_830_000, 5_200_000, 330_000, 120_000, 380_000)
# Whole 10万 steps spread the draws over every step of the rule (plain integers cluster near 0);
# the thresholds ±2 yen probe the boundaries.
yen = st.one_of(
    st.integers(min_value=0, max_value=80).map(lambda k: k * 100_000),
    st.integers(min_value=0, max_value=8_000_000),
    st.sampled_from(THRESHOLDS).flatmap(lambda t: st.integers(t - 2, t + 2)),
)


@st.composite
def households(draw) -> HouseholdIncome:
    n = draw(st.integers(min_value=1, max_value=3))
    householder = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=n - 1)))
    members = tuple(
        ElderlyMember(
            birth_date=draw(st.one_of(members_born, st.just(date(1951, 8, 2)))),
            taxable_income=draw(yen),
            old_proviso_income=draw(yen),
            income=draw(yen),
            is_householder=i == householder,
        )
        for i in range(n)
    )
    return HouseholdIncome(
        members=members,
        former_members=tuple(
            FormerMember(draw(yen)) for _ in range(draw(st.integers(min_value=0, max_value=2)))
        ),
        base_income_application=draw(st.booleans()),
        householder_is_70_or_over=True if householder is not None else draw(st.booleans()),
        dependants=tuple(
            Dependant(
                draw(st.dates(min_value=date(2005, 1, 1), max_value=AUG_1)),
                draw(st.integers(min_value=0, max_value=600_000)),
            )
            for _ in range(draw(st.integers(min_value=0, max_value=3)))
        ),
    )


@PROPERTIES
@given(households(), st.data())
def test_r_ratio_raising_a_taxable_income_never_turns_active_into_general(household, data):
    before = decide(household)
    index = data.draw(st.integers(min_value=0, max_value=len(household.members) - 1))
    raise_by = data.draw(yen)
    members = list(household.members)
    members[index] = replace(
        members[index], taxable_income=members[index].taxable_income + raise_by
    )

    after = decide(replace(household, members=tuple(members)))

    if before.category == "active":
        assert after.category == "active"


@PROPERTIES
@given(households(), st.data())
def test_r_ratio_lowering_every_income_never_turns_general_into_active(household, data):
    def lower(value: int) -> int:
        return data.draw(st.integers(min_value=0, max_value=value))

    before = decide(household)
    lowered = replace(
        household,
        members=tuple(
            replace(
                m,
                taxable_income=lower(m.taxable_income),
                old_proviso_income=lower(m.old_proviso_income),
                income=lower(m.income),
            )
            for m in household.members
        ),
        former_members=tuple(FormerMember(lower(f.income)) for f in household.former_members),
        dependants=tuple(
            replace(d, total_income=lower(d.total_income)) for d in household.dependants
        ),
    )

    after = decide(lowered)

    if before.category == "general":
        assert after.category == "general"


@PROPERTIES
@given(households())
def test_r_ratio_an_application_never_turns_general_into_active(household):
    without = decide(replace(household, base_income_application=False))
    with_application = decide(replace(household, base_income_application=True))

    if without.category == "general":
        assert with_application.category == "general"
        assert with_application.step == without.step


@PROPERTIES
@given(households(), st.lists(yen, min_size=3, max_size=3), yen)
def test_r_ratio_without_application_income_is_not_looked_at(household, incomes, former_income):
    household = replace(household, base_income_application=False)
    changed = replace(
        household,
        members=tuple(
            replace(m, income=i) for m, i in zip(household.members, incomes, strict=False)
        ),
        former_members=(FormerMember(former_income),),
    )

    assert decide(changed).step == decide(household).step


@PROPERTIES
@given(households(), yen)
def test_r_ratio_a_former_member_never_turns_general_into_active(household, former_income):
    before = decide(household)
    after = decide(
        replace(household, former_members=(*household.former_members, FormerMember(former_income)))
    )

    if before.category == "general":
        assert after.category == "general"


@PROPERTIES
@given(households())
def test_r_ratio_decision_agrees_with_its_own_figures(household):
    decision = decide(household)
    figures = decision.figures
    policy = decision.policy
    threshold = policy.active_taxable_income_min

    assert RULE in decision.rule_ids
    assert (decision.category == "active") == (decision.step == "active")
    assert decision.ratio == (
        policy.ratio_elderly_active if decision.is_active else policy.ratio_elderly
    )
    assert (figures.highest_adjusted_taxable_income < threshold) == (
        decision.step == "below_taxable_threshold"
    )
    for index, (given_income, adjusted) in enumerate(
        zip(figures.taxable_incomes, figures.adjusted_taxable_incomes, strict=True)
    ):
        if index == figures.householder_index:
            assert adjusted == max(0, given_income - figures.householder_deduction)
        else:
            assert adjusted == given_income
    if decision.step.startswith("base_income"):
        assert household.base_income_application
