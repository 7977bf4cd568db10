"""Rows to rule facts: the only code that knows both the ORM models and the rule inputs.

Everything is read from the person's related managers with `.all()`, and chosen in Python, so a
queryset from `persons_for_assessment()` builds facts for any number of people in a fixed number
of queries; a single person without prefetching costs a handful of small queries.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from cards.models import Certificate, MyNumberCard, PaperCard
from eligibility.models import (
    BurdenDetermination,
    Enrolment,
    InsuredPerson,
    LifeEvent,
    PremiumArrears,
)
from eligibility.rules import facts
from notices.models import Notice


class NoEnrolment(LookupError):
    """The person has no enrolment period at all, so there is nothing to assess."""


def persons_for_assessment() -> QuerySet[InsuredPerson]:
    """Insured persons with every row `build_person_facts` reads, in a fixed number of queries."""
    return InsuredPerson.objects.select_related("household", "myna_card").prefetch_related(
        "enrolments",
        "events",
        "paper_cards",
        "certificates",
        "notices",
        "household__burden_determinations",
        "household__premium_arrears",
    )


def build_person_facts(person: InsuredPerson, as_of: date) -> facts.PersonFacts:
    """The facts about `person` the rules need to assess them on `as_of`.

    Rows dated after `as_of` are left out, so a past `as_of` sees the records as they stood then
    (except the My Number card, which holds only its current status).
    """
    enrolment = _enrolment_for(list(person.enrolments.all()), as_of)
    certificates = list(person.certificates.all())
    return facts.PersonFacts(
        birth_date=person.birth_date,
        enrolled_on=enrolment.enrolled_on,
        enrolment_reason=_ENROLMENT_REASONS[enrolment.reason],
        withdrawn_on=enrolment.withdrawn_on,
        income=_income_on(list(person.household.burden_determinations.all()), as_of),
        premium_arrears_since=_arrears_since(list(person.household.premium_arrears.all()), as_of),
        needs_support=person.needs_support,
        myna=_myna(person),
        paper_card=_paper_card(list(person.paper_cards.all()), as_of),
        certificate=_certificate(certificates, as_of),
        documents_issued=_documents_issued(certificates, list(person.notices.all()), as_of),
        events=_events(list(person.events.all()), as_of),
    )


# The rules know job_loss | move_in | birth | other; the model records more detail.
_ENROLMENT_REASONS: dict[str, facts.EnrolmentReason] = {
    Enrolment.Reason.JOB_LOSS: facts.EnrolmentReason.JOB_LOSS,
    Enrolment.Reason.MOVE_IN: facts.EnrolmentReason.MOVE_IN,
    Enrolment.Reason.BIRTH: facts.EnrolmentReason.BIRTH,
    Enrolment.Reason.WELFARE_ENDED: facts.EnrolmentReason.OTHER,
    Enrolment.Reason.OTHER: facts.EnrolmentReason.OTHER,
}


def _enrolment_for(enrolments: list[Enrolment], as_of: date) -> Enrolment:
    """The period in force on `as_of`; else the latest that began by then; else the earliest."""
    if not enrolments:
        raise NoEnrolment("This person has no enrolment period.")
    by_start = sorted(enrolments, key=lambda e: (e.enrolled_on, e.pk))
    started = [e for e in by_start if e.enrolled_on <= as_of]
    in_force = [e for e in started if e.withdrawn_on is None or e.withdrawn_on > as_of]
    if in_force:
        return in_force[-1]
    if started:
        return started[-1]
    return by_start[0]


def _income_on(determinations: list[BurdenDetermination], as_of: date) -> facts.Income:
    in_force = [d for d in determinations if d.effective_from <= as_of]
    if not in_force:
        return facts.Income.GENERAL
    return facts.Income(max(in_force, key=lambda d: d.effective_from).category)


def _arrears_since(arrears: list[PremiumArrears], as_of: date) -> date | None:
    unpaid = [
        a.since
        for a in arrears
        if a.since <= as_of and (a.settled_on is None or a.settled_on > as_of)
    ]
    return min(unpaid, default=None)


def _myna(person: InsuredPerson) -> facts.MynaCard | None:
    try:
        card = person.myna_card
    except MyNumberCard.DoesNotExist:
        return None
    return facts.MynaCard(
        registered_on=card.registered_on,
        card_status=facts.CardStatus(card.card_status),
        e_cert_valid_until=card.e_cert_valid_until,
    )


def _paper_card(paper_cards: list[PaperCard], as_of: date) -> facts.PaperCard | None:
    # Invalidation is not passed: the rules derive it from the events.
    issued = [c for c in paper_cards if c.issued_on <= as_of]
    if not issued:
        return None
    latest = max(issued, key=lambda c: (c.issued_on, c.pk))
    return facts.PaperCard(issued_on=latest.issued_on, valid_until=latest.valid_until)


def _certificate(certificates: list[Certificate], as_of: date) -> facts.Certificate | None:
    # A certificate voided after `as_of` was still in force on `as_of`.
    current = [
        c
        for c in certificates
        if c.issued_on <= as_of and (c.voided_on is None or c.voided_on > as_of)
    ]
    if not current:
        return None
    latest = max(current, key=lambda c: (c.issued_on, c.pk))
    return facts.Certificate(issued_on=latest.issued_on, valid_until=latest.valid_until)


def _documents_issued(
    certificates: list[Certificate], notices: list[Notice], as_of: date
) -> tuple[facts.DocumentIssued, ...]:
    issued = [
        facts.DocumentIssued(facts.DocumentKind.CERTIFICATE, c.issued_on)
        for c in certificates
        if c.issued_on <= as_of
    ] + [
        facts.DocumentIssued(facts.DocumentKind.NOTICE, n.issued_on)
        for n in notices
        if n.issued_on <= as_of
    ]
    return tuple(sorted(issued, key=lambda d: (d.issued_on, d.document)))


def _events(events: list[LifeEvent], as_of: date) -> tuple[facts.Event, ...]:
    return tuple(
        facts.Event(on=e.occurred_on, kind=facts.EventKind(e.kind))
        for e in sorted(events, key=lambda e: (e.occurred_on, e.pk))
        if e.occurred_on <= as_of
    )
