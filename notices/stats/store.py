"""Figures kept in the database once counted (model `StatisticsFigures`).

Counting the insured persons and card holders of a million persons takes seconds; the page reads
the figures counted for the day instead, which every server process shares and a restart keeps.
The figures are plain values and the rows of `queries` (frozen dataclasses of numbers, dates and
strings), stored as JSON with a tag per type; only the types named here are read back.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from notices.models import StatisticsFigures
from notices.stats import queries

ROW_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        queries.BandRow,
        queries.MonthRow,
        queries.IssuedRow,
        queries.ApplicationRow,
        queries.DueRow,
    )
}


class UnknownFigures(ValueError):
    """Stored figures hold a value this code does not read (written by another version)."""


def encode(value: Any) -> Any:
    """A JSON-ready form of `value` (see the module docstring)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if ROW_TYPES.get(name) is not type(value):
            raise TypeError(f"not a row type of the statistics: {name}")
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"row": name, "fields": fields}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, tuple):
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("figures keyed by something other than text")
        return {"dict": {key: encode(item) for key, item in value.items()}}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"not a value of the statistics: {type(value).__name__}")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "datetime":
            return datetime.fromisoformat(inner)
        if tag == "date":
            return date.fromisoformat(inner)
        if tag == "tuple":
            return tuple(decode(item) for item in inner)
        if tag == "dict":
            return {key: decode(item) for key, item in inner.items()}
    if set(value) == {"row", "fields"} and value["row"] in ROW_TYPES:
        return ROW_TYPES[value["row"]](**{k: decode(v) for k, v in value["fields"].items()})
    raise UnknownFigures(f"unreadable stored figures: {sorted(value)}")


def load(name: str, as_of: date, max_age: int) -> tuple[datetime, Any] | None:
    """(counted_at, figures) kept for `name` on `as_of`, if counted in the last `max_age`
    seconds and readable; None otherwise."""
    row = (
        StatisticsFigures.objects.filter(
            name=name, as_of=as_of, counted_at__gte=timezone.now() - timedelta(seconds=max_age)
        )
        .values_list("counted_at", "figures")
        .first()
    )
    if row is None:
        return None
    try:
        return row[0], decode(row[1])
    except (UnknownFigures, TypeError, ValueError):
        return None  # counted again, and overwritten


def is_kept(name: str, as_of: date, max_age: int) -> bool:
    """Whether figures `name` for `as_of` were counted in the last `max_age` seconds."""
    if not max_age:
        return False
    return StatisticsFigures.objects.filter(
        name=name, as_of=as_of, counted_at__gte=timezone.now() - timedelta(seconds=max_age)
    ).exists()


def save(name: str, as_of: date, figures: Any) -> datetime:
    """Keep `figures` as counted now; returns that time."""
    counted_at = timezone.now()
    stored = encode(figures)
    try:
        with transaction.atomic():
            StatisticsFigures.objects.update_or_create(
                name=name, as_of=as_of, defaults={"counted_at": counted_at, "figures": stored}
            )
    except IntegrityError:  # counted at the same moment by another process: theirs is as good
        pass
    return counted_at


def forget(as_of: date | None = None) -> None:
    """Drop the kept figures of a day, or of every day (after an import)."""
    kept = StatisticsFigures.objects.all()
    if as_of is not None:
        kept = kept.filter(as_of=as_of)
    kept.delete()
