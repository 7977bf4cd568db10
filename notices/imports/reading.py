"""From bytes to records: the encoding, CSV lines with their line numbers, the header.

Streaming: the file is read line by line from disk, so memory stays flat whatever its size. Line
numbers are those an editor shows (the header is line 1); a record whose quoted value spans
several lines is numbered by its first line and keeps the raw bytes of all of them, so a file of
rejected lines can give them back exactly as they came.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from notices.imports.errors import FileRefused, LineError
from sumida_kokuho import mynumber

UTF8 = "utf-8"
CP932 = "cp932"
BOM = codecs.BOM_UTF8
# A record may span lines only inside quotes; past this many lines the quote is taken as unclosed.
MAX_LINES_PER_RECORD = 20
_READ_BLOCK = 1 << 20

# C0 and C1 control characters and DEL, except nothing: tabs and newlines inside values are refused
# too (a value with a newline in it is an address someone pasted wrongly, not data).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same in any width, anywhere in a line: a cheap first look before each value is checked.
_MY_NUMBER_SCAN = re.compile(r"(?<!\d)\d{4}[ \-\u3000－]?\d{4}[ \-\u3000－]?\d{4}(?!\d)")


def looks_like_my_number(value: str) -> bool:
    """A 12-digit value (groups of four allowed) whose last digit is a valid check digit."""
    # Written once, in sumida_kokuho.mynumber (forms, logs and the search use it too).
    return len(value) >= 12 and mynumber.is_my_number(value)


def has_control_character(value: str) -> bool:
    return _CONTROL.search(value) is not None


def may_hold_my_number(text: str) -> bool:
    """A quick look at a whole line: False means no value of it can be a My Number."""
    return _MY_NUMBER_SCAN.search(text) is not None


def may_hold_control_character(text: str) -> bool:
    """A quick look at a whole record (a line break inside a quoted value counts too)."""
    return _CONTROL.search(text) is not None


# --- encoding ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Encoding:
    name: str  # UTF8 or CP932
    bom: bool = False

    @property
    def label(self) -> str:
        if self.name == CP932:
            return "Shift_JIS (CP932)"
        return "UTF-8 (BOM)" if self.bom else "UTF-8"


def _decodes_whole(path: Path, encoding: str, skip: int) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    with path.open("rb") as handle:
        handle.seek(skip)
        try:
            while block := handle.read(_READ_BLOCK):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return False
    return True


def _failures(path: Path, encoding: str, skip: int) -> int:
    count = 0
    with path.open("rb") as handle:
        handle.seek(skip)
        for raw in handle:
            try:
                raw.decode(encoding)
            except UnicodeDecodeError:
                count += 1
    return count


def detect_encoding(path: Path) -> Encoding:
    """UTF-8 (with or without BOM) if the file is strictly UTF-8, else CP932 if it is that.

    A file that is neither is read in the encoding fewer of its lines break, and each line that
    breaks it is reported as a wrong-encoding line error (`read_records`).
    """
    with path.open("rb") as handle:
        bom = handle.read(len(BOM)) == BOM
    skip = len(BOM) if bom else 0
    if bom or _decodes_whole(path, UTF8, skip):
        return Encoding(UTF8, bom=bom)
    if _decodes_whole(path, CP932, 0):
        return Encoding(CP932)
    if _failures(path, CP932, 0) < _failures(path, UTF8, 0):
        return Encoding(CP932)
    return Encoding(UTF8)


# --- records -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Record:
    """One CSV record: its first line number, raw bytes, and fields (None when unreadable)."""

    line: int
    raw: bytes
    fields: list[str] | None
    error: LineError | None = None
    text: str = ""  # the decoded record, for checks of the whole line at once


def _parse(text: str) -> list[str] | None:
    try:
        return next(csv.reader((text,), strict=True))
    except (csv.Error, StopIteration):
        return None


class RecordReader:
    """Every non-blank record of a file, the header first, in order.

    Set `width` (the header's field count) once the header is read: a quoted value may then
    span lines only if the record it completes has that many fields. A quote that never closes,
    or closes into a record of the wrong width, is reported on its first line and the lines it
    would have swallowed are read again on their own, so each keeps its own errors.
    """

    def __init__(self, path: Path, encoding: Encoding) -> None:
        self.path = path
        self.encoding = encoding
        self.width: int | None = None

    def __iter__(self) -> Iterator[Record]:
        with self.path.open("rb") as handle:
            if self.encoding.bom:
                handle.seek(len(BOM))
            yield from self._records(enumerate(handle, start=1))

    def _records(self, lines: Iterator[tuple[int, bytes]]) -> Iterator[Record]:
        name = self.encoding.name
        pending: list[tuple[int, bytes, str]] = []
        for number, raw in lines:
            try:
                text = raw.decode(name).rstrip("\r\n")
            except UnicodeDecodeError:
                if pending:
                    yield from self._give_up(pending)
                    pending = []
                error = LineError(number, "", "wrong_encoding", {"encoding": self.encoding.label})
                yield Record(number, raw, None, error)
                continue
            if not pending:
                if '"' not in text:  # the common case: no quoting, nothing to undo
                    if text and not text.isspace():
                        yield Record(number, raw, text.split(","), None, text)
                    continue
            pending.append((number, raw, text))
            joined = "\n".join(text for _n, _r, text in pending)
            if joined.count('"') % 2:
                if len(pending) >= MAX_LINES_PER_RECORD:
                    yield from self._give_up(pending)
                    pending = []
                continue
            fields = _parse(joined)
            start = pending[0][0]
            if fields is None:
                if len(pending) == 1:
                    yield Record(start, raw, None, LineError(start, "", "malformed_csv"))
                else:
                    yield from self._give_up(pending)
            elif len(pending) > 1 and self.width is not None and len(fields) != self.width:
                yield from self._give_up(pending)
            else:
                yield Record(start, b"".join(r for _n, r, _t in pending), fields, None, joined)
            pending = []
        if pending:
            yield from self._give_up(pending)

    def _give_up(self, pending: list[tuple[int, bytes, str]]) -> Iterator[Record]:
        """The first line's quote is unclosed; the lines after it are read again alone."""
        number, raw, _text = pending[0]
        yield Record(number, raw, None, _unclosed(number))
        yield from self._records(iter([(n, r) for n, r, _t in pending[1:]]))


def read_records(path: Path, encoding: Encoding) -> Iterator[Record]:
    """Every non-blank record of the file, the header first (see RecordReader)."""
    return iter(RecordReader(path, encoding))


def _unclosed(line: int) -> LineError:
    return LineError(line, "", "unclosed_quote")


def count_lines(path: Path) -> int:
    """Physical lines in the file (for progress), counted in blocks without decoding."""
    count = 0
    last = b""
    with path.open("rb") as handle:
        while block := handle.read(_READ_BLOCK):
            count += block.count(b"\n")
            last = block
    if last and not last.endswith(b"\n"):
        count += 1
    return count


# --- the header ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a kind of file: its name in code, the header names accepted, and whether the
    header must have it."""

    name: str
    aliases: tuple[str, ...]
    required: bool = True


def normalise_header(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().replace(" ", "_")


@dataclass(frozen=True, slots=True)
class Header:
    """Which field holds which column, and the names the file gave them (for error reports)."""

    index: dict[str, int]
    labels: dict[str, str]
    width: int

    def label(self, name: str) -> str:
        return self.labels.get(name, name)


def read_header(record: Record | None, columns: tuple[Column, ...]) -> Header:
    """The header of a file of this kind; FileRefused listing every problem with it."""
    if record is None:
        raise FileRefused([LineError(1, "", "empty_file")])
    if record.fields is None:
        assert record.error is not None
        raise FileRefused([record.error])
    known: dict[str, str] = {}
    for column in columns:
        for alias in (column.name, *column.aliases):
            known[normalise_header(alias)] = column.name
    errors: list[LineError] = []
    index: dict[str, int] = {}
    labels: dict[str, str] = {}
    for position, cell in enumerate(record.fields):
        label = cell.strip().lstrip("\ufeff")
        name = known.get(normalise_header(label))
        if name is None:
            errors.append(LineError(record.line, label, "unknown_column"))
        elif name in index:
            errors.append(LineError(record.line, label, "duplicate_column"))
        else:
            index[name] = position
            labels[name] = label
    for column in columns:
        if column.required and column.name not in index:
            errors.append(LineError(record.line, column.name, "missing_column"))
    if errors:
        raise FileRefused(errors)
    return Header(index=index, labels=labels, width=len(record.fields))
