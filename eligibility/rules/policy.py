"""Every date, age, amount and lead time the rules use, in one place, effective-dated.

Each parameter has a source (rule id and where it comes from) and a list of (effective_from, value)
pairs; `policy_at(day)` returns the values in force on that day as a frozen snapshot. Logic never
writes these numbers as literals: it reads them from the snapshot it was given.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

# The oldest effective date; a value "since the beginning" starts here.
BEGINNING = date(1900, 1, 1)


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    rule: str
    source: str
    values: tuple[tuple[date, Any], ...]

    def at(self, day: date) -> Any:
        """The value in force on `day`: the last one whose effective date is on or before it."""
        current = self.values[0][1]
        for effective_from, value in self.values:
            if effective_from <= day:
                current = value
            else:
                break
        return current


@dataclass(frozen=True, slots=True)
class Policy:
    """The parameter values in force on one day (see PARAMETERS for sources)."""

    paper_card_stop_on: date
    paper_card_last_valid_on: date
    renewal_lead_days: int
    myna_cert_grace_months: int
    certificate_max_years: int
    certificate_for_everyone: bool
    certificate_cycle_anchor: date
    certificate_cycle_years: int
    elderly_certificate_ends_month: int
    elderly_certificate_ends_day: int
    turns_70_documents_from: date
    elderly_age: int
    late_elderly_age: int
    preschool_age: int
    arrears_child_age: int
    special_medical_expenses_after_years: int
    ready_after_days: int
    ratio_standard: int
    ratio_preschool: int
    ratio_elderly: int
    ratio_elderly_active: int
    ratio_redetermined_month: int
    active_taxable_income_min: int
    old_proviso_born_on_or_after: date
    old_proviso_income_sum_max: int
    base_income_single_below: int
    base_income_multi_below: int
    dependant_deduction_under_16: int
    dependant_deduction_16_to_18: int
    dependant_income_max: int
    dependant_age_limit: int
    dependant_older_from_age: int


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "paper_card_stop_on",
        "R-PAPER-STOP",
        "Sumida leaflet: no new paper card from 令和6年12月2日",
        ((BEGINNING, date(2024, 12, 2)),),
    ),
    Parameter(
        "paper_card_last_valid_on",
        "R-PAPER-VALID",
        "Sumida leaflet: paper cards usable at most until 令和7年9月30日",
        ((BEGINNING, date(2025, 9, 30)),),
    ),
    Parameter(
        "renewal_lead_days",
        "R-CERT-WHO",
        "ASSESS_API.md: documents for an expiry are due this many days before it",
        ((BEGINNING, 60),),
    ),
    Parameter(
        "myna_cert_grace_months",
        "R-MYNA",
        "MHLW: card usable to the end of the 3rd month after the e-certificate expiry month",
        ((BEGINNING, 3),),
    ),
    Parameter(
        "certificate_max_years",
        "R-CERT-VALID",
        "National rule: validity set by the insurer, at most 5 years",
        ((BEGINNING, 5),),
    ),
    Parameter(
        "certificate_for_everyone",
        "R-CERT-VALID",
        "Ward policy switch (Setagaya, Shibuya 2025); off in Sumida unless decided",
        ((BEGINNING, False),),
    ),
    Parameter(
        "certificate_cycle_anchor",
        "R-CERT-VALID",
        "Ward policy (assumed): two-year cycle ending 30 September, as the paper cards had",
        ((BEGINNING, date(2025, 9, 30)),),
    ),
    Parameter(
        "certificate_cycle_years",
        "R-CERT-VALID",
        "Ward policy (assumed): two-year cycle, as Nakano and Koto",
        ((BEGINNING, 2),),
    ),
    Parameter(
        "elderly_certificate_ends_month",
        "R-CERT-VALID",
        "70–74 documents end each 31 July (ratio redetermined on 1 August)",
        ((BEGINNING, 7),),
    ),
    Parameter(
        "elderly_certificate_ends_day",
        "R-CERT-VALID",
        "70–74 documents end each 31 July (ratio redetermined on 1 August)",
        ((BEGINNING, 31),),
    ),
    Parameter(
        "turns_70_documents_from",
        "R-AGE70",
        "Sumida leaflet: from 令和6年12月2日 no 高齢受給者証; the month of turning 70 gets one",
        ((BEGINNING, date(2024, 12, 1)),),
    ),
    Parameter("elderly_age", "R-AGE70", "Law: 高齢受給者 from age 70", ((BEGINNING, 70),)),
    Parameter(
        "late_elderly_age",
        "R-AGE75",
        "Law: 後期高齢者医療 from the 75th birthday",
        ((BEGINNING, 75),),
    ),
    Parameter(
        "preschool_age",
        "R-RATIO",
        "Law: 2割 until the first 31 March on or after reaching 6",
        ((BEGINNING, 6),),
    ),
    Parameter(
        "arrears_child_age",
        "R-ARREARS",
        "Law: children up to the end of the fiscal year they reach 18 are excluded",
        ((BEGINNING, 18),),
    ),
    Parameter(
        "special_medical_expenses_after_years",
        "R-ARREARS",
        "Law: 特別療養費 after one year of unpaid premiums",
        ((BEGINNING, 1),),
    ),
    Parameter(
        "ready_after_days",
        "R-READY",
        "Sumida leaflet: usable with マイナ保険証 about one week after the procedure",
        ((BEGINNING, 7),),
    ),
    Parameter("ratio_standard", "R-RATIO", "Law: 3割", ((BEGINNING, 30),)),
    Parameter(
        "ratio_preschool", "R-RATIO", "Law: 2割 before compulsory school", ((BEGINNING, 20),)
    ),
    Parameter(
        "ratio_elderly",
        "R-RATIO",
        "Law: 2割 for 70–74 (since 2014-04 for new 70s)",
        ((BEGINNING, 20),),
    ),
    Parameter("ratio_elderly_active", "R-RATIO", "Law: 3割 for 現役並み所得", ((BEGINNING, 30),)),
    Parameter(
        "ratio_redetermined_month", "R-RATIO", "Law: redetermined each 1 August", ((BEGINNING, 8),)
    ),
    Parameter(
        "active_taxable_income_min",
        "R-RATIO",
        "Law: 現役並み when a 70–74 member's 課税所得 is at least 145万円",
        ((BEGINNING, 1_450_000),),
    ),
    Parameter(
        "old_proviso_born_on_or_after",
        "R-RATIO",
        "Law: 旧ただし書所得 test for households with a member born on or after 昭和20年1月2日",
        ((BEGINNING, date(1945, 1, 2)),),
    ),
    Parameter(
        "old_proviso_income_sum_max",
        "R-RATIO",
        "Law: 2割 when the 70–74 members' 旧ただし書所得 sum is at most 210万円",
        ((BEGINNING, 2_100_000),),
    ),
    Parameter(
        "base_income_single_below",
        "R-RATIO",
        "Law: 基準収入額 — one 70–74 member with 収入 under 383万円",
        ((BEGINNING, 3_830_000),),
    ),
    Parameter(
        "base_income_multi_below",
        "R-RATIO",
        "Law: 基準収入額 — two or more (or with a 旧国保被保険者) under 520万円",
        ((BEGINNING, 5_200_000),),
    ),
    Parameter(
        "dependant_deduction_under_16",
        "R-RATIO",
        "Law: 課税標準額 less 33万円 per dependant child under 16 (70+ householder)",
        ((BEGINNING, 330_000),),
    ),
    Parameter(
        "dependant_deduction_16_to_18",
        "R-RATIO",
        "Law: 課税標準額 less 12万円 per dependant aged 16–18 (70+ householder)",
        ((BEGINNING, 120_000),),
    ),
    Parameter(
        "dependant_income_max",
        "R-RATIO",
        "Law: dependants under 19 whose total income is at most 38万円",
        ((BEGINNING, 380_000),),
    ),
    Parameter("dependant_age_limit", "R-RATIO", "Law: dependants under 19", ((BEGINNING, 19),)),
    Parameter(
        "dependant_older_from_age",
        "R-RATIO",
        "Law: the 12万円 deduction applies from age 16 (33万円 under 16)",
        ((BEGINNING, 16),),
    ),
)

_BY_NAME = {p.name: p for p in PARAMETERS}
assert set(_BY_NAME) == {f.name for f in fields(Policy)}, "every Policy field needs a Parameter"


def policy_at(day: date, **overrides: Any) -> Policy:
    """The policy in force on `day`; keyword overrides (for what-if and tests) replace values."""
    snapshot = _policy_on(day)
    return replace(snapshot, **overrides) if overrides else snapshot


@functools.lru_cache(maxsize=4096)
def _policy_on(day: date) -> Policy:
    # Policies are frozen and PARAMETERS a tuple: the same day always gives an equal snapshot,
    # so one is built per day rather than per call (a batch assesses a million persons on one).
    return Policy(**{p.name: p.at(day) for p in PARAMETERS})


def parameter(name: str) -> Parameter:
    return _BY_NAME[name]
