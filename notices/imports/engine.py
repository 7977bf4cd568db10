"""Running an import: every line checked, and the file written in one transaction or not at all.

1. The encoding is detected (UTF-8 with or without BOM, else CP932) and the header read.
2. The file is read streaming, in chunks of about `CHUNK_LINES` lines (a helper thread reads
   ahead): every line is read (field count, control characters, each value) and grouped (a
   household's lines together); each group is compared with the records. A value that looks
   like a My Number stops everything: the file is refused and not kept. Every error goes to the
   run's error report. A group that appears twice is found at the end from a compact array.
3. A preview or --dry-run does only that, reading. The default import does it once, inside ONE
   transaction: each chunk's rows to change are locked, the chunk planned again under the locks
   and written in bulk; after the first bad line nothing more is written but the file is read
   to the end, every bad line reported, and the transaction rolled back. "Good lines" mode first
   checks the whole file, then writes the good groups and copies the bad ones, byte for byte,
   into a file of rejected lines (ADR 0009).
The ImportRun row and the "import" audit event are written in that same transaction.
"""

from __future__ import annotations

import bisect
import dataclasses
import gc
import logging
import multiprocessing
import os
import threading
import time
import warnings
from array import array
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any

from django.db import transaction
from django.utils import timezone

from eligibility.models import Household, InsuredPerson
from notices.imports import bulk, storage
from notices.imports.base import CREATED, UNCHANGED, UPDATED, Change, Context, GroupPlan, Kind
from notices.imports.errors import FileRefused, LineError, LinesRejected
from notices.imports.income import IncomeKind
from notices.imports.master import MasterKind
from notices.imports.myna import MynaStatusKind
from notices.imports.reading import (
    Encoding,
    Header,
    Record,
    RecordReader,
    count_lines,
    detect_encoding,
    has_control_character,
    looks_like_my_number,
    may_hold_control_character,
    may_hold_my_number,
    read_header,
    read_records,
)
from notices.models import ImportRun
from notices.stats import store as stored_figures
from sumida_kokuho import audit

logger = logging.getLogger(__name__)

KINDS: dict[str, Kind] = {
    kind.name: kind  # type: ignore[misc]
    for kind in (MasterKind(), MynaStatusKind(), IncomeKind())
}
# "myna" is what people type; the stored kind is myna_status.
KIND_ALIASES = {"myna": "myna_status"}
CHUNK_LINES = 2000
KEEP_ERRORS = 500  # kept on the ImportRun row; the report file has them all
KEEP_CHANGES = 100
PROGRESS_EVERY = 5000  # lines
# Files of at least this many lines are read and parsed by a worker process (where the system can
# fork one) rather than a thread of this one: reading costs as much as comparing and writing, and
# a thread shares one core with them (ADR 0009).
PROCESS_MIN_LINES = 20_000
_MISSING = object()

Progress = Callable[[str, int, int], None]


@dataclass(slots=True)
class Group:
    """A household's lines (or one person's line), as read: records, rows, own errors."""

    key: Hashable | None
    records: list[Record] = field(default_factory=list)
    rows: list[Any] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def first_line(self) -> int:
        return self.records[0].line

    @property
    def last_line(self) -> int:
        return self.records[-1].line


@dataclass(slots=True)
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    lines: int = 0
    changes: list[Change] = field(default_factory=list)

    @property
    def wants_changes(self) -> bool:
        return len(self.changes) < KEEP_CHANGES

    def count(self, plan: GroupPlan) -> None:
        for outcome in plan.outcomes.values():
            if outcome == CREATED:
                self.created += 1
            elif outcome == UPDATED:
                self.updated += 1
            elif outcome == UNCHANGED:
                self.unchanged += 1
        room = KEEP_CHANGES - len(self.changes)
        if room > 0:
            self.changes.extend(plan.changes[:room])


def kind_named(name: str) -> Kind:
    return KINDS[KIND_ALIASES.get(name, name)]


# --- reading a file into groups ----------------------------------------------------------------


