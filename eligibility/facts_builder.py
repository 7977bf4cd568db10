"""Rows to rule facts: the only code that knows both the ORM models and the rule inputs.

Two ways in, one way out (`facts_from_records`):
- `build_person_facts(person, as_of)` reads the person's related managers with `.all()`, so a
  queryset from `persons_for_assessment()` builds facts for any number of people in a fixed
  number of queries; a single person without prefetching costs a handful of small queries.
- `iter_person_rows()` streams everyone as plain tuples, in primary-key order and blocks of a few
  thousand persons (one query per table and block, no model instances): the monthly batch plans a
  million persons this way. Its rows carry the attribute names of the models, so the same
  selection code reads both, and tests/batch/test_engine_facts.py holds the two equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any, NamedTuple

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


class PersonRecords(NamedTuple):
    """One person's rows that the rules read (model instances or the plain rows below)."""

    birth_date: date
    needs_support: bool
    enrolments: Sequence[Any]
    events: Sequence[Any]
    paper_cards: Sequence[Any]
    certificates: Sequence[Any]
    notices: Sequence[Any]
    myna: Any
    determinations: Sequence[Any]
    arrears: Sequence[Any]


# Plain rows with the models' attribute names (what the selection helpers below read).
class EnrolmentRow(NamedTuple):
    pk: int
    enrolled_on: date
    reason: str
    withdrawn_on: date | None


class EventRow(NamedTuple):
    pk: int
    occurred_on: date
    kind: str


class PaperCardRow(NamedTuple):
    pk: int
    issued_on: date
    valid_until: date


class CertificateRow(NamedTuple):
    pk: int
    issued_on: date
    valid_until: date
    voided_on: date | None
    number: str
    reason: str


class NoticeRow(NamedTuple):
    pk: int
    issued_on: date
    reason: str


class MynaRow(NamedTuple):
    registered_on: date | None
    card_status: str
    e_cert_valid_until: date | None


class DeterminationRow(NamedTuple):
    effective_from: date
    category: str


class ArrearsRow(NamedTuple):
    since: date
    settled_on: date | None


class PersonRow(NamedTuple):
    """What the batch needs about one person: who, where, to whom letters go, and the rows."""

    pk: int
    household_id: int
    branch: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    symbol: str
    number: str
    postal_code: str
    address: str
    householder_id: int | None
    householder_family_name: str | None
    householder_given_name: str | None
    records: PersonRecords

    @property
    def birth_date(self) -> date:
        return self.records.birth_date


_PERSON_COLUMNS = (
    "pk",
    "household_id",
    "branch",
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "household__symbol",
    "household__number",
    "household__postal_code",
    "household__address",
    "household__householder_id",
    "household__householder__family_name",
    "household__householder__given_name",
    "birth_date",
    "needs_support",
)
ROW_BLOCK = 5000


def iter_person_rows(
    *, pk_from: int | None = None, pk_to: int | None = None, block: int = ROW_BLOCK
) -> Iterator[PersonRow]:
    """Every insured person with primary key in [pk_from, pk_to), in key order, as plain rows.

    Reads `block` persons at a time (keyset pagination) and, for each block, every related table
    once by a key range: memory stays flat however many persons there are.
    """
    persons = InsuredPerson.objects.order_by("pk")
    if pk_from is not None:
        persons = persons.filter(pk__gte=pk_from)
    if pk_to is not None:
        persons = persons.filter(pk__lt=pk_to)
    last: int | None = None
    while True:
        page = persons if last is None else persons.filter(pk__gt=last)
        rows = list(page.values_list(*_PERSON_COLUMNS)[:block])
        if not rows:
            return
        yield from _block(rows)
        last = rows[-1][0]
        if len(rows) < block:
            return


def _grouped(queryset: Any, key: str, columns: tuple[str, ...], row: Any) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    # Plain fetches, not server-side cursors: a block is a few thousand small rows.
    for values in queryset.order_by().values_list(key, *columns):
        grouped[values[0]].append(row._make(values[1:]))
    return grouped


def person_rows(pks: Sequence[int]) -> dict[int, PersonRow]:
    """The rows of the persons with these keys (a few hundred at most: one IN list per table)."""
    rows = list(
        InsuredPerson.objects.filter(pk__in=pks).order_by("pk").values_list(*_PERSON_COLUMNS)
    )
    if not rows:
        return {}
    households = InsuredPerson.objects.filter(pk__in=pks).values("household_id")
    found = _block(rows, {"person_id__in": pks}, {"household_id__in": households})
    return {row.pk: row for row in found}


