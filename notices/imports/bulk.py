"""Writing many rows fast: COPY on PostgreSQL, executemany elsewhere, without model instances.

A million-line file is several million rows; building a model instance and preparing each value
through its field would take most of the time budget. Rows here are plain tuples in the order of
the field names given; values are adapted once per column type (dates, datetimes, booleans, JSON)
for the database in use. No signals are sent (the project uses none on these models), and
`check_required` makes sure no required field is left out when a model gains one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, models, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL

Row = tuple[Any, ...]


class ColumnsOutOfDate(Exception):
    """A model gained a required field the importer does not write."""


def check_required(model: type[models.Model], written: Sequence[str]) -> None:
    missing = [
        f.name
        for f in model._meta.concrete_fields
        if not f.primary_key
        and f.name not in written
        and not f.null
        and not f.has_default()
        and not f.has_db_default()
        and not getattr(f, "auto_now", False)
        and not getattr(f, "auto_now_add", False)
    ]
    if missing:
        raise ColumnsOutOfDate(
            f"{model._meta.label} has required fields the importer does not write: "
            f"{', '.join(missing)} (notices/imports)"
        )


def _columns(model: type[models.Model], names: Sequence[str]) -> tuple[str, list[str]]:
    quote = connection.ops.quote_name
    fields = [model._meta.get_field(name) for name in names]
    return quote(model._meta.db_table), [quote(f.column) for f in fields]  # type: ignore[union-attr]


def _adapter(field: Any) -> Callable[[Any], Any] | None:
    """How a value of this field goes to the database in use (None: as it is)."""
    if isinstance(field, models.JSONField):
        return lambda value: json.dumps(value, ensure_ascii=False)
    if connection.vendor == "postgresql":
        return None
    if isinstance(field, models.DateTimeField):
        # Rows of one write share their stamps (`now`): adapt each distinct value once.
        return lru_cache(maxsize=64)(connection.ops.adapt_datetimefield_value)
    if isinstance(field, models.DateField):
        return lambda value: value.isoformat() if value is not None else None
    if isinstance(field, models.BooleanField):
        return lambda value: None if value is None else int(value)
    return None


def _adapted(model: type[models.Model], names: Sequence[str], rows: list[Row]) -> list[Row]:
    adapters = [_adapter(model._meta.get_field(name)) for name in names]
    if not any(adapters):
        return rows
    return [
        tuple(
            adapt(value) if adapt is not None and value is not None else value
            for adapt, value in zip(adapters, row, strict=True)
        )
        for row in rows
    ]


def insert(model: type[models.Model], names: Sequence[str], rows: list[Row]) -> None:
    """INSERT `rows` (tuples in the order of `names`) into the model's table."""
    if not rows:
        return
    table, columns = _columns(model, names)
    for counter in (_inserted, _imported):
        counter[model._meta.db_table] = counter.get(model._meta.db_table, 0) + len(rows)
    pending = _checks.pending
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if pending is not None:
                # The row triggers (PostgreSQL's own reference checks) are skipped for this
                # COPY only; check_references() checks the references it wrote, set-based.
                cursor.execute("SET LOCAL session_replication_role = replica")
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            types = _copy_types(model, tuple(names))
            statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
            if types is not None:
                # Binary: psycopg dumps each value in C by the column's type, five times
                # faster than formatting text (datetimes above all), and the server parses less.
                with raw.copy(statement + " (FORMAT BINARY)") as copy:
                    copy.set_types(types)
                    for row in rows:
                        copy.write_row(row)
            else:
                with raw.copy(statement) as copy:
                    for row in _adapted(model, names, rows):
                        copy.write_row(row)
            # (A failed COPY aborts the transaction, and the setting goes with it.)
            if pending is not None:
                cursor.execute("SET LOCAL session_replication_role = origin")
                pending.note(model, names, rows)
        else:
            values = _adapted(model, names, rows)
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                values,
            )