class _Reader:
    """One pass over the file: records -> rows -> groups, with the line-level checks."""

    def __init__(self, kind: Kind, path: Path, encoding: Encoding, ctx: Context) -> None:
        self.kind = kind
        self.path = path
        self.encoding = encoding
        self.ctx = ctx
        self.header_record: Record | None = None

    def header(self) -> Header:
        records = read_records(self.path, self.encoding)
        self.header_record = next(records, None)
        return read_header(self.header_record, self.kind.columns)

    def groups(self, header: Header) -> Iterator[Group]:
        reader = RecordReader(self.path, self.encoding)
        reader.width = header.width
        records = iter(reader)
        next(records, None)  # the header
        kind = self.kind
        parse = kind.parser(header, self.ctx)
        names = {position: name for name, position in header.index.items()}
        current: Group | None = None
        # Lines whose group cannot be told stand alone; the group around them goes on, and they
        # follow it (so the rejected lines keep the file's order).
        alone: list[Group] = []
        seen: dict[Hashable, int] = {}
        for record in records:
            key = self._key(record, header)
            if key is None:
                single = Group(key=None, records=[record])
                single.errors.extend(self._unreadable(record, header, names, parse))
                alone.append(single)
                continue
            if current is None or key != current.key:
                if current is not None:
                    yield self._close(current, header)
                yield from alone
                alone = []
                current = Group(key=key)
                seen = {}
            current.records.append(record)
            errors = self._line_errors(record, header, names)
            if errors:
                current.errors.extend(errors)
                continue
            assert record.fields is not None
            row, errors = parse(record.fields, record.line)
            if row is None:
                current.errors.extend(errors)
                continue
            duplicate_of = seen.get(kind.row_key(row), _MISSING)
            if duplicate_of is not _MISSING:
                current.errors.append(
                    LineError(record.line, "", "duplicate_row", {"line": duplicate_of})
                )
                continue
            seen[kind.row_key(row)] = record.line
            current.rows.append(row)
        if current is not None:
            yield self._close(current, header)
        yield from alone

    def _key(self, record: Record, header: Header) -> Hashable | None:
        if record.fields is None:
            return None
        try:
            return self.kind.group_key(record.fields, header)
        except IndexError:  # too few fields to hold the key
            return None

    def _unreadable(
        self, record: Record, header: Header, names: dict[int, str], parse: Any
    ) -> list[LineError]:
        if record.fields is None:
            assert record.error is not None
            return [record.error]
        errors = self._line_errors(record, header, names)
        if errors:
            return errors
        _row, errors = parse(record.fields, record.line)
        # Every kind reads its key from values the row needs, so a keyless line has errors.
        return errors or [LineError(record.line, "", "malformed_csv")]

    def _close(self, group: Group, header: Header) -> Group:
        if group.rows:
            group.errors.extend(self.kind.check_group(group.rows, header))
        return group

    def _line_errors(
        self, record: Record, header: Header, names: dict[int, str]
    ) -> list[LineError]:
        fields = record.fields
        if fields is None:
            assert record.error is not None
            return [record.error]
        text = record.text or ",".join(fields)
        if may_hold_my_number(text):
            for position, value in enumerate(fields):
                if looks_like_my_number(value):
                    label = (
                        header.label(names[position]) if position in names else str(position + 1)
                    )
                    raise FileRefused([LineError(record.line, label, "my_number")])
        if len(fields) != header.width:
            return [
                LineError(
                    record.line,
                    "",
                    "field_count",
                    {"found": len(fields), "expected": header.width},
                )
            ]
        if not may_hold_control_character(text):
            return []
        return [
            LineError(record.line, header.label(names[position]), "control_character")
            for position, value in enumerate(fields)
            if has_control_character(value)
        ]


_DONE = object()


