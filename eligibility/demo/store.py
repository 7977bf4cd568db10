"""Plans to rows and back: bulk writing, comparing stored showcase households, deleting demo data.

Writing uses `bulk_create` model by model (no per-row query, no signals), then sets each new
household's householder with one UPDATE. The caller decides the transaction (one per chunk).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models
from django.db.models import OuterRef, Subquery

from cards.models import Certificate, MyNumberCard, PaperCard
from eligibility.demo.plan import DocumentPlan, HouseholdPlan, PersonPlan
from eligibility.models import (
    BurdenDetermination,
    Enrolment,
    Household,
    IncomeRecord,
    InsuredPerson,
    LifeEvent,
    PremiumArrears,
)
from eligibility.rules.facts import DocumentKind
from eligibility.search import search_columns_for
from notices.models import IssuanceItem, IssuanceRun, Notice
from sumida_kokuho.models import AuditEvent

BATCH_SIZE = 2000


def _decided_at(day: date) -> datetime:
    # Determinations are made at the office in the morning, some days before they apply.
    return datetime.combine(day, time(9), tzinfo=ZoneInfo(settings.TIME_ZONE))


def write_households(plans: Sequence[HouseholdPlan], *, batch_size: int = BATCH_SIZE) -> int:
    """Insert the planned households with everything they hold; returns the persons written."""
    if not plans:
        return 0
    households = [
        Household(symbol=p.symbol, number=p.number, postal_code=p.postal_code, address=p.address)
        for p in plans
    ]
    Household.objects.bulk_create(households, batch_size=batch_size)
    people: list[tuple[InsuredPerson, PersonPlan]] = []
    for household, plan in zip(households, plans, strict=True):
        for member in plan.members:
            people.append((_person(household, member), member))
    InsuredPerson.objects.bulk_create([p for p, _ in people], batch_size=batch_size)

    rows: dict[type[models.Model], list[models.Model]] = {
        model: []
        for model in (
            Enrolment,
            MyNumberCard,
            PaperCard,
            Certificate,
            Notice,
            LifeEvent,
            IncomeRecord,
            BurdenDetermination,
            PremiumArrears,
        )
    }
    for person, member in people:
        _person_rows(person, member, rows)
    for household, plan in zip(households, plans, strict=True):
        rows[PremiumArrears] += [
            PremiumArrears(household=household, since=a.since, settled_on=a.settled_on)
            for a in plan.arrears
        ]
        rows[BurdenDetermination] += [
            BurdenDetermination(
                household=household,
                effective_from=d.effective_from,
                category=d.category,
                base_income_application=d.base_income_application,
                rule_ids=list(d.rule_ids),
                decided_at=_decided_at(d.effective_from.replace(day=1)),
            )
            for d in plan.determinations
        ]
    for model, objects in rows.items():
        if objects:
            model._default_manager.bulk_create(objects, batch_size=batch_size)

    # The householder is known only once the members have ids: one UPDATE for the whole chunk.
    ids = [h.pk for h in households]
    Household.objects.filter(pk__gte=min(ids), pk__lte=max(ids), householder__isnull=True).update(
        householder=Subquery(
            InsuredPerson.objects.filter(
                household=OuterRef("pk"), relation=InsuredPerson.Relation.HOUSEHOLDER
            ).values("pk")[:1]
        )
    )
    return len(people)


def _person(household: Household, p: PersonPlan) -> InsuredPerson:
    # bulk_create skips save(), which would fill the search columns.
    return InsuredPerson(
        **search_columns_for(p),
        household=household,
        branch=p.branch,
        family_name=p.family_name,
        given_name=p.given_name,
        family_name_kana=p.family_name_kana,
        given_name_kana=p.given_name_kana,
        birth_date=p.birth_date,
        sex=p.sex,
        relation=p.relation,
        needs_support=p.needs_support,
    )


def _person_rows(
    person: InsuredPerson, p: PersonPlan, rows: dict[type[models.Model], list[models.Model]]
) -> None:
    rows[Enrolment].append(
        Enrolment(
            person=person,
            enrolled_on=p.enrolled_on,
            reason=p.enrolment_reason,
            withdrawn_on=p.withdrawn_on,
            withdrawal_reason=p.withdrawal_reason,
        )
    )
    if p.myna is not None:
        rows[MyNumberCard].append(
            MyNumberCard(
                person=person,
                card_status=p.myna.card_status,
                status_changed_on=p.myna.status_changed_on,
                registered_on=p.myna.registered_on,
                e_cert_valid_until=p.myna.e_cert_valid_until,
            )
        )
    if p.paper_card is not None:
        card = p.paper_card
        rows[PaperCard].append(
            PaperCard(
                person=person,
                issued_on=card.issued_on,
                valid_until=card.valid_until,
                invalidated_on=card.invalidated_on,
                invalidated_reason=card.invalidated_reason,
            )
        )
    for e in p.events:
        rows[LifeEvent].append(
            LifeEvent(person=person, kind=e.kind, occurred_on=e.on, details=e.details)
        )
    for d in p.documents:
        rows[Certificate if d.kind is DocumentKind.CERTIFICATE else Notice].append(
            _document(person, d)
        )
    for year, figures in sorted(p.incomes.items()):
        rows[IncomeRecord].append(
            IncomeRecord(
                person=person,
                fiscal_year=year,
                taxable_income=figures.taxable_income,
                old_proviso_income=figures.old_proviso_income,
                income=figures.income,
            )
        )


def _document(person: InsuredPerson, d: DocumentPlan) -> models.Model:
    if d.kind is DocumentKind.NOTICE:
        return Notice(
            person=person,
            issued_on=d.issued_on,
            reason=d.reason,
            rule_ids=list(d.rule_ids),
            burden_ratio=d.burden_ratio,
        )
    assert d.valid_until is not None
    return Certificate(
        person=person,
        number=d.number,
        issued_on=d.issued_on,
        valid_until=d.valid_until,
        voided_on=d.voided_on,
        void_reason=d.void_reason,
        reason=d.reason,
        rule_ids=list(d.rule_ids),
        burden_ratio=d.burden_ratio,
        special_medical_expenses=d.special_medical_expenses,
    )


# --- comparing a stored household with its plan ---------------------------------------------------


def plan_signature(plan: HouseholdPlan) -> tuple[Any, ...]:
    """Everything a showcase household is made of, in a comparable form."""
    return (
        plan.postal_code,
        plan.address,
        plan.householder.branch,
        tuple(sorted((a.since, a.settled_on) for a in plan.arrears)),
        tuple(sorted((d.effective_from, d.category) for d in plan.determinations)),
        tuple(sorted(_member_signature(m) for m in plan.members)),
    )


def _member_signature(p: PersonPlan) -> tuple[Any, ...]:
    myna = p.myna
    card = p.paper_card
    return (
        p.branch,
        p.family_name,
        p.given_name,
        p.family_name_kana,
        p.given_name_kana,
        p.sex,
        p.relation,
        p.birth_date,
        p.needs_support,
        ((p.enrolled_on, p.enrolment_reason, p.withdrawn_on, p.withdrawal_reason),),
        (myna.card_status, myna.status_changed_on, myna.registered_on, myna.e_cert_valid_until)
        if myna
        else None,
        ((card.issued_on, card.valid_until, card.invalidated_on, card.invalidated_reason),)
        if card
        else (),
        tuple(sorted((e.on, e.kind) for e in p.events)),
        tuple(
            sorted(
                (d.number, d.issued_on, d.valid_until, d.voided_on, d.void_reason, d.reason)
                for d in p.documents
                if d.kind is DocumentKind.CERTIFICATE
            )
        ),
        tuple(
            sorted((d.issued_on, d.reason) for d in p.documents if d.kind is DocumentKind.NOTICE)
        ),
        tuple(
            sorted(
                (y, f.taxable_income, f.old_proviso_income, f.income) for y, f in p.incomes.items()
            )
        ),
    )


def stored_households(
    symbol_numbers: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], Household]:
    """The stored households with these (symbol, number), with every row a signature reads."""
    wanted = set(symbol_numbers)
    symbols = {s for s, _ in wanted}
    numbers = {n for _, n in wanted}
    households = (
        Household.objects.filter(symbol__in=symbols, number__in=numbers)
        .prefetch_related(
            "premium_arrears",
            "burden_determinations",
            "members__enrolments",
            "members__myna_card",
            "members__paper_cards",
            "members__events",
            "members__certificates",
            "members__notices",
            "members__income_records",
        )
        .select_related("householder")
    )
    return {(h.symbol, h.number): h for h in households if (h.symbol, h.number) in wanted}


def stored_signature(household: Household) -> tuple[Any, ...]:
    return (
        household.postal_code,
        household.address,
        household.householder.branch if household.householder else None,
        tuple(sorted((a.since, a.settled_on) for a in household.premium_arrears.all())),
        tuple(
            sorted((d.effective_from, d.category) for d in household.burden_determinations.all())
        ),
        tuple(sorted(_stored_member(m) for m in household.members.all())),
    )


def _stored_member(p: InsuredPerson) -> tuple[Any, ...]:
    try:
        card: MyNumberCard | None = p.myna_card
    except MyNumberCard.DoesNotExist:
        card = None
    return (
        p.branch,
        p.family_name,
        p.given_name,
        p.family_name_kana,
        p.given_name_kana,
        p.sex,
        p.relation,
        p.birth_date,
        p.needs_support,
        tuple(
            (e.enrolled_on, e.reason, e.withdrawn_on, e.withdrawal_reason)
            for e in p.enrolments.all()
        ),
        (card.card_status, card.status_changed_on, card.registered_on, card.e_cert_valid_until)
        if card
        else None,
        tuple(
            (c.issued_on, c.valid_until, c.invalidated_on, c.invalidated_reason)
            for c in p.paper_cards.all()
        ),
        tuple(sorted((e.occurred_on, e.kind) for e in p.events.all())),
        tuple(
            sorted(
                (c.number, c.issued_on, c.valid_until, c.voided_on, c.void_reason, c.reason)
                for c in p.certificates.all()
            )
        ),
        tuple(sorted((n.issued_on, n.reason) for n in p.notices.all())),
        tuple(
            sorted(
                (r.fiscal_year, r.taxable_income, r.old_proviso_income, r.income)
                for r in p.income_records.all()
            )
        ),
    )


# --- deleting demo data ---------------------------------------------------------------------------


class ProtectedRows(Exception):
    """A row that must never be deleted (an audit event) refers to the data to delete."""


def delete_households(households: models.QuerySet[Household]) -> dict[str, int]:
    """Delete these households, their members and every row that refers to them.

    Set-based: one DELETE (or UPDATE for SET_NULL references) per related table, with the
    households as a subquery, so a million rows need no more queries than ten. Relations are
    read from the models, so a table added later is covered too. Returns rows deleted per model.
    """
    counts: dict[str, int] = {}
    # An issuance run protects the persons it issued to (it is the record of what was sent);
    # demo data being reset, the runs that reached these households go first, whole (their
    # chunks, items and file records with them), rather than leave runs with holes.
    # (Their ids first: a subquery through the items would find nothing once they are gone.)
    run_ids = list(
        IssuanceItem.objects.filter(person__household__in=households)
        .values_list("run", flat=True)
        .distinct()
    )
    if run_ids:
        _delete(IssuanceRun, IssuanceRun.objects.filter(pk__in=run_ids), counts)
    _delete(Household, households, counts)
    return counts


def _reverse_relations(model: type[models.Model]) -> list[Any]:
    """Every relation pointing at the model, those declared with related_name="+" included."""
    return [
        field
        for field in model._meta.get_fields(include_hidden=True)
        if field.auto_created and not field.concrete and (field.one_to_many or field.one_to_one)
    ]


def _delete(model: type[models.Model], rows: models.QuerySet[Any], counts: dict[str, int]) -> None:
    for relation in _reverse_relations(model):
        related = relation.related_model
        assert isinstance(related, type)
        referring = related._base_manager.filter(**{f"{relation.field.name}__in": rows})
        if relation.on_delete is models.SET_NULL:
            referring.update(**{relation.field.name: None})
        elif related is model:
            continue
        else:
            if issubclass(related, AuditEvent):
                raise ProtectedRows(f"{related._meta.label} rows refer to {model._meta.label}")
            _delete(related, referring, counts)
    sql, params = rows.values("pk").query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    with connection.cursor() as cursor:
        # Raw SQL on purpose: QuerySet.delete() would load every row to run its collector.
        cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({sql})", params)  # noqa: S608
        if cursor.rowcount:
            counts[model._meta.label] = counts.get(model._meta.label, 0) + cursor.rowcount
