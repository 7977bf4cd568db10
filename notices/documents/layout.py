"""Drawing helpers for the variable fields: fitting a line, and Japanese line breaking.

Static paragraphs use ReportLab's Paragraph (wordWrap="CJK"), drawn once per file into a Form
XObject. The variable fields (names, addresses) are drawn on every page, so they use the small
helpers here instead: Paragraph costs a millisecond or so per call, these a few microseconds.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib.colors import Color, black
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.textsplit import ALL_CANNOT_START
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph

from notices.documents.fonts import OUTER_CHARACTER, VARIATION_SELECTOR, fit_to_font

# 行頭禁則 (no line starts with these) is ReportLab's list; 行末禁則 (no line ends with an opening
# bracket) is ours.
CANNOT_START = frozenset(ALL_CANNOT_START)
CANNOT_END = frozenset("（「『【〔〈《［｛([{〘〖“‘")
# Runs that must not be split: numbers, Latin words, phone numbers, e-mail addresses.
_UNBREAKABLE = re.compile(r"[0-9A-Za-z０-９Ａ-Ｚａ-ｚ@._\-－‐]+|.", re.DOTALL)


@functools.lru_cache(maxsize=8192)
def _unit_width(text: str, font: str) -> float:
    """Width at 1 pt. Addresses repeat the same characters and runs (東京都墨田区…, 丁目, 番)."""
    return stringWidth(text, font, 1)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break `text` into lines no wider than `width`, keeping 禁則 and unbreakable runs.

    A line never starts with 、。」）ー etc. and never ends with an opening bracket: the break
    moves back, taking the characters before it to the next line (追い出し), so nothing hangs
    past the margin. Only where no break is allowed at all does a line run long. A run longer
    than a whole line is split where it must be.
    """
    if _unit_width(text, font) * size <= width:
        return [text]  # the common case: it fits
    tokens: list[str] = []
    for token in _UNBREAKABLE.findall(text):
        if len(token) > 1 and _unit_width(token, font) * size > width:
            tokens.extend(token)  # a Latin building name longer than the line
        else:
            tokens.append(token)
    lines: list[str] = []
    line: list[str] = []
    line_width = 0.0
    for token in tokens:
        token_width = _unit_width(token, font) * size
        if line and line_width + token_width > width:
            split = len(line)
            while split > 0 and (
                (line[split:] or [token])[0][0] in CANNOT_START or line[split - 1][-1] in CANNOT_END
            ):
                split -= 1
            if split > 0:
                lines.append("".join(line[:split]).rstrip(" \u3000"))
                line = line[split:]
                line_width = sum(_unit_width(t, font) for t in line) * size
        if not line and lines and token in (" ", "\u3000"):
            continue  # no space at the start of a continued line
        if not line and lines and token[0] in CANNOT_START:
            lines[-1] += token  # only after a dropped space: hang it rather than start with it
            continue
        line.append(token)
        line_width += token_width
    if line or not lines:
        lines.append("".join(line))
    return lines


def draw_line(
    canvas: Canvas,
    x: float,
    y: float,
    text: str,
    *,
    font: str,
    size: float,
    width: float,
    min_size: float | None = None,
    align: str = "left",
) -> bool:
    """Draw one line, shrinking it down to `min_size` to fit `width`.

    Returns False when even `min_size` was too wide: the line is then squeezed horizontally to fit
    (never cut off, never over a neighbouring field), and the caller flags the document.
    """
    min_size = min_size or size
    needed = stringWidth(text, font, size)
    fits = True
    if needed > width:
        size = max(min_size, size * width / needed)
        needed = stringWidth(text, font, size)
        fits = needed <= width + 0.01
    if align == "right":
        x += width - min(needed, width)
    elif align == "center":
        x += (width - min(needed, width)) / 2
    if fits:
        canvas.setFont(font, size)
        canvas.drawString(x, y, text)
        return True
    text_object = canvas.beginText(x, y)
    text_object.setFont(font, size)
    text_object.setHorizScale(100 * width / needed)
    text_object.textOut(text)
    canvas.drawText(text_object)
    return False


def draw_lines(
    canvas: Canvas,
    x: float,
    top: float,
    text: str,
    *,
    font: str,
    width: float,
    tries: tuple[tuple[float, int], ...],
    leading: float = 1.2,
    height: float | None = None,
) -> bool:
    """Draw wrapped text from `top` (the top of the first line) down, or centred in `height`.

    `tries` lists (font size, most lines) from the preferred to the last resort. Returns False
    if even the last needed more lines: they are then drawn anyway, past the box, and the caller
    flags the document (an address is never cut short).
    """
    for size, max_lines in tries:
        lines = wrap(text, font, size, width)
        if len(lines) <= max_lines:
            break
    if height is not None:
        block = size + (len(lines) - 1) * size * leading
        top -= max(0.0, (height - block) / 2)
    canvas.setFont(font, size)
    y = top - 0.88 * size
    for line in lines:
        canvas.drawString(x, y, line)
        y -= size * leading
    return len(lines) <= max_lines