def _read_ahead(chunks: Iterator[list[Group]], depth: int = 2) -> Iterator[list[Group]]:
    """The chunks, read and parsed by a helper thread while this one waits for the database.

    Reading touches no database (only the file and the rules' pure functions), so the thread
    needs no connection; at most `depth` chunks wait in the queue, so memory stays flat. An
    exception in the reader (a My Number refusing the file) is raised here, in order.
    """
    queue: Queue[Any] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for chunk in chunks:
                while not stop.is_set():
                    try:
                        queue.put(chunk, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(_DONE)
        except BaseException as error:  # handed to the consumer, raised there
            queue.put(error)

    thread = threading.Thread(target=produce, name="import-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                queue.get_nowait()
            except Empty:
                thread.join(timeout=0.1)


def _read_chunks(reader: _Reader, header: Header, total: int) -> Iterator[list[Group]]:
    """The file's groups in chunks, read ahead of the caller by a process or a thread."""
    if total >= PROCESS_MIN_LINES and _can_fork():
        return _read_in_process(lambda: _chunks(reader.groups(header)))
    return _read_ahead(_chunks(reader.groups(header)))


def _can_fork() -> bool:
    return hasattr(os, "fork") and "fork" in multiprocessing.get_all_start_methods()


@lru_cache(maxsize=16)
def _row_fields(cls: type) -> Callable[[Any], tuple[Any, ...]] | None:
    """One C call reading a row's values in the order its class takes them (None: the class
    is not a plain dataclass, and its rows travel as they are)."""
    if not dataclasses.is_dataclass(cls):
        return None
    names = [f.name for f in dataclasses.fields(cls)]
    if not all(f.init for f in dataclasses.fields(cls)) or len(names) < 2:
        return None
    return attrgetter(*names)


Packed = tuple[Any, list[int], list[bytes], Any, list[LineError]]


def _pack(chunk: list[Group]) -> list[Packed]:
    """A chunk as the parent needs it, compactly: per group its key, line numbers and raw bytes
    (for the rejected-lines file), rows as plain tuples, errors. Pickling the objects themselves
    cost as much as reading the file."""
    packed: list[Packed] = []
    for group in chunk:
        records = group.records
        rows: Any = group.rows
        if rows:
            cls = type(rows[0])
            values = _row_fields(cls)
            if values is not None:
                rows = (cls, [values(row) for row in rows])
        packed.append(
            (group.key, [r.line for r in records], [r.raw for r in records], rows, group.errors)
        )
    return packed


def _unpack(packed: list[Packed]) -> list[Group]:
    chunk = []
    for key, lines, raws, rows, errors in packed:
        if isinstance(rows, tuple):
            cls, values = rows
            rows = [cls(*row) for row in values]
        records = [Record(line, raw, None) for line, raw in zip(lines, raws, strict=True)]
        chunk.append(Group(key, records, rows, errors))
    return chunk


def _produce_into(make_chunks: Callable[[], Iterator[list[Group]]], queue: Any) -> None:
    """In the worker process: read the file and hand each chunk over (pickled by the queue).

    The process is forked: it shares the parent's memory as it was, and it touches nothing but
    the file (never the database connection it inherited). A refusal (a My Number) is handed
    over as its errors; any other failure as its text. Its objects hold no cycles, so the cyclic
    garbage collector, which would only re-scan the parent's inherited heap, is off.
    """
    gc.disable()
    try:
        for chunk in make_chunks():
            queue.put(("chunk", _pack(chunk)))
        queue.put(("done", None))
    except FileRefused as refused:
        queue.put(("refused", refused.errors))
    except BaseException as error:  # reported by the parent
        queue.put(("failed", f"{type(error).__name__}: {error}"))


def _read_in_process(
    make_chunks: Callable[[], Iterator[list[Group]]], depth: int = 2
) -> Iterator[list[Group]]:
    """The chunks, read and parsed in a forked worker process while this one compares and
    writes: the two use two cores, where a thread would share one (the GIL). At most `depth`
    chunks wait in the pipe, so memory stays flat; the worker is stopped when the caller stops
    early (an error, the transaction rolled back)."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=depth)
    process = context.Process(
        target=_produce_into, args=(make_chunks, queue), name="import-reader", daemon=True
    )
    with warnings.catch_warnings():
        # Python 3.12+ warns about forking a process that has other threads (a web worker):
        # the child only reads the file and touches no lock those threads may hold.
        warnings.filterwarnings("ignore", message=r".*fork\(\)", category=DeprecationWarning)
        process.start()
    try:
        while True:
            try:
                tag, item = queue.get(timeout=1.0)
            except Empty:
                if process.is_alive():
                    continue
                try:  # the last item may have arrived as the process ended
                    tag, item = queue.get(timeout=1.0)
                except Empty:
                    raise RuntimeError(
                        f"the import's reader process ended unexpectedly ({process.exitcode})"
                    ) from None
            if tag == "chunk":
                yield _unpack(item)
            elif tag == "done":
                return
            elif tag == "refused":
                raise FileRefused(item)
            else:
                raise RuntimeError(f"the import's reader process failed: {item}")
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        queue.close()


def _chunks(groups: Iterator[Group]) -> Iterator[list[Group]]:
    chunk: list[Group] = []
    lines = 0
    for group in groups:
        chunk.append(group)
        lines += len(group.records)
        if lines >= CHUNK_LINES:
            yield chunk
            chunk, lines = [], 0
    if chunk:
        yield chunk


def _plan(
    kind: Kind,
    groups: Sequence[Group],
    header: Header,
    ctx: Context,
    *,
    partial_ok: bool,
    changes: bool,
) -> list[GroupPlan | None]:
    """Each group's plan (None for a group with no readable row). `changes`: word the changes
    too (only the first ones are kept, so the rest need not be worded)."""
    readable = [g for g in groups if g.rows]
    snap = kind.snapshot([g.rows for g in readable], ctx)
    return [
        kind.plan_group(g.rows, snap, header, ctx, partial=bool(g.errors), changes=changes)
        if g.rows
        else None
        for g in groups
        if partial_ok or not g.errors
    ]


def _lock(households: set[int], persons: set[int]) -> None:
    # Households first, then persons, each in primary-key order: the order the services use.
    if households:
        list(
            Household.objects.select_for_update()
            .filter(bulk.any_of(Household, "id", sorted(households)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    if persons:
        list(
            InsuredPerson.objects.select_for_update()
            .filter(bulk.any_of(InsuredPerson, "id", sorted(persons)))
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def _plan_locked(
    kind: Kind, groups: Sequence[Group], header: Header, ctx: Context, *, changes: bool
) -> list[GroupPlan]:
    """Plans made while the rows they change are locked: plan, lock what they touch, plan those
    groups again (the records may have changed before the lock), until no new row needs
    locking. A group that changes nothing is not locked: if someone changes it meanwhile, the
    import leaves their change alone."""
    locked_households: set[int] = set()
    locked_persons: set[int] = set()
    plans: list[GroupPlan] = _plan(kind, groups, header, ctx, partial_ok=False, changes=changes)  # type: ignore[assignment]
    touched = list(range(len(plans)))
    for _round in range(5):
        touched = [i for i in touched if plans[i].lock_households or plans[i].lock_persons]
        households = set().union(*(plans[i].lock_households for i in touched))
        persons = set().union(*(plans[i].lock_persons for i in touched))
        households -= locked_households
        persons -= locked_persons
        if not households and not persons:
            return plans
        _lock(households, persons)
        locked_households |= households
        locked_persons |= persons
        again = _plan(
            kind, [groups[i] for i in touched], header, ctx, partial_ok=False, changes=changes
        )
        for i, plan in zip(touched, again, strict=True):
            assert plan is not None
            plans[i] = plan
    raise RuntimeError("the records kept changing while the import locked them")


# --- the two passes ----------------------------------------------------------------------------


@dataclass(slots=True)
class Repeats:
    """Groups whose key appeared earlier in the file (not next to it): line ranges, sorted."""

    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    firsts: list[int] = field(default_factory=list)  # the line of the earlier appearance
    counted: list[int] = field(default_factory=list)  # what the group was counted as (packed)

    def find(self, line: int) -> int | None:
        """The earlier appearance's line if `line` lies in a repeated group."""
        i = bisect.bisect_right(self.starts, line) - 1
        if i >= 0 and line <= self.ends[i]:
            return self.firsts[i]
        return None


_SHIFT = 21  # counts of one group, packed in one int: created | updated << 21 | unchanged << 42


class _Seen:
    """The groups of a pass, compactly (four 8-byte numbers each), to find repeated ones."""

    def __init__(self) -> None:
        self.hashes, self.starts, self.ends, self.counted = (array("q") for _ in range(4))

    def add(self, group: Group, plan: GroupPlan | None) -> None:
        if group.key is None:
            return
        packed = 0
        if plan is not None and not group.errors:
            outcomes = list(plan.outcomes.values())
            packed = (
                outcomes.count(CREATED)
                | outcomes.count(UPDATED) << _SHIFT
                | outcomes.count(UNCHANGED) << 2 * _SHIFT
            )
        self.hashes.append(hash(group.key))
        self.starts.append(group.first_line)
        self.ends.append(group.last_line)
        self.counted.append(packed)

    def repeats(self) -> Repeats:
        ordered = sorted(self.hashes)
        twice = {a for a, b in zip(ordered, ordered[1:], strict=False) if a == b}
        del ordered
        repeats = Repeats()
        first_seen: dict[int, int] = {}
        for value, start, end, counted in zip(
            self.hashes, self.starts, self.ends, self.counted, strict=True
        ):
            if value not in twice:
                continue
            if value not in first_seen:
                first_seen[value] = start
                continue
            repeats.starts.append(start)
            repeats.ends.append(end)
            repeats.firsts.append(first_seen[value])
            repeats.counted.append(counted)
        return repeats


def _repeat_errors(kind: Kind, group: Group, first: int) -> list[LineError]:
    code = "household_split" if kind.groups_households else "duplicate_row"
    return [LineError(record.line, "", code, {"line": first}) for record in group.records]


def _report_repeats(
    kind: Kind,
    reader: _Reader,
    header: Header,
    repeats: Repeats,
    tally: Tally,
    report: storage.ErrorReport,
) -> None:
    """Read the file again for the repeated groups: each of their lines is an error, and what
    they were counted as is taken back."""
    mask = (1 << _SHIFT) - 1
    tally.changes = [c for c in tally.changes if repeats.find(c.line) is None]
    for counted in repeats.counted:
        tally.created -= counted & mask
        tally.updated -= (counted >> _SHIFT) & mask
        tally.unchanged -= (counted >> 2 * _SHIFT) & mask
    for group in reader.groups(header):
        if group.key is None:
            continue
        first = repeats.find(group.first_line)
        if first is None:
            continue
        if not group.errors:
            tally.rejected += len(group.records)
        report.add(_repeat_errors(kind, group, first))


@dataclass(slots=True)
class Checked:
    header: Header
    header_record: Record
    tally: Tally
    repeats: Repeats


def _check(
    kind: Kind,
    reader: _Reader,
    ctx: Context,
    report: storage.ErrorReport,
    total: int,
    progress: Progress | None,
) -> Checked:
    """The check pass: every line read and compared with the records; nothing written."""
    header = reader.header()
    assert reader.header_record is not None
    tally = Tally()
    seen = _Seen()
    last_progress = 0
    bulk.refresh_statistics(kind.analysed, start=True)
    for chunk in _read_chunks(reader, header, total):
        plans = _plan(kind, chunk, header, ctx, partial_ok=True, changes=tally.wants_changes)
        for group, plan in zip(chunk, plans, strict=True):
            tally.lines += len(group.records)
            if plan is not None:
                group.errors.extend(plan.errors)
            if group.errors:
                tally.rejected += len(group.records)
                report.add(sorted(group.errors, key=lambda e: e.line))
            elif plan is not None:
                tally.count(plan)
            seen.add(group, plan)
        done = chunk[-1].last_line
        if progress is not None and done - last_progress >= PROGRESS_EVERY:
            progress("checking", done, total)
            last_progress = done
    repeats = seen.repeats()
    del seen
    if repeats.starts:
        _report_repeats(kind, reader, header, repeats, tally, report)
    if progress is not None:
        progress("checking", total, total)
    return Checked(header, reader.header_record, tally, repeats)


def _apply(
    kind: Kind,
    reader: _Reader,
    ctx: Context,
    *,
    checked: Checked | None,
    good_lines: bool,
    report: storage.ErrorReport,
    rejects: Path | None,
    total: int,
    progress: Progress | None,
) -> Tally:
    """The writing pass; call inside a transaction.

    With `checked` (good-lines mode) the bad groups are known from the check pass (and a group
    found bad only now is rejected too). Without it (all-or-nothing mode) this is the only pass:
    it checks as it writes, stops writing at the first bad line but reads on to report every bad
    line, and then raises LinesRejected so that the transaction is rolled back.
    """
    if checked is not None:
        header, header_record, repeats = checked.header, checked.header_record, checked.repeats
    else:
        header, repeats = reader.header(), None
        assert reader.header_record is not None
        header_record = reader.header_record
    seen = _Seen() if repeats is None else None
    tally = Tally()
    bad_seen = False
    bulk.refresh_statistics(kind.analysed, start=True)
    handle = rejects.open("wb") if rejects is not None else None
    try:
        if handle is not None:
            if reader.encoding.bom:
                handle.write(b"\xef\xbb\xbf")
            handle.write(_with_newline(header_record.raw))
        last_progress = 0
        # References written in bulk are checked per chunk, set-based (ADR 0014).
        with bulk.references_checked_in_bulk():
            for chunk in _read_chunks(reader, header, total):
                if repeats is not None:
                    for group in chunk:
                        first = repeats.find(group.first_line) if group.key is not None else None
                        if first is not None:
                            group.errors.extend(_repeat_errors(kind, group, first))
                clean = [g for g in chunk if not g.errors]
                # Groups with a bad line are compared too (never written), so that every error of
                # their good lines is reported as well.
                partial = [g for g in chunk if g.errors and g.rows]
                for group, plan in zip(
                    partial,
                    _plan(kind, partial, header, ctx, partial_ok=True, changes=False)
                    if partial
                    else [],
                    strict=True,
                ):
                    assert plan is not None
                    group.errors.extend(plan.errors)
                writing = good_lines or not bad_seen
                plans = (
                    _plan_locked(kind, clean, header, ctx, changes=tally.wants_changes)
                    if writing
                    else _plan(kind, clean, header, ctx, partial_ok=False, changes=False)
                )
                good: list[GroupPlan] = []
                by_group: dict[int, GroupPlan] = {}
                for group, plan in zip(clean, plans, strict=True):
                    assert plan is not None
                    by_group[id(group)] = plan
                    if plan.errors:
                        group.errors.extend(plan.errors)
                    else:
                        good.append(plan)
                for group in chunk:
                    tally.lines += len(group.records)
                    if seen is not None:
                        seen.add(group, by_group.get(id(group)))
                    if not group.errors:
                        continue
                    bad_seen = True
                    tally.rejected += len(group.records)
                    errors = sorted(group.errors, key=lambda e: e.line)
                    if good_lines:
                        wrong = errors[0].line
                        own = {e.line for e in errors}
                        errors += [
                            LineError(r.line, "", "group_rejected", {"line": wrong})
                            for r in group.records
                            if r.line not in own
                        ]
                    report.add(sorted(errors, key=lambda e: e.line))
                    if handle is not None:
                        for record in group.records:
                            handle.write(_with_newline(record.raw))
                # Once a line is bad in all-or-nothing mode nothing will be kept: the rest of the
                # file is only read, so that every bad line is reported.
                if good_lines or not bad_seen:
                    kind.apply(good, ctx)
                    bulk.check_references()
                    bulk.refresh_statistics(kind.analysed, start=False)
                for plan in good:
                    tally.count(plan)
                done = chunk[-1].last_line
                if progress is not None and done - last_progress >= PROGRESS_EVERY:
                    progress("importing", done, total)
                    last_progress = done
    finally:
        if handle is not None:
            handle.close()
    if seen is not None:
        found = seen.repeats()
        del seen
        if found.starts:
            bad_seen = True
            _report_repeats(kind, reader, header, found, tally, report)
    if bad_seen and not good_lines:
        rejected = LinesRejected(report.first)
        rejected.tally = tally  # type: ignore[attr-defined]
        raise rejected
    if progress is not None:
        progress("importing", total, total)
    return tally


def _with_newline(raw: bytes) -> bytes:
    return raw if raw.endswith(b"\n") else raw + b"\r\n"


# --- the run ---------------------------------------------------------------------------------


def start_run(
    *,
    kind: str,
    file_name: str,
    by: Any,
    mode: str = ImportRun.Mode.ALL_OR_NOTHING,
    as_of: date | None = None,
) -> ImportRun:
    """A new ImportRun row, before the file is stored and checked."""
    return ImportRun.objects.create(
        kind=KIND_ALIASES.get(kind, kind),
        file_name=file_name[:255],
        sha256="",
        mode=mode,
        as_of=as_of or timezone.localdate(),
        by=by if by is not None and getattr(by, "is_authenticated", False) else None,
    )


def _save(run: ImportRun, tally: Tally | None, report: storage.ErrorReport | None) -> None:
    if tally is not None:
        run.lines = tally.lines
        run.created, run.updated, run.unchanged = tally.created, tally.updated, tally.unchanged
        run.rejected = tally.rejected
        run.changes = [c.as_json() for c in tally.changes]
    if report is not None:
        run.error_count = report.count
        run.errors = [e.as_json() for e in sorted(report.first, key=lambda e: (e.line, e.column))]
    run.save()


def _audit(run: ImportRun, *, dry_run: bool) -> None:
    audit.record(
        actor=run.by,
        action="import",
        obj=run,
        detail={
            "kind": run.kind,
            "status": run.status,
            "mode": run.mode,
            "dry_run": dry_run,
            "sha256": run.sha256,
            "lines": run.lines,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "rejected": run.rejected,
            "errors": run.error_count,
        },
    )


_collector_lock = threading.Lock()
_collector_users = 0
_collector_saved: tuple[int, int, int] | None = None
RELAXED_GEN0 = 50_000  # allocations between young collections while an import runs


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while an import works.

    An import allocates millions of short-lived objects that reference counting frees; the
    default young-generation threshold (700) made the collector run tens of thousands of times
    and re-scan the long-lived heap, a third of the process's time. The threshold is raised
    for the run (nested or concurrent runs share it) and restored after the last one.
    """
    global _collector_users, _collector_saved
    with _collector_lock:
        if _collector_users == 0:
            _collector_saved = gc.get_threshold()
            gen0, gen1, gen2 = _collector_saved
            gc.set_threshold(max(gen0, RELAXED_GEN0), gen1, gen2)
        _collector_users += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_users -= 1
            if _collector_users == 0 and _collector_saved is not None:
                gc.set_threshold(*_collector_saved)
                _collector_saved = None


def execute(
    run: ImportRun,
    path: Path,
    *,
    dry_run: bool = False,
    preview: bool = False,
    progress: Progress | None = None,
) -> ImportRun:
    """Check `path` as `run.kind`, then (unless dry_run) import it; returns the finished run.

    `preview`: a check whose run then waits for confirmation (status previewed). The file is
    expected to be the one `run.sha256` names, when set (confirmation re-checks the stored file).
    """
    with _fewer_collections():
        return _execute(run, path, dry_run=dry_run, preview=preview, progress=progress)


def _execute(
    run: ImportRun,
    path: Path,
    *,
    dry_run: bool,
    preview: bool,
    progress: Progress | None,
) -> ImportRun:
    kind = kind_named(run.kind)
    today = run.as_of or timezone.localdate()
    ctx = Context(today=today, now=timezone.now(), by=run.by, run_id=run.pk)
    folder = storage.run_dir(run.pk)
    sha = storage.sha256_of(path)
    if run.sha256 and run.sha256 != sha:
        # The stored upload changed after its preview: import nothing.
        run.message = f"checksum mismatch: previewed {run.sha256}, stored file {sha}"
        return _finish(run, ImportRun.Status.FAILED, None, None, dry_run=False)
    run.sha256, run.size = sha, path.stat().st_size
    run.status = ImportRun.Status.CHECKING
    run.finished_at = None
    encoding = detect_encoding(path)
    run.encoding = encoding.label
    run.save()
    total = count_lines(path)
    reader = _Reader(kind, path, encoding, ctx)
    report = storage.ErrorReport(folder / "errors.jsonl", KEEP_ERRORS)
    run.report_file = str(report.path)
    good_lines = run.mode == ImportRun.Mode.GOOD_LINES
    rejects = folder / "rejected-lines.csv" if good_lines else None
    checked = None
    started = time.monotonic()
    try:
        if dry_run or preview or good_lines:
            checked = _check(kind, reader, ctx, report, total, progress)
            report.close()
            logger.debug("import %s checked in %.1fs", run.pk, time.monotonic() - started)
            if dry_run or preview:
                status = ImportRun.Status.PREVIEWED if preview else ImportRun.Status.CHECKED
                return _finish(run, status, checked.tally, report, dry_run=True)
            # The writing pass reports again, with what it finds under the locks.
            report = storage.ErrorReport(folder / "errors.jsonl", KEEP_ERRORS)
        run.status = ImportRun.Status.RUNNING
        run.save(update_fields=["status", "report_file"])
        with transaction.atomic():
            tally = _apply(
                kind,
                reader,
                ctx,
                checked=checked,
                good_lines=good_lines,
                report=report,
                rejects=rejects,
                total=total,
                progress=progress,
            )
            report.close()
            run.rejects_file = str(rejects) if rejects is not None and tally.rejected else ""
            status = ImportRun.Status.PARTIAL if tally.rejected else ImportRun.Status.COMMITTED
            if tally.created or tally.updated:
                stored_figures.forget()  # the statistics are counted again on the next visit
            _finish(run, status, tally, report, dry_run=False)
    except FileRefused as refused:
        report.close()
        report = storage.ErrorReport(folder / "errors.jsonl", KEEP_ERRORS)
        report.add(refused.errors)
        report.close()
        if any(e.code == "my_number" for e in refused.errors):
            storage.remove(run.stored_file)  # an uploaded file with a My Number is not kept
            run.stored_file = ""
        return _finish(run, ImportRun.Status.REJECTED, None, report, dry_run=dry_run or preview)
    except LinesRejected as rejected:
        report.close()
        tally = getattr(rejected, "tally", None)
        return _finish(run, ImportRun.Status.REJECTED, tally, report, dry_run=False)
    except Exception as error:
        report.close()
        logger.exception("import %s failed", run.pk)
        run.message = f"{type(error).__name__}: {error}"[:2000]
        return _finish(run, ImportRun.Status.FAILED, None, report, dry_run=False)
    if rejects is not None and not tally.rejected:
        rejects.unlink(missing_ok=True)
    logger.debug("import %s done in %.1fs", run.pk, time.monotonic() - started)
    return run


def _finish(
    run: ImportRun,
    status: str,
    tally: Tally | None,
    report: storage.ErrorReport | None,
    *,
    dry_run: bool,
) -> ImportRun:
    run.status = status
    run.finished_at = timezone.now()
    if status not in (ImportRun.Status.PREVIEWED,):
        storage.remove(run.stored_file)
        run.stored_file = ""
    _save(run, tally, report)
    _audit(run, dry_run=dry_run)
    return run


def import_file(
    kind: str,
    path: Path,
    *,
    by: Any = None,
    mode: str = ImportRun.Mode.ALL_OR_NOTHING,
    dry_run: bool = False,
    as_of: date | None = None,
    progress: Progress | None = None,
    file_name: str | None = None,
) -> ImportRun:
    """Check and import a file in one call (the command's path)."""
    if KIND_ALIASES.get(kind, kind) not in KINDS:
        raise KeyError(kind)
    run = start_run(kind=kind, file_name=file_name or path.name, by=by, mode=mode, as_of=as_of)
    return execute(run, path, dry_run=dry_run, progress=progress)
