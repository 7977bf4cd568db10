"""Showcase framework: what a showcase household is, how its outcome is written and checked,
how its documents are given, and the small builders the definitions use.

The definitions are in `relative` (記号 9101) and `examples` (記号 9102).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from eligibility.demo import SHOWCASE_SYMBOL
from eligibility.demo.plan import (
    HouseholdPlan,
    IncomeFigures,
    MynaPlan,
    PaperCardPlan,
    PersonPlan,
)
from eligibility.rules.assessment import DocumentDue
from eligibility.rules.dates import (
    ONE_DAY,
    add_months,
    first_of_month,
    reaches_age_on,
)
from eligibility.rules.policy import policy_at
from eligibility.sumida_addresses import TOWNS_BY_POSTAL_CODE

EARLIEST_AS_OF = date(2025, 10, 1)
# Sumida renewed every paper card on 2024-10-01 (valid to 2025-09-30).
PAPER_CARD_RENEWED_ON = date(2024, 10, 1)

Expect = dict[str, Any]


@dataclass(slots=True)
class Showcase:
    household: HouseholdPlan
    title: str  # what the household demonstrates (Japanese, for the summary and the docs)
    relative: bool  # its dates follow the as-of date
    check_on: date  # the day its expectations hold (the as-of date, or the example's date)
    expects: dict[str, Expect] = field(default_factory=dict)  # by branch
    notes: dict[str, str] = field(default_factory=dict)  # by branch: what this person shows


def due(document: str, reason: str, by: date | None = None, on_application: bool = False) -> dict:
    return {
        "document": document,
        "reason": reason,
        "by": by.isoformat() if by else None,
        "on_application": on_application,
    }


def expect(
    *,
    documents: tuple[dict, ...] = (),
    notes: tuple[str, ...] = (),
    ratio: int | None = 30,
    insured: bool = True,
    age: int | None = None,
    elderly: bool | None = None,
    **proofs: tuple[bool, str | None],
) -> Expect:
    """An expectation: `myna=(True, None)` pins a proof's usable flag and reason."""
    result: Expect = {
        "insured": insured,
        "burden_ratio": ratio if insured else None,
        "documents_due": list(documents),
        "notes": list(notes),
    }
    if age is not None:
        result["age"] = age
    if elderly is not None:
        result["elderly_recipient"] = elderly
    if proofs:
        result["proofs"] = {
            kind: {"usable": usable, "reason": reason} for kind, (usable, reason) in proofs.items()
        }
    return result


NOT_INSURED = expect(insured=False, myna=(False, "not_insured"))


def differences(expected: Expect, got: dict[str, Any]) -> list[str]:
    """What in an assessment result differs from an expectation (the worked examples' rules)."""
    diffs = []
    for key in ("insured", "age", "elderly_recipient", "burden_ratio"):
        if key in expected and got.get(key) != expected[key]:
            diffs.append(f"{key}: expected {expected[key]!r}, got {got.get(key)!r}")
    for kind, fields in expected.get("proofs", {}).items():
        proof = got.get("proofs", {}).get(kind, {})
        for name, value in fields.items():
            if proof.get(name) != value:
                diffs.append(f"proofs.{kind}.{name}: expected {value!r}, got {proof.get(name)!r}")

    def due_set(items: list[dict]) -> list[tuple]:
        return sorted(
            (d["document"], d["reason"], d["by"], bool(d["on_application"])) for d in items
        )

    if "documents_due" in expected:
        want, have = due_set(expected["documents_due"]), due_set(got.get("documents_due", []))
        if want != have:
            diffs.append(f"documents_due: expected {want}, got {have}")
    if "notes" in expected:
        want_notes = sorted(expected["notes"])
        have_notes = sorted(n["code"] for n in got.get("notes", []))
        if want_notes != have_notes:
            diffs.append(f"notes: expected {want_notes}, got {have_notes}")
    return diffs


# --- issuing in the showcase ----------------------------------------------------------------------


