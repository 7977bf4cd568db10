"""The population's fast path: plans to table rows without model instances.

`bulk_create` spends most of its time building model instances and preparing each value; for a
million persons (about six million rows) that is the whole budget. Here rows are plain tuples,
written with COPY on PostgreSQL and `executemany` elsewhere (SQLite runs it in C). Ids are read
back by the natural keys, (記号, 番号) for households and (household, 枝番) for persons, so nothing
depends on how the database hands out ids. No signals are sent (none are used by these models),
and the columns are checked against the models, so a field added later cannot be left out.

The showcase uses `store.write_households` (bulk_create): a few dozen rows, plain ORM.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from functools import lru_cache
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from cards.models import Certificate, MyNumberCard, PaperCard
from eligibility.demo.plan import HouseholdPlan
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
from notices.models import Notice

# Columns written per model (field names); every other field must be nullable.
COLUMNS: dict[type[models.Model], tuple[str, ...]] = {
    Household: ("symbol", "number", "postal_code", "address", "created_at", "updated_at"),
    InsuredPerson: (
        "household",
        "branch",
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "birth_date",
        "sex",
        "relation",
        "needs_support",
        "created_at",
        "updated_at",
        "name_search",
        "name_kanji_search",
    ),
    Enrolment: ("person", "enrolled_on", "reason", "withdrawn_on", "withdrawal_reason"),
    MyNumberCard: (
        "person",
        "card_status",
        "status_changed_on",
        "registered_on",
        "e_cert_valid_until",
        "created_at",
        "updated_at",
    ),
    PaperCard: ("person", "issued_on", "valid_until", "invalidated_on", "invalidated_reason"),
    Certificate: (
        "person",
        "number",
        "issued_on",
        "valid_until",
        "voided_on",
        "void_reason",
        "reason",
        "rule_ids",
        "burden_ratio",
        "special_medical_expenses",
        "created_at",
    ),
    Notice: ("person", "issued_on", "reason", "rule_ids", "burden_ratio", "created_at"),
    LifeEvent: ("person", "kind", "occurred_on", "details", "recorded_at"),
    IncomeRecord: ("person", "fiscal_year", "taxable_income", "old_proviso_income", "income"),
    BurdenDetermination: (
        "household",
        "effective_from",
        "category",
        "base_income_application",
        "rule_ids",
        "decided_at",
    ),
    PremiumArrears: ("household", "since", "settled_on"),
}


class ColumnsOutOfDate(Exception):
    """A model gained a required field this writer does not fill."""


def check_columns() -> None:
    for model, names in COLUMNS.items():
        missing = [
            f.name
            for f in model._meta.concrete_fields
            if not f.primary_key and f.name not in names and not f.null and not f.has_db_default()
        ]
        if missing:
            raise ColumnsOutOfDate(
                f"{model._meta.label} has required fields the demo writer does not fill: "
                f"{', '.join(missing)} (eligibility/demo/bulk.py COLUMNS)"
            )


@lru_cache(maxsize=65536)
def _search_columns(family: str, given: str, family_kana: str, given_kana: str) -> tuple[str, str]:
    """The normalised search copies save() would write (names repeat, so they are cached)."""
    columns = search_columns_for(
        SimpleNamespace(
            family_name=family,
            given_name=given,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
        )
    )
    return columns["name_search"], columns["name_kanji_search"]


def _day(value: date | None) -> str | None:
    return None if value is None else _iso(value)


@lru_cache(maxsize=65536)
def _iso(value: date) -> str:
    return value.isoformat()  # the same few thousand days recur in every chunk


@lru_cache(maxsize=256)
def _rules_json(rule_ids: tuple[str, ...]) -> str:
    return json.dumps(list(rule_ids))


def insert_population(plans: Sequence[HouseholdPlan]) -> int:
    """Insert households that share one 記号, with all their rows; returns the persons written.

    Call inside a transaction. Two SELECTs read the new ids back; one UPDATE sets householders.
    """
    if not plans:
        return 0
    symbol = plans[0].symbol
    assert all(p.symbol == symbol for p in plans), "one 記号 per call"
    postgres = connection.vendor == "postgresql"
    write = _copy if postgres else _executemany
    zone = ZoneInfo(settings.TIME_ZONE)

    def moment(at: datetime) -> str:
        # COPY reads ISO 8601 with its offset; other backends take what Django would write.
        return at.isoformat() if postgres else connection.ops.adapt_datetimefield_value(at)

    stamp = moment(timezone.now())

    def decided_at(day: date) -> str:
        return moment(datetime.combine(day, time(9), tzinfo=zone))

    write(Household, [(p.symbol, p.number, p.postal_code, p.address, stamp, stamp) for p in plans])
    numbers = [p.number for p in plans]
    household_ids = dict(
        Household.objects.filter(
            symbol=symbol, number__gte=min(numbers), number__lte=max(numbers)
        ).values_list("number", "pk")
    )
    people = []
    for plan in plans:
        household_id = household_ids[plan.number]
        for m in plan.members:
            kana, kanji = _search_columns(
                m.family_name, m.given_name, m.family_name_kana, m.given_name_kana
            )
            people.append(
                (
                    household_id,
                    m.branch,
                    m.family_name,
                    m.given_name,
                    m.family_name_kana,
                    m.given_name_kana,
                    _day(m.birth_date),
                    m.sex,
                    m.relation,
                    m.needs_support,
                    stamp,
                    stamp,
                    kana,
                    kanji,
                )
            )
    write(InsuredPerson, people)
    first, last = min(household_ids.values()), max(household_ids.values())
    person_ids = {
        (h, b): pk
        for pk, h, b in InsuredPerson.objects.filter(
            household_id__gte=first, household_id__lte=last
        ).values_list("pk", "household_id", "branch")
    }

    rows: dict[type[models.Model], list[tuple[Any, ...]]] = {m: [] for m in COLUMNS}
    for plan in plans:
        household_id = household_ids[plan.number]
        for a in plan.arrears:
            rows[PremiumArrears].append((household_id, _day(a.since), _day(a.settled_on)))
        for d in plan.determinations:
            rows[BurdenDetermination].append(
                (
                    household_id,
                    _day(d.effective_from),
                    d.category,
                    d.base_income_application,
                    _rules_json(tuple(d.rule_ids)),
                    decided_at(d.effective_from.replace(day=1)),
                )
            )
        for m in plan.members:
            pid = person_ids[(household_id, m.branch)]
            rows[Enrolment].append(
                (
                    pid,
                    _day(m.enrolled_on),
                    m.enrolment_reason,
                    _day(m.withdrawn_on),
                    m.withdrawal_reason,
                )
            )
            if m.myna is not None:
                rows[MyNumberCard].append(
                    (
                        pid,
                        m.myna.card_status,
                        _day(m.myna.status_changed_on),
                        _day(m.myna.registered_on),
                        _day(m.myna.e_cert_valid_until),
                        stamp,
                        stamp,
                    )
                )
            card = m.paper_card
            if card is not None:
                rows[PaperCard].append(
                    (
                        pid,
                        _day(card.issued_on),
                        _day(card.valid_until),
                        _day(card.invalidated_on),
                        card.invalidated_reason,
                    )
                )
            for e in m.events:
                rows[LifeEvent].append(
                    (pid, e.kind, _day(e.on), json.dumps(e.details, ensure_ascii=False), stamp)
                )
            for d in m.documents:
                rules = _rules_json(tuple(d.rule_ids))
                if d.kind is DocumentKind.CERTIFICATE:
                    rows[Certificate].append(
                        (
                            pid,
                            d.number,
                            _day(d.issued_on),
                            _day(d.valid_until),
                            _day(d.voided_on),
                            d.void_reason,
                            d.reason,
                            rules,
                            d.burden_ratio,
                            d.special_medical_expenses,
                            stamp,
                        )
                    )
                else:
                    rows[Notice].append(
                        (pid, _day(d.issued_on), d.reason, rules, d.burden_ratio, stamp)
                    )
            for year, f in sorted(m.incomes.items()):
                rows[IncomeRecord].append(
                    (pid, year, f.taxable_income, f.old_proviso_income, f.income)
                )
    for model, model_rows in rows.items():
        if model_rows:
            write(model, model_rows)

    Household.objects.filter(pk__gte=first, pk__lte=last, householder__isnull=True).update(
        householder=Subquery(
            InsuredPerson.objects.filter(
                household=OuterRef("pk"), relation=InsuredPerson.Relation.HOUSEHOLDER
            ).values("pk")[:1]
        )
    )
    return len(people)


def _columns(model: type[models.Model]) -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in COLUMNS[model]]
    return quote(model._meta.db_table), [quote(f.column) for f in fields]  # type: ignore[union-attr]


def _copy(model: type[models.Model], rows: list[tuple[Any, ...]]) -> None:
    table, columns = _columns(model)
    # COPY's text format written here in one piece: several times faster than write_row().
    data = "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(data)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    return str(value)


def _executemany(model: type[models.Model], rows: list[tuple[Any, ...]]) -> None:
    table, columns = _columns(model)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )
