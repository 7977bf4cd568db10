"""Writing many rows fast: COPY on PostgreSQL, executemany elsewhere, without model instances.

A million-line file is several million rows; building a model instance and preparing each value
through its field would take most of the time budget. Rows here are plain tuples in the order of
the field names given; values are adapted once per column type (dates, datetimes, booleans, JSON)
for the database in use. No signals are sent (the project uses none on these models), and
`check_required` makes sure no required field is left out when a model gains one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, models
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
    values = _adapted(model, names, rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                values,
            )


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
        literal, cast = "{" + ",".join(map(str, values)) + "}", "bigint[]"
    else:
        quoted = (str(v).replace("\\", "\\\\").replace('"', '\\"') for v in values)
        literal, cast = "{" + ",".join(f'"{v}"' for v in quoted) + "}", "text[]"
    return RawSQL(  # noqa: S611
        f"{column} = ANY(%s::{cast})", (literal,), output_field=models.BooleanField()
    )
