"""CSV files that a spreadsheet program opens safely (CSV or formula injection, OWASP).

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@` as a
formula, and some also after a leading tab or carriage return; a name such as
`=HYPERLINK("http://…")` typed into a form would then run on a supervisor's PC. Every CSV this
system writes for people to open goes through `escape_cell`, which puts a single quote in front
of such a cell, as OWASP recommends; the quote shows in the cell, the formula does not run. The
full-width forms (＝ ＋ － ＠), which a Japanese IME may produce and some spreadsheet programs
also take for a formula, are escaped too.

Plain numbers (`-12`, `-3.5`) are left alone: a minus sign followed only by digits is no formula,
and the statistics CSV stays numeric in a spreadsheet.

The one CSV not escaped is the import's file of rejected lines: it is the uploaded file's own
lines, byte for byte, so that it can be corrected and imported again (README, "Personal data").
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
# A byte order mark first, so that spreadsheet programs read the file as UTF-8 (Japanese text).
BOM = "\ufeff"


def escape_cell(value: object) -> str:
    """The cell as text, with a leading single quote when a spreadsheet would read a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


def escape_row(row: Iterable[object]) -> list[str]:
    return [escape_cell(value) for value in row]


class SafeWriter:
    """`csv.writer` whose every row (header included) has its cells escaped."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow(escape_row(row))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


class _Echo:
    """A file that hands back what is written: lets csv.writer produce lines for streaming."""

    def write(self, value: str) -> str:
        return value


def stream_lines(
    header: Iterable[object], rows: Iterable[Iterable[object]], *, bom: bool = True
) -> Iterator[str]:
    """The CSV as a sequence of lines (for a StreamingHttpResponse), every cell escaped."""
    writer = SafeWriter(_Echo())
    if bom:
        yield BOM
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)