@lru_cache(maxsize=64)
def _copy_types(model: type[models.Model], names: tuple[str, ...]) -> list[str] | None:
    """The PostgreSQL type of each column, for a binary COPY (None: one of them is a type
    psycopg does not know by name, and the rows go as text)."""
    from psycopg.postgres import types as known

    found = []
    for name in names:
        declared = model._meta.get_field(name).db_type(connection)  # type: ignore[union-attr]
        base = (declared or "").split("(")[0].split(" CHECK")[0].strip()
        info = known.get(base) if base else None
        if info is None:
            return None
        found.append(info.name)
    return found


def update(model: type[models.Model], names: Sequence[str], rows: list[Row]) -> None:
    """UPDATE the rows whose primary key is each tuple's last value, setting `names`."""
    if not rows:
        return
    table, columns = _columns(model, names)
    pk = connection.ops.quote_name(model._meta.pk.column)  # type: ignore[union-attr]
    values = _adapted(model, [*names, model._meta.pk.name], rows)  # type: ignore[union-attr]
    assignments = ", ".join(f"{column} = %s" for column in columns)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
            values,
        )


def reserve_ids(model: type[models.Model], count: int) -> list[int] | None:
    """`count` primary keys drawn from the table's sequence (PostgreSQL), to insert rows with
    known ids; None on other databases (insert, then read the ids back)."""
    if connection.vendor != "postgresql":
        return None
    if not count:
        return []
    with connection.cursor() as cursor:
        # The sequence is named once: pg_get_serial_sequence() in the select list would be
        # evaluated for every id drawn (five times the cost of nextval itself).
        cursor.execute(
            "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
            [_sequence_of(model), count],
        )
        return [row[0] for row in cursor.fetchall()]


_sequences: dict[tuple[str, str], str] = {}


def _sequence_of(model: type[models.Model]) -> str:
    """The name of the sequence behind the model's primary key (PostgreSQL), looked up once
    per database."""
    key = (connection.alias, model._meta.db_table)
    if key not in _sequences:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_serial_sequence(%s, %s)",
                [model._meta.db_table, model._meta.pk.column],  # type: ignore[union-attr]
            )
            _sequences[key] = cursor.fetchone()[0]
    return _sequences[key]


def _int_array(values: Sequence[int]) -> str:
    """Integers as one PostgreSQL array literal ('{1,2,3}'), sent as a single parameter."""
    return "{" + ",".join(map(str, values)) + "}"


def any_of(model: type[models.Model], name: str, values: Sequence[Any]) -> Any:
    """A filter "field is one of `values`" for a chunk's worth of keys.

    On PostgreSQL one array parameter (`= ANY(%s)`): Django's `__in` prepares every value and
    psycopg parses a query with thousands of placeholders, which cost more than the query.
    """
    if connection.vendor != "postgresql":
        return Q(**{f"{name}__in": list(values)})
    field = model._meta.get_field(name)
    column = f"{connection.ops.quote_name(model._meta.db_table)}."
    column += connection.ops.quote_name(field.column)  # type: ignore[union-attr]
    # The array goes as one text parameter ('{"a","b"}'): psycopg dumps a Python list value by
    # value. Identifiers are quoted by the backend; the values are only ever a parameter.
    if all(isinstance(v, int) for v in values):
        literal, cast = _int_array(values), "bigint[]"
    else:
        quoted = (str(v).replace("\\", "\\\\").replace('"', '\\"') for v in values)
        literal, cast = "{" + ",".join(f'"{v}"' for v in quoted) + "}", "text[]"
    return RawSQL(  # noqa: S611
        f"{column} = ANY(%s::{cast})", (literal,), output_field=models.BooleanField()
    )


