"""R-RATIO for 70–74: is a household's income "general" (2割) or "active" (現役並み, 3割)?

Pure: frozen facts, a `reference_date` and optionally a Policy in, a frozen decision out. No clock,
no database, no settings, no Django. Every amount, age and date comes from the Policy snapshot.

The steps (research/nhi_rules.md §4.3), first match wins:
1. no 70–74 member has an (adjusted) taxable income of at least 145万円 -> general;
2. a 70–74 member was born on or after 1945-01-02 and the 70–74 members' 旧ただし書所得 add up to at
   most 210万円 -> general;
3. only after an application (基準収入額適用申請): one member with 収入 under 383万円;
   one member whose 収入 plus that of the former members (旧国保被保険者: now in
   後期高齢者医療, still in the household) is under 520万円; two or more members whose 収入
   add up to under 520万円 -> general;
4. otherwise active.

`reference_date` is the first day the determination applies: 1 August for the yearly
redetermination, or the day a member's 70–74 rate begins. Every member must be 70–74 on it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from eligibility.rules.dates import (
    ONE_DAY,
    add_months,
    age_on,
    anniversary,
    first_of_month,
    reaches_age_on,
)
from eligibility.rules.policy import Policy, policy_at

RULE_ID = "R-RATIO"

# The age from which a dependant gets the smaller deduction. Policy has the amounts
# (dependant_deduction_under_16 / _16_to_18) but not this age; it belongs there.


class IncomeCategory(enum.StrEnum):
    GENERAL = "general"
    ACTIVE = "active"  # 現役並み所得


class IncomeStep(enum.StrEnum):
    """The step that decided; doubles as the reason code shown to people."""

    BELOW_TAXABLE_THRESHOLD = "below_taxable_threshold"
    OLD_PROVISO_INCOME = "old_proviso_income"
    BASE_INCOME_SINGLE = "base_income_single"
    BASE_INCOME_WITH_FORMER = "base_income_with_former"
    BASE_INCOME_MULTI = "base_income_multi"
    ACTIVE = "active"


class DependantOutcome(enum.StrEnum):
    UNDER_16 = "under_16"
    AGED_16_TO_18 = "aged_16_to_18"
    NOT_UNDER_19 = "not_under_19"
    INCOME_ABOVE_LIMIT = "income_above_limit"
    # The householder is under 70, or is not a 70–74 member (e.g. already in 後期高齢者医療).
    HOUSEHOLDER_NOT_ELDERLY_MEMBER = "householder_not_elderly_member"


def _check_yen(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{owner}.{name} must be a whole number of yen, got {value!r}")
    if value < 0:
        raise ValueError(f"{owner}.{name} must not be negative, got {value} yen")


def _check_date(owner: str, name: str, value: Any) -> None:
    # datetime is a date subclass, but comparing it with a date raises; refuse it here.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise TypeError(f"{owner}.{name} must be a date, got {value!r}")


@dataclass(frozen=True, slots=True)
class ElderlyMember:
    """One 70–74 NHI member. Amounts in yen for the fiscal year in use (fiscal_year_for_income)."""

    birth_date: date
    taxable_income: int  # 住民税課税所得 (課税標準額)
    old_proviso_income: int  # 旧ただし書所得
    income: int  # 収入
    is_householder: bool = False

    def __post_init__(self) -> None:
        _check_date("ElderlyMember", "birth_date", self.birth_date)
        for name in ("taxable_income", "old_proviso_income", "income"):
            _check_yen("ElderlyMember", name, getattr(self, name))


@dataclass(frozen=True, slots=True)
class FormerMember:
    """A 旧国保被保険者: moved to 後期高齢者医療 and still in the household."""

    income: int  # 収入

    def __post_init__(self) -> None:
        _check_yen("FormerMember", "income", self.income)


@dataclass(frozen=True, slots=True)
class Dependant:
    """A household member who may lower the householder's taxable income (under 19)."""

    birth_date: date
    total_income: int  # 合計所得金額

    def __post_init__(self) -> None:
        _check_date("Dependant", "birth_date", self.birth_date)
        _check_yen("Dependant", "total_income", self.total_income)


