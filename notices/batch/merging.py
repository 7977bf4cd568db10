"""Merge the print files of a run's chunks into one PDF per document kind, streaming.

The chunk files are ReportLab's (classic cross-reference table, no object streams). Each is read
whole (one chunk: some MB), its objects are renumbered and copied into the output unchanged but
for their dictionaries: references get the new numbers, a page's /Parent points to the page-tree
node of the run of pages it belongs to, and each font subset gets a tag of its own. ReportLab
names the subsets of every file AAAAAA+…, AAAAAB+…, with different glyphs in each file; merged
under the same names, print systems that cache fonts by name print wrong characters.

Pages can be put in any order: the page tree, not the position of the objects in the file,
decides it. The caller gives the order as runs (source, first page, end page), so documents that
were retried after a failure (a later chunk) still come in postal-code order.

Memory stays flat: one source file at a time, the cross-reference entries go to a temporary file
(fixed width, written at their object number), and only the list of runs is kept.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_OBJ = re.compile(rb"(\d+)\s+(\d+)\s+obj")
_REF = re.compile(rb"(?<![\d.])(\d+)\s+(\d+)\s+R(?![A-Za-z0-9])")
_SUBSET = re.compile(rb"/([A-Z]{6})\+")
_DICT_ENTRY = {
    "Root": re.compile(rb"/Root\s+(\d+)\s+\d+\s+R"),
    "Info": re.compile(rb"/Info\s+(\d+)\s+\d+\s+R"),
    "Pages": re.compile(rb"/Pages\s+(\d+)\s+\d+\s+R"),
    "Parent": re.compile(rb"/Parent\s+(\d+)\s+\d+\s+R"),
    "Length": re.compile(rb"/Length\s+(\d+)(\s+\d+\s+R)?"),
}
_KIDS = re.compile(rb"/Kids\s*\[([^\]]*)\]")
_TYPE_PAGES = re.compile(rb"/Type\s*/Pages(?![A-Za-z])")
_INHERITABLE = re.compile(rb"/(Resources|MediaBox|CropBox|Rotate)(?![A-Za-z])")
_WS = b" \t\r\n\f\x00"
# Object numbers of the output: the catalog, the root of the page tree, then one page-tree node
# per run of pages, then the copied objects.
CATALOG, ROOT, FIRST_NODE = 1, 2, 3


class MergeError(ValueError):
    """A source file is not a PDF this merger understands, or the order does not fit it."""


@dataclass(frozen=True, slots=True)
class PageRun:
    source: int  # index into the sources
    start: int  # first page, 0-based
    end: int  # after the last page


@dataclass(frozen=True, slots=True)
class MergeResult:
    pages: int
    size: int
    sha256: str


class _Source:
    """One parsed input file: its objects' offsets and its pages in order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data = path.read_bytes()
        self.offsets = self._xref()
        root = self._entry(self.trailer, "Root")
        info = _DICT_ENTRY["Info"].search(self.trailer)
        pages_root = self._entry(self.dictionary(root), "Pages")
        self.tree: set[int] = set()
        self.pages: list[int] = []
        self._walk(pages_root)
        self.skip = {root, *self.tree, *([int(info[1])] if info else [])}

    def _xref(self) -> dict[int, int]:
        data = self.data
        at = data.rfind(b"startxref")
        if at < 0:
            raise MergeError(f"{self.path.name}: no startxref")
        start = int(data[at + 9 :].split()[0])
        if not data.startswith(b"xref", start):
            raise MergeError(f"{self.path.name}: not a classic cross-reference table")
        trailer_at = data.index(b"trailer", start)
        lines = data[start + 4 : trailer_at].split()
        offsets: dict[int, int] = {}
        i = 0
        while i < len(lines):
            first, count = int(lines[i]), int(lines[i + 1])
            i += 2
            for n in range(count):
                offset, _generation, kind = lines[i], lines[i + 1], lines[i + 2]
                i += 3
                if kind == b"n":
                    offsets[first + n] = int(offset)
        self.trailer = data[trailer_at : data.index(b"startxref", trailer_at)]
        return offsets

    def _entry(self, text: bytes, key: str) -> int:
        match = _DICT_ENTRY[key].search(text)
        if match is None:
            raise MergeError(f"{self.path.name}: no /{key}")
        return int(match[1])

    def parts(self, number: int) -> tuple[bytes, bytes]:
        """The object's dictionary (or whole value) and the raw bytes after it up to endobj
        (the stream keyword, the stream data, endstream), which are copied untouched."""
        data = self.data
        offset = self.offsets[number]
        match = _OBJ.match(data, offset)
        if match is None or int(match[1]) != number:
            raise MergeError(f"{self.path.name}: object {number} is not where the table says")
        start = match.end()
        end = _value_end(data, start)
        rest = end
        while rest < len(data) and data[rest] in _WS:
            rest += 1
        if data.startswith(b"stream", rest):
            head = data[start:end]
            length_match = _DICT_ENTRY["Length"].search(head)
            if length_match is None:
                raise MergeError(f"{self.path.name}: stream {number} without /Length")
            length = (
                int(self.dictionary(int(length_match[1])).strip())
                if length_match[2]
                else int(length_match[1])
            )
            body = rest + 6
            body += 2 if data.startswith(b"\r\n", body) else 1
            after = data.index(b"endstream", body + length)
            close = data.index(b"endobj", after)
            return head, data[end:close]
        close = data.index(b"endobj", end)
        return data[start:end], data[end:close]

    def dictionary(self, number: int) -> bytes:
        return self.parts(number)[0]

    def _walk(self, node: int) -> None:
        text = self.dictionary(node)
        self.tree.add(node)
        if _INHERITABLE.search(text):
            raise MergeError(f"{self.path.name}: page tree node with inherited attributes")
        kids = _KIDS.search(text)
        if kids is None:
            raise MergeError(f"{self.path.name}: page tree node without /Kids")
        for ref in _REF.finditer(kids[1]):
            kid = int(ref[1])
            if _TYPE_PAGES.search(self.dictionary(kid)):
                self._walk(kid)
            else:
                self.pages.append(kid)