class ShowcaseIssuer:
    """Deterministic: documents go out on the ward's usual days, capped at the as-of date.

    A person with a `pending_since` day (the day what they demonstrate began) is given nothing
    detected or issued on or after it, so it is still due; on-application documents are given
    only to persons who applied.
    """

    def __init__(self, pending_since: dict[str, date]) -> None:
        self.pending_since = pending_since

    def issue_on(
        self, person: PersonPlan, due: DocumentDue, detected_on: date, as_of: date
    ) -> date | None:
        if due.on_application:
            if due.reason not in person.applies_for:
                return None
            return min(detected_on + 2 * ONE_DAY, as_of)
        if due.reason == "turns_70":
            day = detected_on.replace(day=22)  # mailed late in the month (R-AGE70)
        elif due.reason == "paper_card_expiry" and due.by is not None:
            day = due.by - timedelta(weeks=6)
        elif due.reason == "certificate_expiry" and due.by is not None:
            day = due.by - timedelta(weeks=2)
        else:
            day = detected_on + 2 * ONE_DAY
        day = min(max(day, detected_on), as_of)
        pending = self.pending_since.get(person.branch)
        if pending is not None and max(day, detected_on) >= pending:
            return None
        return day


# --- building blocks ------------------------------------------------------------------------------


def address(postal_code: str, chome: int, banchi: int, go: int) -> tuple[str, str]:
    return postal_code, TOWNS_BY_POSTAL_CODE[postal_code].address(chome, banchi, go)


def household(number: str, where: tuple[str, str], symbol: str = SHOWCASE_SYMBOL) -> HouseholdPlan:
    return HouseholdPlan(symbol=symbol, number=number, postal_code=where[0], address=where[1])


_RELATIONS = {
    "主": "householder",
    "妻": "spouse",
    "夫": "spouse",
    "子": "child",
    "親": "parent",
    "他": "other",
}


def person(
    branch: str,
    name: str,
    relation: str,
    birth_date: date,
    *,
    enrolled_on: date = date(2014, 4, 1),
    reason: str = "job_loss",
    myna: MynaPlan | None = None,
    paper_card: bool = True,
    **more: Any,
) -> PersonPlan:
    """`name` is "family given ファミリー ギブン ♂|♀"; `relation` one of 主 妻 夫 子 親 他."""
    family, given, family_kana, given_kana, sex = name.split()
    enrolled_on = max(enrolled_on, birth_date)
    if enrolled_on == birth_date:
        reason = "birth"
    card = None
    policy = policy_at(PAPER_CARD_RENEWED_ON)
    if paper_card and enrolled_on < policy.paper_card_stop_on:
        last_day = min(
            policy.paper_card_last_valid_on,
            reaches_age_on(birth_date, policy.late_elderly_age),
        )
        card = PaperCardPlan(max(PAPER_CARD_RENEWED_ON, enrolled_on), last_day)
    return PersonPlan(
        branch=branch,
        family_name=family,
        given_name=given,
        family_name_kana=family_kana,
        given_name_kana=given_kana,
        sex="1" if sex == "♂" else "2",
        relation=_RELATIONS[relation],
        birth_date=birth_date,
        enrolled_on=enrolled_on,
        enrolment_reason=reason,
        myna=myna,
        paper_card=card,
        **more,
    )


def myna(as_of: date, registered_on: date = date(2023, 5, 10), **more: Any) -> MynaPlan:
    """A registered, valid card whose e-certificate runs about three more years."""
    more.setdefault("e_cert_valid_until", date(as_of.year + 3, 4, 30))
    return MynaPlan(registered_on=registered_on, **more)


def born(as_of: date, years: int, month: int, day: int) -> date:
    """Born in `month`/`day` of the year `years` before the as-of year (age years or years-1)."""
    return date(as_of.year - years, month, day)


def born_in_month(month_start: date, years: int, day: int) -> date:
    """Born on `day` of the month `years` years before `month_start`'s month."""
    return date(month_start.year - years, month_start.month, day)


def months_before(as_of: date, months: int, day: int) -> date:
    return add_months(first_of_month(as_of), -months).replace(day=day)


def leap_year_in(first: int, last: int) -> int:
    return next(y for y in range(last, first - 1, -1) if y % 4 == 0 and (y % 100 or y % 400 == 0))


def small_pension(person: PersonPlan, fiscal_year: int) -> IncomeFigures:
    return person.base_income or IncomeFigures(0, 0, 780_000)