@dataclass(frozen=True, slots=True)
class HouseholdIncome:
    """The household facts R-RATIO reads.

    The dependant deduction applies to the taxable income of the member marked `is_householder`,
    which needs `householder_is_70_or_over`; a 70+ householder who is not a 70–74 member (say, in
    後期高齢者医療) has no taxable income in the test, so nothing is deducted.
    """

    members: tuple[ElderlyMember, ...]
    former_members: tuple[FormerMember, ...] = ()
    base_income_application: bool = False
    householder_is_70_or_over: bool = False
    dependants: tuple[Dependant, ...] = ()

    def __post_init__(self) -> None:
        # Accept any iterable but keep tuples, so the facts stay immutable and hashable.
        for name, kind in (
            ("members", ElderlyMember),
            ("former_members", FormerMember),
            ("dependants", Dependant),
        ):
            items = tuple(getattr(self, name))
            for item in items:
                if not isinstance(item, kind):
                    raise TypeError(f"HouseholdIncome.{name} holds {kind.__name__}, got {item!r}")
            object.__setattr__(self, name, items)
        if not self.members:
            raise ValueError("HouseholdIncome.members is empty: R-RATIO needs a 70–74 member")
        householders = [m for m in self.members if m.is_householder]
        if len(householders) > 1:
            raise ValueError("HouseholdIncome.members: at most one member is the householder")
        if householders and not self.householder_is_70_or_over:
            raise ValueError(
                "HouseholdIncome: a 70–74 member is the householder, so householder_is_70_or_over "
                "must be True"
            )


@dataclass(frozen=True, slots=True)
class DependantDeduction:
    birth_date: date
    age: int  # reached on the reference date (the day before a birthday counts)
    total_income: int
    amount: int
    outcome: DependantOutcome


@dataclass(frozen=True, slots=True)
class IncomeFigures:
    """The numbers behind a decision, in member order, so a person can be told why."""

    taxable_incomes: tuple[int, ...]
    dependant_deductions: tuple[DependantDeduction, ...]
    householder_index: int | None  # the member the deduction applies to
    householder_deduction: int  # deducted from that member's taxable income
    adjusted_taxable_incomes: tuple[int, ...]
    highest_adjusted_taxable_income: int
    has_member_born_on_or_after_proviso_date: bool
    old_proviso_income_sum: int
    income_sum: int  # 収入 of the 70–74 members
    former_income_sum: int  # 収入 of the former members


@dataclass(frozen=True, slots=True)
class IncomeDecision:
    category: IncomeCategory
    step: IncomeStep
    ratio: int  # percent: policy.ratio_elderly or policy.ratio_elderly_active
    rule_ids: tuple[str, ...]
    reference_date: date
    figures: IncomeFigures
    policy: Policy  # the thresholds used

    @property
    def is_active(self) -> bool:
        return self.category is IncomeCategory.ACTIVE


def _age_reached(birth_date: date, day: date) -> int:
    """Age reached by the end of `day`: the law counts the day before a birthday as reaching it."""
    return age_on(birth_date, day + ONE_DAY)


def _check_member_is_elderly(index: int, member: ElderlyMember, day: date, policy: Policy) -> None:
    # R-AGE70: the 70–74 rate starts on the 1st of the month after the month age 70 is reached.
    elderly_from = first_of_month(
        add_months(reaches_age_on(member.birth_date, policy.elderly_age), 1)
    )
    # R-AGE75: NHI ends on the 75th birthday.
    late_elderly_from = anniversary(member.birth_date, policy.late_elderly_age)
    if day < elderly_from:
        raise ValueError(
            f"member {index} (born {member.birth_date}) is not yet 70–74 on {day}: "
            f"the 70–74 rate starts on {elderly_from}"
        )
    if day >= late_elderly_from:
        raise ValueError(
            f"member {index} (born {member.birth_date}) is in 後期高齢者医療 from "
            f"{late_elderly_from}: pass them as a FormerMember"
        )


def _dependant_deduction(
    dependant: Dependant, day: date, policy: Policy, *, applies: bool
) -> DependantDeduction:
    if dependant.birth_date > day:
        raise ValueError(f"dependant born {dependant.birth_date} is not yet born on {day}")
    age = _age_reached(dependant.birth_date, day)
    amount = 0
    if age >= policy.dependant_age_limit:
        outcome = DependantOutcome.NOT_UNDER_19
    elif dependant.total_income > policy.dependant_income_max:
        outcome = DependantOutcome.INCOME_ABOVE_LIMIT
    elif not applies:
        outcome = DependantOutcome.HOUSEHOLDER_NOT_ELDERLY_MEMBER
    elif age < policy.dependant_older_from_age:
        outcome, amount = DependantOutcome.UNDER_16, policy.dependant_deduction_under_16
    else:
        outcome, amount = DependantOutcome.AGED_16_TO_18, policy.dependant_deduction_16_to_18
    return DependantDeduction(
        birth_date=dependant.birth_date,
        age=age,
        total_income=dependant.total_income,
        amount=amount,
        outcome=outcome,
    )


