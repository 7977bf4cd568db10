"""A plausible document history for a planned household, decided by the rules themselves.

The seed does not guess which 資格確認書 or お知らせ a person should hold: it walks through the days
on which something could have become due (enrolment, events, the paper card's expiry, the month of
turning 70, an e-certificate's expiry, a certificate's renewal) and asks `rules.engine.assess`
what was due on each. An `Issuer` then says when the ward gave that document, if it did: the
monthly batch, the counter, or never (an application that was not made). What was due too
recently to be issued is left due, so the due list on the as-of date looks like a real one.

The 70–74 co-payment category is decided the same way, by `rules.income.decide_income_category`
on each 1 August and on the day a member's 70–74 rate begins.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache
from typing import Protocol

from eligibility.demo.plan import DeterminationPlan as Determination
from eligibility.demo.plan import (
    DocumentPlan,
    HouseholdPlan,
    IncomeFigures,
    PersonPlan,
)
from eligibility.rules import facts
from eligibility.rules.assessment import Assessment, DocumentDue
from eligibility.rules.dates import (
    ONE_DAY,
    add_months,
    age_on,
    anniversary,
    end_of_nth_month_after,
    first_of_month,
    reaches_age_on,
)
from eligibility.rules.engine import assess
from eligibility.rules.income import (
    Dependant,
    ElderlyMember,
    FormerMember,
    HouseholdIncome,
    decide_income_category,
    determination_effective_from,
    fiscal_year_for_income,
)
from eligibility.rules.policy import Policy, policy_at
from eligibility.rules.validity import certificate_validity

CERTIFICATE = facts.DocumentKind.CERTIFICATE
NOTICE = facts.DocumentKind.NOTICE

# Renewals take effect the day after the document they replace ends.
_RENEWALS = {"paper_card_expiry", "certificate_expiry"}
_PAPER_VOIDING = {
    "address_change": "contents_changed",
    "householder_change": "contents_changed",
    "paper_card_lost": "lost",
}
# A person rarely needs more than a handful of documents; this only stops a runaway loop.
_MAX_CHECKS = 60
_ENROLMENT_REASONS = {r.value for r in facts.EnrolmentReason}


@lru_cache(maxsize=8192)
def policy_on(day: date) -> Policy:
    return policy_at(day)


class Issuer(Protocol):
    def issue_on(
        self, person: PersonPlan, due: DocumentDue, detected_on: date, as_of: date
    ) -> date | None:
        """The day the ward gave the due document (≥ detected_on), or None if it did not."""


# --- facts from a plan ----------------------------------------------------------------------------


def income_on(household: HouseholdPlan, day: date) -> facts.Income:
    in_force = [d for d in household.determinations if d.effective_from <= day]
    if not in_force:
        return facts.Income.GENERAL
    return facts.Income(max(in_force, key=lambda d: d.effective_from).category)


def _arrears_since(household: HouseholdPlan, day: date) -> date | None:
    unpaid = [
        a.since
        for a in household.arrears
        if a.since <= day and (a.settled_on is None or a.settled_on > day)
    ]
    return min(unpaid, default=None)


def facts_at(person: PersonPlan, household: HouseholdPlan, day: date) -> facts.PersonFacts:
    """The facts the rules would read on `day`, as `facts_builder` reads them from the rows."""
    myna = None
    if person.myna is not None:
        card = person.myna
        status = card.card_status
        if card.status_changed_on is not None and card.status_changed_on > day:
            status = "valid"  # the card was still valid then
        myna = facts.MynaCard(card.registered_on, facts.CardStatus(status), card.e_cert_valid_until)
    paper = person.paper_card
    certificates = [d for d in person.documents if d.kind is CERTIFICATE and d.issued_on <= day]
    current = [c for c in certificates if c.voided_on is None or c.voided_on > day]
    certificate = None
    if current:
        latest = current[-1]
        assert latest.valid_until is not None
        certificate = facts.Certificate(latest.issued_on, latest.valid_until)
    reason = person.enrolment_reason
    return facts.PersonFacts(
        birth_date=person.birth_date,
        enrolled_on=person.enrolled_on,
        enrolment_reason=facts.EnrolmentReason(
            reason if reason in _ENROLMENT_REASONS else facts.EnrolmentReason.OTHER
        ),
        withdrawn_on=person.withdrawn_on,
        income=income_on(household, day),
        premium_arrears_since=_arrears_since(household, day),
        needs_support=person.needs_support
        and (person.needs_support_since is None or person.needs_support_since <= day),
        myna=myna,
        paper_card=(
            facts.PaperCard(paper.issued_on, paper.valid_until)
            if paper is not None and paper.issued_on <= day
            else None
        ),
        certificate=certificate,
        documents_issued=tuple(
            sorted(
                (
                    facts.DocumentIssued(d.kind, d.issued_on)
                    for d in person.documents
                    if d.issued_on <= day
                ),
                key=lambda d: (d.issued_on, d.document),
            )
        ),
        events=tuple(
            facts.Event(e.on, facts.EventKind(e.kind)) for e in person.events if e.on <= day
        ),
    )


# --- documents ------------------------------------------------------------------------------------


def complete_documents(
    household: HouseholdPlan,
    as_of: date,
    issuer: Issuer,
    *,
    start: date | None = None,
    members: list[PersonPlan] | None = None,
) -> None:
    """Give members (all by default) the documents the rules called for from `start` to `as_of`.

    `start` defaults to the first day a document could be due (the paper cards' stop).
    """
    policy = policy_on(as_of)
    start = start or min(policy.paper_card_stop_on, policy.turns_70_documents_from)
    for person in household.members if members is None else members:
        person.events.sort(key=lambda e: e.on)
        _issue_documents(person, household, as_of, issuer, start)
        _close_records(person, as_of)


def _first_checks(person: PersonPlan, start: date, policy: Policy) -> set[date]:
    checks = {first_of_month(reaches_age_on(person.birth_date, policy.elderly_age))}
    if person.enrolled_on >= start:
        checks.add(person.enrolled_on)
    checks.update(e.on for e in person.events)
    if person.paper_card is not None:
        expiry = min(person.paper_card.valid_until, policy.paper_card_last_valid_on)
        checks.add(expiry - timedelta(days=policy.renewal_lead_days))
        if _held_back_by_paper_card(person, expiry):
            checks.add(expiry + ONE_DAY)
    if person.myna is not None:
        expiry = person.myna.e_cert_valid_until
        if expiry is not None:
            grace_end = end_of_nth_month_after(expiry, policy.myna_cert_grace_months)
            checks.update((expiry + ONE_DAY, grace_end + ONE_DAY))
        if person.myna.status_changed_on is not None:
            checks.add(person.myna.status_changed_on)
    if person.needs_support:
        checks.add(person.needs_support_since or person.enrolled_on)
    return checks


def _changed_between(person: PersonPlan, first: date, last: date) -> bool:
    """Whether something the document's kind depends on happened after `first`, by `last`."""
    myna = person.myna
    days = [e.on for e in person.events]
    if myna is not None:
        days += [d for d in (myna.registered_on, myna.status_changed_on) if d is not None]
    return any(first < d <= last for d in days)


def _held_back_by_paper_card(person: PersonPlan, expiry: date) -> bool:
    """Whether a reason may have waited for the paper card to end (R-CERT-WHO: no certificate
    while it is usable), so the day after its expiry needs a look."""
    myna = person.myna
    return (
        person.needs_support
        or any(e.on <= expiry for e in person.events)
        or (
            myna is not None
            and myna.e_cert_valid_until is not None
            and myna.e_cert_valid_until <= expiry
        )
        or (
            myna is not None
            and myna.status_changed_on is not None
            and myna.status_changed_on <= expiry
        )
    )


def _issue_documents(
    person: PersonPlan, household: HouseholdPlan, as_of: date, issuer: Issuer, start: date
) -> None:
    policy = policy_on(as_of)
    queue = sorted(d for d in _first_checks(person, start, policy) if start <= d <= as_of)
    planned = set(queue)

    def check_on(day: date) -> None:
        if day not in planned and start <= day <= as_of:
            planned.add(day)
            heapq.heappush(queue, day)

    clock = start
    decided: set[tuple[facts.DocumentKind, str, date]] = set()
    for _ in range(_MAX_CHECKS):
        if not queue:
            return
        day = heapq.heappop(queue)
        if day < clock:
            check_on(clock)  # what began while a document was on its way is seen then
            continue
        result = assess(facts_at(person, household, day), day, policy_on(day))
        if not result.insured or not result.documents_due:
            continue
        due = result.documents_due[0]
        key = (due.document, due.reason, due.trigger_on)
        if key in decided:
            continue  # already given, missed, or still to come after as_of
        decided.add(key)
        issued_on = issuer.issue_on(person, due, day, as_of)
        ends = result.milestones.coverage_ends_on
        if issued_on is None or issued_on > as_of or (ends is not None and issued_on >= ends):
            continue  # not given (yet), or the person left NHI before it went out
        if _changed_between(person, day, issued_on):
            # The card or the events changed while the document was on its way: what is due
            # is decided again on the day it would go out.
            decided.discard(key)
            check_on(issued_on)
            clock = issued_on
            continue
        document = _document(person, household, due, result, issued_on)
        person.documents.append(document)
        clock = issued_on
        if len(result.applying_reasons) > 1:
            check_on(issued_on)  # the same day again: another document may be due
        if document.valid_until is not None:
            check_on(document.valid_until - timedelta(days=policy.renewal_lead_days))
            check_on(document.valid_until + ONE_DAY)
            registered_on = person.myna.registered_on if person.myna is not None else None
            if registered_on is not None and registered_on > issued_on:
                # From then on reasons call for a お知らせ: one may be due for what this settled.
                check_on(registered_on)


def _printed_ratio(household: HouseholdPlan, result: Assessment, day: date) -> int | None:
    """負担割合 is printed for 70–74 only: the rate in force from `day` (or from 70–74's start)."""
    if day < result.milestones.elderly_from:
        return None
    policy = policy_on(day)
    if income_on(household, day) is facts.Income.ACTIVE:
        return policy.ratio_elderly_active
    return policy.ratio_elderly


def _document(
    person: PersonPlan,
    household: HouseholdPlan,
    due: DocumentDue,
    result: Assessment,
    issued_on: date,
) -> DocumentPlan:
    marks = result.milestones
    if due.document is NOTICE:
        shows_from = max(issued_on, marks.elderly_from) if due.reason == "turns_70" else issued_on
        return DocumentPlan(
            NOTICE, issued_on, due.reason, due.rules, _printed_ratio(household, result, shows_from)
        )
    starts = issued_on
    if due.reason in _RENEWALS and due.by is not None and due.by >= issued_on:
        starts = due.by + ONE_DAY
    elif due.reason == "turns_70":
        starts = max(issued_on, marks.elderly_from)
    if starts >= marks.late_elderly_from:
        starts = issued_on  # coverage ends before the renewal would begin
    validity = certificate_validity(person.birth_date, starts, policy_on(starts))
    lead = timedelta(days=policy_on(issued_on).renewal_lead_days)
    if validity.ends_because == "cycle" and validity.valid_until - lead <= issued_on:
        # The ward does not hand out a certificate that is already due for renewal (the rules
        # would count it as its own renewal and never renew it): issued in the last weeks of a
        # cycle, it is made valid for the next cycle as well.
        following = validity.valid_until + ONE_DAY
        validity = certificate_validity(person.birth_date, following, policy_on(following))
    earlier = [d for d in person.documents if d.kind is CERTIFICATE]
    for old in earlier:
        if old.voided_on is None:
            old.voided_on = issued_on
            old.void_reason = (
                "renewed" if due.reason in ("certificate_expiry", "turns_70") else "reissued"
            )
    return DocumentPlan(
        CERTIFICATE,
        issued_on,
        due.reason,
        due.rules,
        _printed_ratio(household, result, starts),
        number=f"{household.symbol}{household.number}{person.branch}{len(earlier) + 1:02d}",
        valid_until=validity.valid_until,
        special_medical_expenses=any(n.code == "special_medical_expenses" for n in result.notes),
    )


def _close_records(person: PersonPlan, as_of: date) -> None:
    """Mark the paper card and the certificate the way the ward's records would show them."""
    card = person.paper_card
    if card is not None:
        voiding = next(
            (
                e
                for e in person.events
                if e.kind in _PAPER_VOIDING
                and card.issued_on <= e.on <= min(card.valid_until, as_of)
            ),
            None,
        )
        if voiding is not None:
            card.invalidated_on, card.invalidated_reason = voiding.on, _PAPER_VOIDING[voiding.kind]
        elif person.withdrawn_on is not None and person.withdrawn_on <= min(
            card.valid_until, as_of
        ):
            card.invalidated_on, card.invalidated_reason = person.withdrawn_on, "withdrawn"
    ends = person.withdrawn_on
    if ends is None or ends > as_of:
        return
    for document in person.documents:
        if document.kind is CERTIFICATE and document.voided_on is None:
            assert document.valid_until is not None
            if document.valid_until >= ends:
                document.voided_on = max(ends, document.issued_on)
                document.void_reason = "withdrawn"


# --- 負担割合 (R-RATIO) ----------------------------------------------------------------------


def _elderly_from(birth_date: date, policy: Policy) -> date:
    return first_of_month(add_months(reaches_age_on(birth_date, policy.elderly_age), 1))


def _covered_on(person: PersonPlan, day: date) -> bool:
    return person.enrolled_on <= day and (person.withdrawn_on is None or person.withdrawn_on > day)


def plan_determinations(
    household: HouseholdPlan,
    as_of: date,
    income_for: Callable[[PersonPlan, int], IncomeFigures],
) -> None:
    """Decide the household's 70–74 category on each 1 August and when a member turns 70–74.

    Looks back to the 1 August before the last one, so documents issued in the past year see the
    category then in force. `income_for(person, fiscal_year)` gives figures a person has no record
    of yet; they are kept in `person.incomes` and become IncomeRecord rows.
    """
    policy = policy_on(as_of)
    if all(reaches_age_on(p.birth_date, policy.elderly_age) >= as_of for p in household.members):
        return  # nobody has been 70–74 yet
    latest = determination_effective_from(as_of, policy=policy)
    earliest = latest.replace(year=latest.year - 1)
    days = {earliest, latest}
    for person in household.members:
        begins = _elderly_from(person.birth_date, policy)
        if earliest < begins <= as_of:
            days.add(begins)
    householder = household.householder
    for day in sorted(days):
        elderly = [
            p
            for p in household.members
            if _elderly_from(p.birth_date, policy)
            <= day
            < anniversary(p.birth_date, policy.late_elderly_age)
            and _covered_on(p, day)
        ]
        if not elderly:
            continue
        year = fiscal_year_for_income(day, policy=policy)
        former = [
            p
            for p in household.members
            if anniversary(p.birth_date, policy.late_elderly_age) <= day
            and p.enrolled_on <= day
            and p.withdrawal_reason in ("", "late_elderly")
        ]
        for person in elderly + former:
            if year not in person.incomes:
                person.incomes[year] = income_for(person, year)
        household_income = HouseholdIncome(
            members=tuple(
                ElderlyMember(
                    birth_date=p.birth_date,
                    taxable_income=p.incomes[year].taxable_income,
                    old_proviso_income=p.incomes[year].old_proviso_income,
                    income=p.incomes[year].income,
                    is_householder=p is householder,
                )
                for p in elderly
            ),
            former_members=tuple(FormerMember(income=p.incomes[year].income) for p in former),
            base_income_application=household.base_income_application,
            householder_is_70_or_over=age_on(householder.birth_date, day + ONE_DAY)
            >= policy.elderly_age,
            dependants=tuple(
                Dependant(birth_date=p.birth_date, total_income=0)
                for p in household.members
                if p.birth_date <= day
                and age_on(p.birth_date, day + ONE_DAY) < policy.dependant_age_limit
            ),
        )
        decision = decide_income_category(household_income, reference_date=day, policy=policy)
        household.determinations.append(
            Determination(
                effective_from=day,
                category=decision.category.value,
                base_income_application=household.base_income_application,
                rule_ids=decision.rule_ids,
            )
        )
