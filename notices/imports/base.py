"""What every kind of file shares: the run's context, a group's plan, the changes it announces.

A kind of file (master, myna_status, income) reads its lines into rows, groups them (a household's
lines, or one person's), checks a group against the records (`plan_group`, reading only) and
writes the plans of a chunk of groups (`apply`). The engine (`engine.py`) drives the two passes.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from operator import itemgetter
from typing import Any, ClassVar, Protocol

from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from notices.imports import cells
from notices.imports.errors import LineError, fill
from notices.imports.reading import Column, Header

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Context:
    """The run: its "today" (injectable), the acting user, the run id stamped on events."""

    today: date
    now: datetime
    by: Any = None
    run_id: int | None = None

    @property
    def user_id(self) -> int | None:
        by = self.by
        if by is None or not getattr(by, "is_authenticated", False):
            return None
        return int(by.pk)


@dataclass(frozen=True, slots=True)
class Change:
    """One change a line makes, for the preview and the run's record; worded when shown."""

    line: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> str:
        if self.code not in CHANGE_TEXTS:
            return self.code
        text = str(CHANGE_TEXTS[self.code])
        if not self.params:
            return text
        params = {
            name: str(VALUE_LABELS.get(value, value)) if name in _LABELLED else value
            for name, value in self.params.items()
        }
        return fill(text, params)

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "code": self.code, "params": self.params}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Change:
        return cls(int(data["line"]), str(data["code"]), dict(data.get("params") or {}))


# Codes shown inside change texts, worded in the reader's language.
VALUE_LABELS: dict[str, Promise] = {
    "valid": _("valid"),
    "lost": _("lost"),
    "suspended": _("suspended"),
    "returned": _("returned"),
    "general": _("general (20%)"),
    "active": _("active-level income (30%)"),
}
_LABELLED = frozenset({"status", "old", "new", "category"})

CHANGE_TEXTS: dict[str, Promise] = {
    "new_household": _("New household %(number)s."),
    "new_person": _("New insured person %(number)s, enrolled from %(day)s."),
    "person_changed": _("%(number)s: changed %(fields)s."),
    "address_change": _("Household %(number)s moves on %(day)s (address change recorded)."),
    "householder_change": _(
        "Household %(number)s: new householder %(branch)s from %(day)s (householder change "
        "recorded)."
    ),
    "enrolled": _("%(number)s: new period of coverage from %(day)s."),
    "withdrawn": _("%(number)s: coverage ends on %(day)s."),
    "enrolment_corrected": _("%(number)s: the period from %(day)s is corrected."),
    "card_recorded": _("%(number)s: My Number card recorded (%(status)s)."),
    "registered": _("%(number)s: registered for health-insurance use on %(day)s."),
    "registration_cancelled": _("%(number)s: registration cancelled on %(day)s."),
    "card_status": _("%(number)s: card %(old)s → %(new)s on %(day)s."),
    "card_details": _("%(number)s: card details corrected (%(fields)s)."),
    "income_recorded": _("%(number)s: income figures for fiscal year %(year)s recorded."),
    "income_changed": _("%(number)s: income figures for fiscal year %(year)s changed."),
    "determination": _("Household %(number)s: %(category)s from %(day)s."),
}


@dataclass(slots=True)
class GroupPlan:
    """What one group of lines would do: errors, one outcome per line, changes, and writes."""

    lines: list[int]
    record: bool = True  # word the changes (False once enough have been kept)
    errors: list[LineError] = field(default_factory=list)
    outcomes: dict[int, str] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    writes: Any = None
    # Rows this plan changes: locked (households first) and planned again before writing.
    lock_households: set[int] = field(default_factory=set)
    lock_persons: set[int] = field(default_factory=set)


class LineReader:
    """Reads the values of one line, collecting an error per bad value (named by its column)."""

    def __init__(self, fields: list[str], header: Header, line: int) -> None:
        self.fields = fields
        self.header = header
        self.line = line
        self.errors: list[LineError] = []
        self.failed: set[str] = set()

    def __call__(self, name: str, reader: Any, *args: Any, **kwargs: Any) -> Any:
        position = self.header.index.get(name)
        value = self.fields[position] if position is not None else ""
        try:
            return reader(value, *args, **kwargs)
        except cells.Bad as bad:
            self.error(name, bad.code, **bad.params)
            return None

    def error(self, name: str, code: str, **params: Any) -> None:
        self.errors.append(LineError(self.line, self.header.label(name), code, params))
        self.failed.add(name)