def _figures(household: HouseholdIncome, day: date, policy: Policy) -> IncomeFigures:
    members = household.members
    householder_index = next((i for i, m in enumerate(members) if m.is_householder), None)
    applies = household.householder_is_70_or_over and householder_index is not None
    deductions = tuple(
        _dependant_deduction(d, day, policy, applies=applies) for d in household.dependants
    )
    householder_deduction = sum(d.amount for d in deductions)
    taxable = tuple(m.taxable_income for m in members)
    adjusted = tuple(
        max(0, income - householder_deduction) if i == householder_index else income
        for i, income in enumerate(taxable)
    )
    return IncomeFigures(
        taxable_incomes=taxable,
        dependant_deductions=deductions,
        householder_index=householder_index,
        householder_deduction=householder_deduction,
        adjusted_taxable_incomes=adjusted,
        highest_adjusted_taxable_income=max(adjusted),
        has_member_born_on_or_after_proviso_date=any(
            m.birth_date >= policy.old_proviso_born_on_or_after for m in members
        ),
        old_proviso_income_sum=sum(m.old_proviso_income for m in members),
        income_sum=sum(m.income for m in members),
        former_income_sum=sum(f.income for f in household.former_members),
    )


def _step(household: HouseholdIncome, figures: IncomeFigures, policy: Policy) -> IncomeStep:
    if figures.highest_adjusted_taxable_income < policy.active_taxable_income_min:
        return IncomeStep.BELOW_TAXABLE_THRESHOLD
    if (
        figures.has_member_born_on_or_after_proviso_date
        and figures.old_proviso_income_sum <= policy.old_proviso_income_sum_max
    ):
        return IncomeStep.OLD_PROVISO_INCOME
    if household.base_income_application:
        if len(household.members) == 1:
            if figures.income_sum < policy.base_income_single_below:
                return IncomeStep.BASE_INCOME_SINGLE
            if (
                household.former_members
                and figures.income_sum + figures.former_income_sum < policy.base_income_multi_below
            ):
                return IncomeStep.BASE_INCOME_WITH_FORMER
        elif figures.income_sum < policy.base_income_multi_below:
            return IncomeStep.BASE_INCOME_MULTI
    return IncomeStep.ACTIVE


def decide_income_category(
    household: HouseholdIncome, *, reference_date: date, policy: Policy | None = None
) -> IncomeDecision:
    """R-RATIO for a household's 70–74 members; raises ValueError on facts that cannot hold."""
    _check_date("decide_income_category", "reference_date", reference_date)
    policy = policy if policy is not None else policy_at(reference_date)
    for index, member in enumerate(household.members):
        _check_member_is_elderly(index, member, reference_date, policy)
    figures = _figures(household, reference_date, policy)
    step = _step(household, figures, policy)
    active = step is IncomeStep.ACTIVE
    return IncomeDecision(
        category=IncomeCategory.ACTIVE if active else IncomeCategory.GENERAL,
        step=step,
        ratio=policy.ratio_elderly_active if active else policy.ratio_elderly,
        rule_ids=(RULE_ID,),
        reference_date=reference_date,
        figures=figures,
        policy=policy,
    )


def determination_effective_from(day: date, *, policy: Policy | None = None) -> date:
    """The yearly redetermination date (1 August) on or before `day`."""
    _check_date("determination_effective_from", "day", day)
    month = (policy if policy is not None else policy_at(day)).ratio_redetermined_month
    this_year = date(day.year, month, 1)
    return this_year if this_year <= day else date(day.year - 1, month, 1)


def fiscal_year_for_income(effective_from: date, *, policy: Policy | None = None) -> int:
    """The fiscal year of the 住民税 whose figures apply on `effective_from`.

    From 1 August to 31 July the current fiscal year's tax is used: effective 2026-08-01 -> 2026
    (令和8年度), which is assessed on the income of calendar year 2025 (the fiscal year minus one).
    """
    return determination_effective_from(effective_from, policy=policy).year
