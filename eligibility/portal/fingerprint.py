"""A fingerprint of every stored row an assessment of a person reads, in one plain SQL query.

The portal keeps what the rules said about a person on a day in Django's cache (see
`status.py`). The cache key holds this fingerprint, so a change to any of the person's facts
makes a new key and the old entry is never read again, however the change was written: a
service, an import's bulk path, a `QuerySet.update()`, the admin or raw SQL. No signal or
version counter has to be kept up to date by the writers.

Which rows: exactly those `facts_builder.persons_for_assessment()` loads (its select_related and
prefetch_related paths are read here, so a new fact source is covered without touching this
module), plus the person's own row. Each row is turned into text in SQL, every concrete column
of it, so a new column is covered too. The rows are hashed in Python; no model is built, which is
what makes this much cheaper than loading the records through the ORM.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.db.models import Model

from eligibility.facts_builder import persons_for_assessment
from eligibility.models import Household, InsuredPerson

PERSON = "person"
HOUSEHOLD = "household"


@dataclass(frozen=True, slots=True)
class Source:
    """One table whose rows belong to a person (owner PERSON) or to a household (HOUSEHOLD)."""

    model: type[Model]
    owner: str  # PERSON or HOUSEHOLD
    key_column: str  # the column holding the owner's id


def _reverse_source(model: type[Model], name: str, owner: str) -> Source:
    relation = model._meta.get_field(name)
    if not (relation.auto_created and not relation.concrete and relation.related_model):
        raise ValueError(f"{model.__name__}.{name} is not a reverse relation")
    return Source(relation.related_model, owner, relation.field.column)  # type: ignore[union-attr]


@cache
def sources(extra: tuple[str, ...] = ()) -> tuple[Source, ...]:
    """The tables the assessment reads, from the paths of `persons_for_assessment()`, and the
    tables of the `extra` paths (relations of InsuredPerson, e.g. its applications)."""
    queryset = persons_for_assessment()
    paths: list[str] = [str(p) for p in queryset._prefetch_related_lookups]
    selected = queryset.query.select_related
    if isinstance(selected, dict):
        paths += list(selected)
    paths += list(extra)
    found = [
        Source(InsuredPerson, PERSON, InsuredPerson._meta.pk.column),  # type: ignore[union-attr]
    ]
    for path in paths:
        parts = path.split("__")
        if parts == ["household"]:
            found.append(Source(Household, HOUSEHOLD, Household._meta.pk.column))  # type: ignore[union-attr]
        elif len(parts) == 1:
            found.append(_reverse_source(InsuredPerson, parts[0], PERSON))
        elif len(parts) == 2 and parts[0] == "household":
            found.append(_reverse_source(Household, parts[1], HOUSEHOLD))
        else:  # a deeper path: extend this function before relying on the cache
            raise ValueError(f"the portal fingerprint does not follow the path {path!r}")
    return tuple(dict.fromkeys(found))


def _row_text(model: type[Model]) -> str:
    quote = connection.ops.quote_name
    columns = [
        f"COALESCE(CAST({quote(field.column)} AS TEXT), '~')"
        for field in model._meta.concrete_fields
    ]
    return " || '|' || ".join(columns)


@cache
def _sql(table: tuple[Source, ...], persons: str, households: int, vendor: str) -> str:
    """The query text (kept: it depends only on its arguments and the database vendor)."""
    quote = connection.ops.quote_name
    where = {PERSON: persons, HOUSEHOLD: ", ".join(["%s"] * households)}
    # Only names from the models' own metadata and %s placeholders go into the text.
    parts = [
        f"SELECT {index}, CAST({quote(source.key_column)} AS TEXT), {_row_text(source.model)} "  # noqa: S608
        f"FROM {quote(source.model._meta.db_table)} "
        f"WHERE {quote(source.key_column)} IN ({where[source.owner]})"
        for index, source in enumerate(table)
    ]
    return " UNION ALL ".join(parts)


def _digests(
    table: tuple[Source, ...],
    persons_sql: str,
    person_params: list[int],
    household_ids: list[int],
    household_of: dict[int, int] | None,
) -> dict[int, str]:
    params: list[int] = []
    for source in table:
        params += person_params if source.owner == PERSON else household_ids
    rows: dict[tuple[str, str], list[str]] = defaultdict(list)
    found: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(_sql(table, persons_sql, len(household_ids), connection.vendor), params)
        for index, key, text in cursor.fetchall():
            source = table[int(index)]
            rows[(source.owner, str(key))].append(f"{index}:{text}")
            if source.model is InsuredPerson:
                found[int(key)] = household_ids[0]
    people = household_of if household_of is not None else found
    digests = {}
    for person_id, household_id in people.items():
        digest = hashlib.sha256()
        for owner, key in ((PERSON, str(person_id)), (HOUSEHOLD, str(household_id))):
            for text in sorted(rows[(owner, key)]):
                digest.update(text.encode())
                digest.update(b"\n")
            digest.update(b"\x00")
        digests[person_id] = digest.hexdigest()
    return digests


def fingerprints(people: Iterable[InsuredPerson], extra: tuple[str, ...] = ()) -> dict[int, str]:
    """person id -> hex digest of every row the assessment of that person reads (and of the
    `extra` relations). One query."""
    household_of = {p.pk: p.household_id for p in people}
    if not household_of:
        return {}
    return _digests(
        sources(extra),
        ", ".join(["%s"] * len(household_of)),
        list(household_of),
        sorted(set(household_of.values())),
        household_of,
    )


def household_fingerprints(household_id: int, extra: tuple[str, ...] = ()) -> dict[int, str]:
    """person id -> digest, for every person of the household, as `fingerprints`. One query,
    which also finds the members: nothing else need be loaded to know if a page is current."""
    quote = connection.ops.quote_name
    person = InsuredPerson._meta
    household_column = person.get_field("household").column  # type: ignore[union-attr]
    members = (
        f"SELECT {quote(person.pk.column)} FROM {quote(person.db_table)} "  # type: ignore[union-attr]  # noqa: S608
        f"WHERE {quote(household_column)} = %s"
    )
    return _digests(sources(extra), members, [household_id], [household_id], None)