class FieldReaders:
    """The readers of a kind's columns, bound to one file's header.

    `read` first reads every value in one go (the common case: a good line costs one dict
    comprehension); only when a value is bad does it read them again one by one, so that every
    bad value of the line is named, not just the first.
    """

    def __init__(
        self, header: Header, spec: Sequence[tuple[str, Callable[..., Any], dict[str, Any]]]
    ) -> None:
        self.header = header
        self.compiled = [
            (name, header.index.get(name, -1), partial(reader, **options))
            for name, reader, options in spec
        ]
        present = [
            (name, position, read) for name, position, read in self.compiled if position >= 0
        ]
        self.names = [name for name, _position, _read in present]
        self.readers = [_remembering(read) for _name, _position, read in present]
        positions = [position for _name, position, _read in present]
        # One C call picks every value the kind reads out of the line.
        self.pick = itemgetter(*positions) if len(positions) > 1 else lambda f: (f[positions[0]],)
        self.absent: dict[str, Any] = {}
        for name, position, read in self.compiled:
            if position < 0:
                try:
                    self.absent[name] = read("")  # an optional column the file does not have
                except cells.Bad:
                    self.absent[name] = None

    def read(self, fields: list[str], line: int) -> tuple[dict[str, Any], LineReader | None]:
        try:
            values = dict(
                zip(
                    self.names,
                    [read(v) for read, v in zip(self.readers, self.pick(fields), strict=True)],
                    strict=True,
                )
            )
        except cells.Bad:
            reader = LineReader(fields, self.header, line)
            return {name: reader(name, read) for name, _position, read in self.compiled}, reader
        if self.absent:
            values.update(self.absent)
        return values, None


_FORGOTTEN = object()
MEMO_LIMIT = 50_000  # values remembered per column before the memory starts afresh


def _remembering(read: Callable[[str], Any]) -> Callable[[str], Any]:
    """`read` remembering its good results: a column's values repeat (dates, codes, names,
    the address of every member of a household), and a dictionary look-up costs a fraction of
    reading a date or a kana name again. Readers are pure and their values immutable; a bad
    value raises, and is not remembered. The memory is bounded and starts afresh when full."""
    memory: dict[str, Any] = {}
    get = memory.get

    def remembered(value: str) -> Any:
        result = get(value, _FORGOTTEN)
        if result is _FORGOTTEN:
            result = read(value)
            if len(memory) >= MEMO_LIMIT:
                memory.clear()
            memory[value] = result
        return result

    return remembered


class Row(Protocol):
    line: int


class Kind(Protocol):
    """One kind of file."""

    name: ClassVar[str]
    columns: ClassVar[tuple[Column, ...]]
    # The word for a group in errors ("household" lines must be together).
    groups_households: ClassVar[bool]
    # The tables the import writes, with the fields its lookups select or join by: their
    # planner statistics are refreshed as the tables grow (bulk.refresh_statistics).
    analysed: ClassVar[dict[type[Model], tuple[str, ...]]]

    def group_key(self, cells: list[str], header: Header) -> Hashable | None:
        """The group a line belongs to, read leniently (None: the line stands alone)."""

    def parser(
        self, header: Header, ctx: Context
    ) -> Callable[[list[str], int], tuple[Any | None, list[LineError]]]:
        """A function reading a line's fields into its row, or None and the errors that stop
        it; bound to this file's header."""

    def row_key(self, row: Any) -> Hashable:
        """What makes a row a duplicate of another in its group."""

    def check_group(self, rows: Sequence[Any], header: Header) -> list[LineError]:
        """Errors found from the group's rows alone, without the database."""

    def snapshot(self, groups: Sequence[Sequence[Any]], ctx: Context) -> Any:
        """Read what the records hold for these groups (one chunk), in a few queries."""

    def plan_group(
        self,
        rows: Sequence[Any],
        snap: Any,
        header: Header,
        ctx: Context,
        *,
        partial: bool,
        changes: bool = True,
    ) -> GroupPlan:
        """Compare a group with the records. `partial`: some lines of the group are bad, so
        checks of the group as a whole are skipped (only the lines' own errors matter)."""

    def apply(self, plans: Sequence[GroupPlan], ctx: Context) -> None:
        """Write the plans of one chunk (inside the run's transaction)."""
