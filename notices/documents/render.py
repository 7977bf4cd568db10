"""Snapshots in, PDF out: one document per file, or a merged print file from a stream.

Pure: no database, no settings. Everything printed comes from the snapshots, so a batch can build
them in one query, hand them over as a generator, and render in a worker process.

In a merged file the static part of each kind and variant (frame, labels, fixed paragraphs) is
drawn once as a Form XObject and placed on every page; each page then draws only the person's
fields. That is what makes a 10,000-page print file take seconds (shared/research/pdf_and_tasks.md).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from reportlab.pdfgen.canvas import Canvas

from notices.documents import certificate, notice
from notices.documents.fonts import describe, font_name
from notices.documents.layout import FieldWriter
from notices.documents.snapshots import CertificateSnapshot, DocumentSnapshot, NoticeSnapshot

TITLES = {"certificate": "資格確認書", "notice": "資格情報のお知らせ"}
CREATOR = "Sumida Kokuho"

Output = str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True, slots=True)
class ReviewFlag:
    """Something on one document a person must look at before it is sent."""

    document: int  # position of the snapshot in the input, from 0
    insured_number: str  # 記号-番号-枝番
    field: str  # the printed field: name, address, addressee_name, …
    reason: str  # outer_character | variation_selector | does_not_fit
    characters: tuple[str, ...] = ()

    def __str__(self) -> str:
        what = f": {describe(self.characters)}" if self.characters else ""
        return f"#{self.document} {self.insured_number} {self.field} {self.reason}{what}"


@dataclass(frozen=True, slots=True)
class RenderResult:
    documents: int
    pages: int
    flags: tuple[ReviewFlag, ...] = ()

    @property
    def needs_review(self) -> bool:
        return bool(self.flags)

    @property
    def outer_characters(self) -> tuple[str, ...]:
        """The characters printed as 〓, each once, in order of appearance."""
        chars = (
            c for flag in self.flags if flag.reason == "outer_character" for c in flag.characters
        )
        return tuple(dict.fromkeys(chars))

    @property
    def documents_to_review(self) -> tuple[int, ...]:
        return tuple(sorted({flag.document for flag in self.flags}))


def render(
    snapshot: DocumentSnapshot, out: Output, *, certificate_backs: bool = True
) -> RenderResult:
    """One document in one file: a 資格確認書 (front and back) or a お知らせ (one page)."""
    return render_many([snapshot], out, certificate_backs=certificate_backs)


def render_many(
    snapshots: Iterable[DocumentSnapshot], out: Output, *, certificate_backs: bool = True
) -> RenderResult:
    """Write every snapshot, in order, into one PDF; return what needs review.

    `snapshots` may be a generator: it is read one item at a time and nothing is kept of an item
    once its pages are drawn (ReportLab itself keeps each finished page, compressed, until the
    file is written: about 1 KB a page, so chunks of some thousands of pages are fine). Kinds may
    be mixed. A 資格確認書 takes two pages (front, back) unless `certificate_backs` is False (card
    stock with a pre-printed back); a お知らせ takes one.

    `out` is a path or a binary file. A path is written atomically (and readable by its owner
    only: it holds personal data): on any error nothing is left at that path. An empty input is
    an error (ValueError), not an empty print file.
    """
    items = iter(snapshots)
    try:
        first = next(items)
    except StopIteration:
        raise ValueError("No documents to render.") from None
    stream = itertools.chain([first], items)
    font = font_name()  # a missing font fails before any file is opened
    if isinstance(out, str | os.PathLike):
        with _atomic(Path(out)) as handle:
            return _write(stream, handle, font, certificate_backs)
    return _write(stream, out, font, certificate_backs)


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


class _Forms:
    """Form XObjects of one canvas, drawn the first time their variant is needed."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.names: dict[tuple[object, ...], str] = {}

    def place(self, key: tuple[object, ...], draw: Callable[[], None]) -> None:
        name = self.names.get(key)
        if name is None:
            name = f"static{len(self.names)}"
            self.canvas.beginForm(name)
            draw()
            self.canvas.endForm()
            self.names[key] = name
        self.canvas.doForm(name)


def _write(
    stream: Iterator[DocumentSnapshot], handle: BinaryIO, font: str, backs: bool
) -> RenderResult:
    # initialFontName: otherwise every page names Helvetica, a font that is not embedded.
    canvas = Canvas(handle, pagesize=certificate.PAGE_SIZE, pageCompression=1, initialFontName=font)
    forms = _Forms(canvas)
    writer = FieldWriter(canvas, font)
    flags: list[ReviewFlag] = []
    kinds: set[str] = set()
    author = ""
    documents = pages = 0
    for index, snap in enumerate(stream):
        if isinstance(snap, CertificateSnapshot):
            pages += _certificate(canvas, forms, writer, font, snap, backs)
        elif isinstance(snap, NoticeSnapshot):
            pages += _notice(canvas, forms, writer, font, snap)
        else:
            raise TypeError(f"not a document snapshot: {type(snap).__name__}")
        kinds.add(snap.kind)
        author = author or snap.insurer_name
        flags.extend(
            ReviewFlag(index, snap.insured_number, field, reason, chars)
            for field, reason, chars in writer.notes
        )
        writer.notes.clear()
        documents += 1
    # Metadata names the kind of document and the insurer, never a person.
    canvas.setTitle("・".join(TITLES[kind] for kind in sorted(kinds)))
    canvas.setAuthor(author)
    canvas.setSubject("")
    canvas.setCreator(CREATOR)
    canvas.save()
    return RenderResult(documents, pages, tuple(flags))


def _certificate(
    canvas: Canvas,
    forms: _Forms,
    writer: FieldWriter,
    font: str,
    card: CertificateSnapshot,
    backs: bool,
) -> int:
    special, elderly = card.special_medical_expenses, card.burden_ratio is not None
    cover = 0
    if card.activation_code:
        # Mailed with a portal code: a cover sheet first, so the card itself never carries it.
        canvas.setPageSize(certificate.PAGE_SIZE)
        forms.place(("certificate-cover",), lambda: certificate.draw_cover_static(canvas, font))
        certificate.draw_cover(writer, card)
        canvas.showPage()
        cover = 1
    canvas.setPageSize(certificate.PAGE_SIZE)
    forms.place(
        ("certificate", special, elderly, card.insurer_number, card.insurer_name),
        lambda: certificate.draw_front_static(
            canvas,
            font,
            special=special,
            elderly=elderly,
            insurer_number=card.insurer_number,
            insurer_name=card.insurer_name,
        ),
    )
    certificate.draw_front(writer, card)
    canvas.showPage()
    if not backs:
        return cover + 1
    canvas.setPageSize(certificate.PAGE_SIZE)
    forms.place(("certificate-back",), lambda: certificate.draw_back_static(canvas, font))
    canvas.showPage()
    return cover + 2


def _notice(
    canvas: Canvas, forms: _Forms, writer: FieldWriter, font: str, letter: NoticeSnapshot
) -> int:
    special, elderly = letter.special_medical_expenses, letter.burden_ratio is not None
    coded = bool(letter.activation_code)
    canvas.setPageSize(notice.PAGE_SIZE)

    def draw() -> None:
        notice.draw_static(
            canvas,
            font,
            special=special,
            elderly=elderly,
            insurer_number=letter.insurer_number,
            insurer_name=letter.insurer_name,
        )
        if coded:
            notice.draw_activation_static(canvas, font)

    forms.place(
        ("notice", special, elderly, coded, letter.insurer_number, letter.insurer_name), draw
    )
    notice.draw(writer, letter)
    canvas.showPage()
    return 1