_TOKEN = re.compile(rb"<<|>>|[(<%]")


def _value_end(data: bytes, at: int) -> int:
    """Where the PDF value starting at `at` (after whitespace) ends: a dictionary with nested
    dictionaries and strings, or anything else up to endobj."""
    while data[at] in _WS:
        at += 1
    if not data.startswith(b"<<", at):
        return data.index(b"endobj", at)
    depth = 0
    i = at
    search = _TOKEN.search
    while (token := search(data, i)) is not None:
        kind = token[0]
        i = token.end()
        if kind == b"<<":
            depth += 1
        elif kind == b">>":
            depth -= 1
            if depth == 0:
                return i
        elif kind == b"(":  # literal string
            i = _string_end(data, token.start())
        elif kind == b"<":  # hex string
            i = data.index(b">", i) + 1
        else:  # % comment
            i = data.index(b"\n", i)
    raise MergeError("unterminated dictionary")


def _string_end(data: bytes, at: int) -> int:
    depth = 0
    i = at
    while i < len(data):
        c = data[i]
        if c == 0x5C:  # backslash escapes the next byte
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise MergeError("unterminated string")


def _tag(n: int) -> bytes:
    """A subset tag of six capital letters, different for every n (26**5 of them after 'M')."""
    letters = []
    for _ in range(5):
        n, digit = divmod(n, 26)
        letters.append(65 + digit)
    return bytes([77, *reversed(letters)])  # M…: never ReportLab's AAAAAx


class _Writer:
    def __init__(self, handle: BinaryIO, xref: BinaryIO) -> None:
        self.handle = handle
        self.xref = xref
        self.position = 0
        self.written = 0

    def raw(self, data: bytes) -> None:
        self.handle.write(data)
        self.position += len(data)

    def obj(self, number: int, *chunks: bytes) -> None:
        self.xref.seek(number * 20)
        self.xref.write(b"%010d 00000 n \n" % self.position)
        self.raw(b"%d 0 obj\n" % number)
        for chunk in chunks:
            self.raw(chunk)
        self.raw(b"\nendobj\n")
        self.written += 1