def _block(
    rows: list[tuple[Any, ...]],
    by_person: dict[str, Any] | None = None,
    households: dict[str, Any] | None = None,
) -> Iterator[PersonRow]:
    lo, hi = rows[0][0], rows[-1][0]
    if by_person is None:
        by_person = {"person_id__gte": lo, "person_id__lte": hi}
    if households is None:
        households = {
            "household_id__in": InsuredPerson.objects.filter(pk__gte=lo, pk__lte=hi).values(
                "household_id"
            )
        }
    enrolments = _grouped(
        Enrolment.objects.filter(**by_person), "person_id", EnrolmentRow._fields, EnrolmentRow
    )
    events = _grouped(
        LifeEvent.objects.filter(**by_person), "person_id", EventRow._fields, EventRow
    )
    paper_cards = _grouped(
        PaperCard.objects.filter(**by_person), "person_id", PaperCardRow._fields, PaperCardRow
    )
    certificates = _grouped(
        Certificate.objects.filter(**by_person),
        "person_id",
        CertificateRow._fields,
        CertificateRow,
    )
    notices = _grouped(
        Notice.objects.filter(**by_person), "person_id", NoticeRow._fields, NoticeRow
    )
    cards = {
        values[0]: MynaRow._make(values[1:])
        for values in MyNumberCard.objects.filter(**by_person)
        .order_by()
        .values_list("person_id", *MynaRow._fields)
    }
    determinations = _grouped(
        BurdenDetermination.objects.filter(**households),
        "household_id",
        DeterminationRow._fields,
        DeterminationRow,
    )
    arrears = _grouped(
        PremiumArrears.objects.filter(**households),
        "household_id",
        ArrearsRow._fields,
        ArrearsRow,
    )
    empty: list[Any] = []
    for values in rows:
        pk, household_id = values[0], values[1]
        yield PersonRow(
            *values[:14],
            records=PersonRecords(
                birth_date=values[14],
                needs_support=values[15],
                enrolments=enrolments.get(pk, empty),
                events=events.get(pk, empty),
                paper_cards=paper_cards.get(pk, empty),
                certificates=certificates.get(pk, empty),
                notices=notices.get(pk, empty),
                myna=cards.get(pk),
                determinations=determinations.get(household_id, empty),
                arrears=arrears.get(household_id, empty),
            ),
        )


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
    return facts_from_records(records_of(person), as_of)


def records_of(person: InsuredPerson) -> PersonRecords:
    """The person's rows as `facts_from_records` reads them (from the related managers)."""
    try:
        card: Any = person.myna_card
    except MyNumberCard.DoesNotExist:
        card = None
    return PersonRecords(
        birth_date=person.birth_date,
        needs_support=person.needs_support,
        enrolments=list(person.enrolments.all()),
        events=list(person.events.all()),
        paper_cards=list(person.paper_cards.all()),
        certificates=list(person.certificates.all()),
        notices=list(person.notices.all()),
        myna=card,
        determinations=list(person.household.burden_determinations.all()),
        arrears=list(person.household.premium_arrears.all()),
    )


def facts_from_records(records: PersonRecords, as_of: date) -> facts.PersonFacts:
    """The facts on `as_of` from one person's rows: model instances (`records_of`) or the plain
    rows of `iter_person_rows`, which carry the same attribute names. One function for both,
    so the two paths cannot disagree."""
    enrolment = _enrolment_for(records.enrolments, as_of)
    return facts.PersonFacts(
        birth_date=records.birth_date,
        enrolled_on=enrolment.enrolled_on,
        enrolment_reason=_ENROLMENT_REASONS[enrolment.reason],
        withdrawn_on=enrolment.withdrawn_on,
        income=_income_on(records.determinations, as_of),
        premium_arrears_since=_arrears_since(records.arrears, as_of),
        needs_support=records.needs_support,
        myna=_myna(records.myna),
        paper_card=_paper_card(records.paper_cards, as_of),
        certificate=_certificate(records.certificates, as_of),
        documents_issued=_documents_issued(records.certificates, records.notices, as_of),
        events=_events(records.events, as_of),
    )


# The rules know job_loss | move_in | birth | other; the model records more detail.
_ENROLMENT_REASONS: dict[str, facts.EnrolmentReason] = {
    Enrolment.Reason.JOB_LOSS: facts.EnrolmentReason.JOB_LOSS,
    Enrolment.Reason.MOVE_IN: facts.EnrolmentReason.MOVE_IN,
    Enrolment.Reason.BIRTH: facts.EnrolmentReason.BIRTH,
    Enrolment.Reason.WELFARE_ENDED: facts.EnrolmentReason.OTHER,
    Enrolment.Reason.OTHER: facts.EnrolmentReason.OTHER,
}


def _enrolment_for(enrolments: Sequence[Any], as_of: date) -> Any:
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


def _income_on(determinations: Sequence[Any], as_of: date) -> facts.Income:
    in_force = [d for d in determinations if d.effective_from <= as_of]
    if not in_force:
        return facts.Income.GENERAL
    return facts.Income(max(in_force, key=lambda d: d.effective_from).category)


def _arrears_since(arrears: Sequence[Any], as_of: date) -> date | None:
    unpaid = [
        a.since
        for a in arrears
        if a.since <= as_of and (a.settled_on is None or a.settled_on > as_of)
    ]
    return min(unpaid, default=None)


def _myna(card: Any) -> facts.MynaCard | None:
    if card is None:
        return None
    return facts.MynaCard(
        registered_on=card.registered_on,
        card_status=facts.CardStatus(card.card_status),
        e_cert_valid_until=card.e_cert_valid_until,
    )


def _paper_card(paper_cards: Sequence[Any], as_of: date) -> facts.PaperCard | None:
    # Invalidation is not passed: the rules derive it from the events.
    issued = [c for c in paper_cards if c.issued_on <= as_of]
    if not issued:
        return None
    latest = max(issued, key=lambda c: (c.issued_on, c.pk))
    return facts.PaperCard(issued_on=latest.issued_on, valid_until=latest.valid_until)


def _certificate(certificates: Sequence[Any], as_of: date) -> facts.Certificate | None:
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
    certificates: Sequence[Any], notices: Sequence[Any], as_of: date
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


def _events(events: Sequence[Any], as_of: date) -> tuple[facts.Event, ...]:
    return tuple(
        facts.Event(on=e.occurred_on, kind=facts.EventKind(e.kind))
        for e in sorted(events, key=lambda e: (e.occurred_on, e.pk))
        if e.occurred_on <= as_of
    )