def paragraph(
    canvas: Canvas,
    x: float,
    top: float,
    width: float,
    markup: str,
    style: ParagraphStyle,
) -> float:
    """Draw a Paragraph (CJK wrapping) with its top at `top`; return the y just below it.

    Static text is the same in every file, so its line breaking is done once per process (a
    single-document file would otherwise spend a third of its time wrapping the card's back).
    `style` must be a long-lived object (the caches key on it).
    """
    para, height = _wrapped(markup, style, width)
    # drawOn keeps the canvas on the (shared) Paragraph while it draws: one thread at a time.
    with _DRAWING:
        para.drawOn(canvas, x, top - height)
    return top - height


_DRAWING = threading.Lock()


@functools.lru_cache(maxsize=256)
def _wrapped(markup: str, style: ParagraphStyle, width: float) -> tuple[Paragraph, float]:
    para = Paragraph(markup, style)
    _, height = para.wrap(width, 1000 * mm)
    return para, height


def plain(text: str) -> str:
    """Text as Paragraph markup: its own < > & are characters, not tags."""
    return escape(text)


# A table row: (height, ((field, label, label width, value width or None for the rest), ...)).
Row = tuple[float, tuple[tuple[str, str, float, float | None], ...]]


@dataclass(frozen=True, slots=True)
class Cell:
    """One label cell and the value cell to its right, in points."""

    field: str
    label: str
    x: float  # left of the label cell
    label_width: float
    value_width: float
    bottom: float
    height: float
    padding: float

    @property
    def value_x(self) -> float:
        return self.x + self.label_width + self.padding

    @property
    def value_room(self) -> float:
        return self.value_width - 2 * self.padding

    @property
    def top(self) -> float:
        return self.bottom + self.height

    def baseline(self, size: float) -> float:
        # CJK glyphs sit from -0.12 to 0.88 em around the baseline: centre that box in the row.
        return self.bottom + self.height / 2 - 0.38 * size


def table_cells(
    rows: tuple[Row, ...],
    *,
    left: float,
    right: float,
    top: float,
    padding: float,
    leave_out: frozenset[str] = frozenset(),
) -> dict[str, Cell]:
    """The cells of a table of rows; a row whose first field is in `leave_out` is left out."""
    cells: dict[str, Cell] = {}
    for height, row in rows:
        if row[0][0] in leave_out:
            continue
        x = left
        for field, label, label_width, value_width in row:
            width = value_width if value_width is not None else right - x - label_width
            cells[field] = Cell(field, label, x, label_width, width, top - height, height, padding)
            x += label_width + width
        top -= height
    return cells


def draw_grid(
    canvas: Canvas,
    cells: dict[str, Cell],
    *,
    font: str,
    label_size: float,
    shade: Color,
    line_width: float,
) -> None:
    """Shaded label cells with their labels, and empty value cells, all outlined."""
    canvas.setLineWidth(line_width)
    for cell in cells.values():
        canvas.setFillColor(shade)
        canvas.rect(cell.x, cell.bottom, cell.label_width, cell.height, stroke=1, fill=1)
        canvas.setFillColor(black)
        canvas.rect(cell.x + cell.label_width, cell.bottom, cell.value_width, cell.height)
        draw_line(
            canvas,
            cell.x + cell.padding,
            cell.baseline(label_size),
            cell.label,
            font=font,
            size=label_size,
            width=cell.label_width - 2 * cell.padding,
            min_size=label_size * 0.7,
        )


class FieldWriter:
    """Draws one document's variable fields on a canvas: each text is first fitted to the font
    (outer characters become 〓), and whatever needs a person's review is noted in `notes` as
    (field, reason, characters)."""

    DOES_NOT_FIT = "does_not_fit"

    def __init__(self, canvas: Canvas, font: str) -> None:
        self.canvas = canvas
        self.font = font
        self.notes: list[tuple[str, str, tuple[str, ...]]] = []

    def _fit(self, field: str, text: str) -> str:
        fitted = fit_to_font(text)
        if fitted.outer:
            self.notes.append((field, OUTER_CHARACTER, fitted.outer))
        if fitted.variation_selectors:
            self.notes.append((field, VARIATION_SELECTOR, fitted.variation_selectors))
        return fitted.text

    def line(
        self,
        field: str,
        text: str,
        x: float,
        y: float,
        width: float,
        size: float,
        min_size: float | None = None,
        align: str = "left",
    ) -> None:
        shown = self._fit(field, text)
        fits = draw_line(
            self.canvas,
            x,
            y,
            shown,
            font=self.font,
            size=size,
            width=width,
            min_size=min_size,
            align=align,
        )
        if not fits:
            self.notes.append((field, self.DOES_NOT_FIT, ()))

    def lines(
        self,
        field: str,
        text: str,
        x: float,
        top: float,
        width: float,
        tries: tuple[tuple[float, int], ...],
        height: float | None = None,
    ) -> None:
        shown = self._fit(field, text)
        fits = draw_lines(
            self.canvas, x, top, shown, font=self.font, width=width, tries=tries, height=height
        )
        if not fits:
            self.notes.append((field, self.DOES_NOT_FIT, ()))