def merge(sources: Sequence[Path], order: Sequence[PageRun], out: Path) -> MergeResult:
    """Write the pages of `sources` in the order of `order` into `out` (atomically: a
    `.part` file renamed at the end). Every page of every source must be in exactly one run."""
    runs_of: dict[int, list[int]] = {}
    for index, run in enumerate(order):
        runs_of.setdefault(run.source, []).append(index)
    catalog, root, first_node = CATALOG, ROOT, FIRST_NODE
    next_number = first_node + len(order)
    total = 0
    temp = out.with_name(f".{out.name}.part")
    digest = hashlib.sha256()
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw, tempfile.TemporaryFile(dir=out.parent) as xref:
            handle = _Hashing(raw, digest)
            writer = _Writer(handle, xref)
            writer.raw(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
            tags = [0]
            for source_index, path in enumerate(sources):
                next_number, pages = _copy(
                    writer, _Source(path), source_index, order, runs_of, next_number, tags
                )
                total += pages
            kids = b" ".join(b"%d 0 R" % (first_node + i) for i in range(len(order)))
            writer.obj(root, b"<< /Type /Pages /Count %d /Kids [ %s ] >>" % (total, kids))
            writer.obj(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % root)
            if writer.written != next_number - 1:
                raise MergeError("objects were numbered but not written")
            start = writer.position
            writer.raw(b"xref\n0 %d\n0000000000 65535 f \n" % next_number)
            xref.seek(20)
            while block := xref.read(1 << 20):
                writer.raw(block)
            file_id = hashlib.md5(  # noqa: S324 (an identifier, not security)
                b"".join(p.name.encode() for p in sources) + b"%d" % total
            ).hexdigest()
            writer.raw(
                b"trailer\n<< /Size %d /Root %d 0 R /ID [<%s><%s>] >>\nstartxref\n%d\n%%%%EOF\n"
                % (next_number, catalog, file_id.encode(), file_id.encode(), start)
            )
            raw.flush()
            os.fsync(raw.fileno())
            size = writer.position
        os.replace(temp, out)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return MergeResult(pages=total, size=size, sha256=digest.hexdigest())


def _copy(
    writer: _Writer,
    source: _Source,
    source_index: int,
    order: Sequence[PageRun],
    runs_of: dict[int, list[int]],
    next_number: int,
    tags: list[int],
) -> tuple[int, int]:
    """Copy one source's objects, renumbered, then the page-tree nodes of its runs; returns the
    next free object number and the pages copied."""
    name = source.path.name
    parent_of = _parents(source, source_index, order, runs_of, source.path)
    numbers: dict[int, int] = {}
    for old in sorted(source.offsets):
        if old not in source.skip:
            numbers[old] = next_number
            next_number += 1
    renamed: dict[bytes, bytes] = {}
    page_index = {page: i for i, page in enumerate(source.pages)}
    parent = 0  # the page-tree node of the page being copied (0: not a page)

    def renumber(match: re.Match[bytes]) -> bytes:
        old = int(match[1])
        new = numbers.get(old)
        if new is None and parent and old in source.tree:
            new = parent  # a page's /Parent: the node of its run
        if new is None:
            raise MergeError(f"{name}: reference to a skipped object {old}")
        return b"%d 0 R" % new

    def retag(match: re.Match[bytes]) -> bytes:
        if match[1] not in renamed:
            renamed[match[1]] = _tag(tags[0])
            tags[0] += 1
        return b"/" + renamed[match[1]] + b"+"

    for old, new in numbers.items():
        head, tail = source.parts(old)
        index = page_index.get(old)
        parent = 0 if index is None else FIRST_NODE + parent_of[index]
        writer.obj(new, _SUBSET.sub(retag, _REF.sub(renumber, head)), tail)
    pages = 0
    for index in runs_of.get(source_index, []):
        run = order[index]
        kids = b" ".join(b"%d 0 R" % numbers[p] for p in source.pages[run.start : run.end])
        writer.obj(
            FIRST_NODE + index,
            b"<< /Type /Pages /Parent %d 0 R /Count %d /Kids [ %s ] >>"
            % (ROOT, run.end - run.start, kids),
        )
        pages += run.end - run.start
    return next_number, pages


def _parents(
    source: _Source,
    source_index: int,
    order: Sequence[PageRun],
    runs_of: dict[int, list[int]],
    path: Path,
) -> dict[int, int]:
    """Page index in the source → index of its run in `order`; every page exactly once."""
    parent: dict[int, int] = {}
    for index in runs_of.get(source_index, []):
        run = order[index]
        if not 0 <= run.start < run.end <= len(source.pages):
            raise MergeError(f"{path.name}: pages {run.start}–{run.end} are not in the file")
        for page in range(run.start, run.end):
            if page in parent:
                raise MergeError(f"{path.name}: page {page} is ordered twice")
            parent[page] = index
    if len(parent) != len(source.pages):
        raise MergeError(f"{path.name}: {len(source.pages) - len(parent)} pages are not ordered")
    return parent


class _Hashing:
    """A write-only file that hashes what goes through it."""

    def __init__(self, handle: BinaryIO, digest: hashlib._Hash) -> None:
        self.handle = handle
        self.digest = digest

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return self.handle.write(data)