# --- planner statistics ----------------------------------------------------------------------
#
# The lookups of the next chunk are planned with the statistics of the tables as they were last
# analysed. After a bulk load those say that the file's 記号 is rare (or absent) and the tables
# small, and PostgreSQL reads every household of the 記号 and every person for each chunk (a hash
# join over a sequential scan) instead of a few index probes: the cost per line then grows with
# the file. Autovacuum may be off or lag behind, and it cannot see rows not yet committed, so the
# import analyses the tables it writes itself, inside its transaction (ANALYZE samples the
# transaction's own rows too), whenever they have grown by a good part since.

# Rows inserted per table (db_table) by this import, in all and since its statistics were last
# refreshed, and how many more make them stale.
_imported: dict[str, int] = {}
_inserted: dict[str, int] = {}
_stale_after: dict[str, float] = {}
# Stale: more rows than this many plus this part of the rows counted at the last ANALYZE (at the
# start: of the table; during an import: of the rows it wrote, which the statistics miss however
# large the table, e.g. a new 記号 among a million persons), so the refreshes are geometric.
ANALYZE_MIN_ROWS = 5_000
ANALYZE_GROWTH = 0.25


def _counts(tables: Sequence[str]) -> list[tuple[str, float, int]]:
    """(table, rows counted at its last ANALYZE, rows changed since as committed) per table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, greatest(c.reltuples, 0), coalesce(s.n_mod_since_analyze, 0) "
            "FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid "
            "WHERE c.oid = ANY(%s::regclass[])",
            ["{" + ",".join(connection.ops.quote_name(t) for t in tables) + "}"],
        )
        return cursor.fetchall()


def _analyze(tables: dict[str, list[str]], stale: Sequence[str]) -> list[str]:
    """ANALYZE the given columns of each stale table (the columns the lookups use: a whole
    table's text columns would cost several times as much), skipping a table that another
    session holds for VACUUM or ANALYZE: it is being refreshed, and waiting for it could make
    two imports wait for each other."""
    quote = connection.ops.quote_name
    done = []
    for table in stale:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {quote(table)} IN SHARE UPDATE EXCLUSIVE MODE NOWAIT")
                columns = ", ".join(quote(column) for column in tables[table])
                cursor.execute(f"ANALYZE {quote(table)} ({columns})")
        except OperationalError:
            continue  # the next chunk tries again
        done.append(table)
    return done


def refresh_statistics(analysed: dict[type[models.Model], tuple[str, ...]], *, start: bool) -> None:
    """ANALYZE the tables of `analysed` (model: fields its lookups use) whose statistics lag
    behind (PostgreSQL only).

    `start`: at the start of an import, by the changes PostgreSQL counted since their last
    ANALYZE (committed ones: earlier imports with autovacuum off or behind); afterwards, by the
    rows this import inserted since (no query unless some table has grown enough)."""
    if connection.vendor != "postgresql" or not analysed:
        return
    tables = {
        model._meta.db_table: [model._meta.get_field(name).column for name in names]  # type: ignore[union-attr]
        for model, names in analysed.items()
    }
    if start:
        stale = [
            table
            for table, counted, changed in _counts(sorted(tables))
            if changed > ANALYZE_MIN_ROWS + ANALYZE_GROWTH * counted
        ]
        for table in tables:
            _imported[table] = _inserted[table] = 0
            _stale_after[table] = ANALYZE_MIN_ROWS
    else:
        stale = [t for t in tables if _inserted.get(t, 0) > _stale_after.get(t, ANALYZE_MIN_ROWS)]
    for table in _analyze(tables, stale):
        _inserted[table] = 0
        _stale_after[table] = ANALYZE_MIN_ROWS + ANALYZE_GROWTH * _imported.get(table, 0)


# --- references checked set-based ------------------------------------------------------------
#
# PostgreSQL checks a foreign key row by row: a trigger per inserted row looks the referenced
# row up and locks it (FOR KEY SHARE), which for a new file of a million lines cost a third of
# the database's time (ADR 0014). Where the import's role may set session_replication_role
# (a superuser, or PostgreSQL 15's GRANT SET ON PARAMETER), bulk.insert skips those triggers for
# its COPY and notes the references it wrote; check_references() then checks them per chunk:
# rows inserted in that same window are known to exist, and every other referenced row is looked
# up and locked FOR KEY SHARE in one query per table, as the triggers would have locked it (so
# that no one can delete it before the import commits). A reference to a missing row raises
# BrokenReference, and the transaction is rolled back. The append-only triggers of the audit
# table fire whatever the setting (ENABLE ALWAYS, migration sumida_kokuho 0005).


class BrokenReference(IntegrityError):
    """A row written in bulk refers to a row that does not exist."""


@dataclass
class _Pending:
    # db_table -> primary keys inserted since the last check
    created: dict[str, set[Any]] = field(default_factory=dict)
    # referenced model -> (referencing fields, values referred to since the last check)
    wanted: dict[type[models.Model], tuple[set[str], set[Any]]] = field(default_factory=dict)

    def note(self, model: type[models.Model], names: Sequence[str], rows: list[Row]) -> None:
        for position, name in enumerate(names):
            field_ = model._meta.get_field(name)
            if field_.primary_key:  # type: ignore[union-attr]
                created = self.created.setdefault(model._meta.db_table, set())
                created.update(row[position] for row in rows)
            elif isinstance(field_, models.ForeignKey) and field_.db_constraint:
                target = field_.related_model
                if not isinstance(target._meta.pk, models.IntegerField):  # type: ignore[union-attr]
                    raise TypeError(f"{target} has no integer key to check in bulk")
                labels, values = self.wanted.setdefault(target, (set(), set()))  # type: ignore[arg-type]
                labels.add(f"{model._meta.label}.{name}")
                values.update(row[position] for row in rows)
                values.discard(None)


class _Checks(threading.local):
    pending: _Pending | None = None


_checks = _Checks()


def may_skip_reference_triggers() -> bool:
    """Whether this connection may set session_replication_role (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if cursor.fetchone()[0]:
            return True
        if connection.pg_version < 150000:  # type: ignore[attr-defined]
            return False
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        return bool(cursor.fetchone()[0])


@contextmanager
def references_checked_in_bulk() -> Iterator[bool]:
    """Within this block (inside a transaction), bulk.insert's references are checked by
    check_references() rather than row by row, where the role allows it and the setting
    IMPORTS_BULK_REFERENCE_CHECKS is on; yields whether they are. Checks what is still pending
    when the block ends without an error."""
    if _checks.pending is not None:  # nested: the outer block checks
        yield True
        return
    if not (
        getattr(settings, "IMPORTS_BULK_REFERENCE_CHECKS", True) and may_skip_reference_triggers()
    ):
        yield False
        return
    _checks.pending = _Pending()
    try:
        yield True
        check_references()
    finally:
        _checks.pending = None


def check_references() -> None:
    """Check (and lock FOR KEY SHARE) the rows referred to by what bulk.insert wrote since the
    last check; raise BrokenReference if one is missing. Nothing to do outside
    references_checked_in_bulk()."""
    pending = _checks.pending
    if pending is None:
        return
    wanted, created = pending.wanted, pending.created
    pending.wanted, pending.created = {}, {}
    quote = connection.ops.quote_name
    for target, (labels, values) in wanted.items():
        missing = values - created.get(target._meta.db_table, set())
        if not missing:
            continue
        ids = sorted(missing)  # one lock order for every import
        pk = quote(target._meta.pk.column)  # type: ignore[union-attr]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk} FROM {quote(target._meta.db_table)} "  # noqa: S608
                f"WHERE {pk} = ANY(%s::bigint[]) ORDER BY {pk} FOR KEY SHARE",
                [_int_array(ids)],
            )
            found = {row[0] for row in cursor.fetchall()}
        if len(found) != len(ids):
            absent = [value for value in ids if value not in found]
            raise BrokenReference(
                f"{', '.join(sorted(labels))}: {len(absent)} missing {target._meta.label} "
                f"row(s) referred to, e.g. {', '.join(map(str, absent[:5]))}"
            )
