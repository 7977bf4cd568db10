"""資格確認書: card size (ID-1, 85.6 × 54 mm), front with the fields, back with the notes.

The static part of each side (frame, labels, insurer, notes) is drawn by `draw_*_static` into a
Form XObject once per file; `draw_front` draws only the person's fields on top of it. Both read
the same cells, so a label and its value cannot drift apart.
"""

from __future__ import annotations

import functools

from reportlab.lib.colors import Color
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from notices.documents import wording
from notices.documents.layout import (
    Cell,
    FieldWriter,
    Row,
    draw_grid,
    draw_line,
    paragraph,
    plain,
    table_cells,
)
from notices.documents.snapshots import CertificateSnapshot
from sumida_kokuho.wareki import to_wareki

WIDTH, HEIGHT = 85.6 * mm, 54 * mm
PAGE_SIZE = (WIDTH, HEIGHT)
LEFT, RIGHT = 3 * mm, WIDTH - 3 * mm
TITLE_BASELINE = HEIGHT - 6.2 * mm
LINE = Color(0.35, 0.35, 0.35)
SHADE = Color(0.9, 0.9, 0.9)

# The ratio row is there for 70–74 only (R-CONTENTS).
_ROWS: tuple[Row, ...] = (
    (4.8 * mm, (("valid_until", "有効期限", 14 * mm, None),)),
    (
        4.6 * mm,
        (
            ("symbol", "記号", 8 * mm, 14 * mm),
            ("number", "番号", 8 * mm, 25 * mm),
            ("branch", "枝番", 8 * mm, None),
        ),
    ),
    (5.6 * mm, (("name", "氏名", 14 * mm, None),)),
    (
        4.4 * mm,
        (
            ("birth_date", "生年月日", 14 * mm, 24 * mm),
            ("enrolled_on", "資格取得年月日", 17 * mm, None),
        ),
    ),
    (7.0 * mm, (("address", "住所", 14 * mm, None),)),
    (
        4.4 * mm,
        (
            ("burden_ratio", "負担割合", 14 * mm, 12 * mm),
            ("burden_ratio_from", "発効期日", 14 * mm, None),
        ),
    ),
    (
        4.4 * mm,
        (
            ("issued_on", "交付年月日", 14 * mm, 24 * mm),
            ("insurer_number", "保険者番号", 17 * mm, None),
        ),
    ),
    (4.4 * mm, (("insurer_name", "保険者名称", 14 * mm, None),)),
)


@functools.cache
def front_cells(elderly: bool) -> dict[str, Cell]:
    return table_cells(
        _ROWS,
        left=LEFT,
        right=RIGHT,
        top=HEIGHT - 8 * mm,
        padding=0.8 * mm,
        leave_out=frozenset() if elderly else frozenset({"burden_ratio"}),
    )


def title(special: bool) -> str:
    return wording.CERTIFICATE_TITLE + (wording.SPECIAL_SUFFIX if special else "")


def _frame(canvas: Canvas) -> None:
    canvas.setStrokeColor(LINE)
    canvas.setLineWidth(0.4)
    canvas.roundRect(1 * mm, 1 * mm, WIDTH - 2 * mm, HEIGHT - 2 * mm, 2.5 * mm)


def draw_front_static(
    canvas: Canvas,
    font: str,
    *,
    special: bool,
    elderly: bool,
    insurer_number: str,
    insurer_name: str,
) -> None:
    """Frame, title, labels and the insurer: the same on every card of one variant."""
    _frame(canvas)
    draw_line(
        canvas, LEFT, TITLE_BASELINE, title(special), font=font, size=8.5, width=58 * mm, min_size=6
    )
    cells = front_cells(elderly)
    draw_grid(canvas, cells, font=font, label_size=5.2, shade=SHADE, line_width=0.3)
    for field, text in (("insurer_number", insurer_number), ("insurer_name", insurer_name)):
        cell = cells[field]
        draw_line(
            canvas,
            cell.value_x,
            cell.baseline(7),
            text,
            font=font,
            size=7,
            width=cell.value_room,
            min_size=4,
        )
    draw_line(
        canvas,
        LEFT,
        2.6 * mm,
        wording.CERTIFICATE_FRONT_NOTE,
        font=font,
        size=4.6,
        width=RIGHT - LEFT,
        min_size=3.5,
    )


def draw_front(out: FieldWriter, card: CertificateSnapshot) -> None:
    """The person's fields, on top of the static front."""
    cells = front_cells(card.burden_ratio is not None)
    out.line(
        "certificate_number",
        f"No.{card.certificate_number}",
        RIGHT - 20 * mm,
        TITLE_BASELINE,
        20 * mm,
        4.6,
        3.5,
        align="right",
    )

    def value(field: str, shown: str, size: float, min_size: float) -> None:
        cell = cells[field]
        out.line(field, shown, cell.value_x, cell.baseline(size), cell.value_room, size, min_size)

    value("valid_until", to_wareki(card.valid_until), 8, 6)
    value("symbol", card.symbol, 7.5, 4)
    value("number", card.number, 7.5, 4)
    value("branch", card.branch, 7.5, 4)
    value("name", card.full_name, 9, 4.5)
    value("birth_date", to_wareki(card.birth_date), 6.5, 4.5)
    if card.enrolled_on is not None:
        value("enrolled_on", to_wareki(card.enrolled_on), 6.5, 4.5)
    if card.burden_ratio is not None:
        value("burden_ratio", f"{card.burden_ratio // 10}割", 7, 5)
        if card.burden_ratio_from is not None:
            value("burden_ratio_from", to_wareki(card.burden_ratio_from), 6.5, 4.5)
    value("issued_on", to_wareki(card.issued_on), 6.5, 4.5)
    cell = cells["address"]
    out.lines(
        "address",
        card.address,
        cell.value_x,
        cell.top - 0.7 * mm,
        cell.value_room,
        ((6.2, 2), (5.2, 2), (4.4, 3)),
        height=cell.height - 1.4 * mm,
    )


@functools.cache
def _styles(font: str) -> tuple[ParagraphStyle, ParagraphStyle, ParagraphStyle]:
    heading = ParagraphStyle("card-heading", fontName=font, fontSize=5.6, leading=7)
    note = ParagraphStyle(
        "card-note",
        fontName=font,
        fontSize=4.8,
        leading=6,
        leftIndent=7,
        bulletFontName=font,
        bulletFontSize=4.8,
        bulletIndent=1,
        wordWrap="CJK",
    )
    organ = ParagraphStyle("card-organ", fontName=font, fontSize=4.5, leading=5.6, wordWrap="CJK")
    return heading, note, organ


def draw_back_static(canvas: Canvas, font: str) -> None:
    """注意事項 and the 臓器提供意思表示欄: the whole back side is static."""
    heading, note, organ = _styles(font)
    width = RIGHT - LEFT
    _frame(canvas)
    top = paragraph(canvas, LEFT, HEIGHT - 2.6 * mm, width, "注意事項", heading)
    for number, item in enumerate(wording.CERTIFICATE_NOTES, start=1):
        top = paragraph(canvas, LEFT, top, width, f"<bullet>{number}.</bullet>{plain(item)}", note)
    contact = (
        f"問い合わせ先　墨田区{wording.OFFICE}　{wording.ELIGIBILITY_DESK}　"
        f"{wording.ELIGIBILITY_PHONE}"
    )
    top = paragraph(canvas, LEFT, top - 0.5, width, plain(contact), note)

    box_top = top - 1.2 * mm
    inner, inner_width = LEFT + 1.2 * mm, width - 2.4 * mm
    y = paragraph(
        canvas, inner, box_top - 0.8 * mm, inner_width, wording.ORGAN_DONATION_TITLE, heading
    )
    for text in (
        wording.ORGAN_DONATION_INTRO,
        *wording.ORGAN_DONATION_CHOICES,
        wording.ORGAN_DONATION_ORGANS,
    ):
        y = paragraph(canvas, inner, y, inner_width, plain(text), organ)
    # Drawn as lines, not paragraphs: the blanks to write in are full-width spaces, which
    # Paragraph would collapse.
    for text in wording.ORGAN_DONATION_SIGNATURES:
        y -= organ.leading + 0.3 * mm
        draw_line(
            canvas,
            inner,
            y + 0.2 * organ.fontSize,
            text,
            font=font,
            size=organ.fontSize,
            width=inner_width,
        )
    canvas.setLineWidth(0.4)
    canvas.rect(LEFT, y - 1.0 * mm, width, box_top - y + 1.0 * mm)


# --- cover sheet with the portal activation code -------------------------------------------------

COVER_TITLE = "資格確認書をお送りします"
COVER_CODE_LABEL = "利用開始コード"


def draw_cover_static(canvas: Canvas, font: str) -> None:
    """The fixed part of the cover sheet mailed in front of a card that carries a portal code."""
    _frame(canvas)
    draw_line(canvas, LEFT, TITLE_BASELINE, COVER_TITLE, font=font, size=8.5, width=RIGHT - LEFT)
    canvas.setStrokeColor(LINE)
    canvas.setLineWidth(0.4)
    canvas.rect(LEFT, HEIGHT - 28 * mm, RIGHT - LEFT, 17 * mm)
    draw_line(
        canvas, LEFT + 2 * mm, HEIGHT - 16 * mm, COVER_CODE_LABEL, font=font, size=6, width=20 * mm
    )
    paragraph(
        canvas,
        LEFT,
        HEIGHT - 30 * mm,
        RIGHT - LEFT,
        plain(wording.NOTICE_ACTIVATION),
        _cover_style(font),
    )


@functools.cache
def _cover_style(font: str) -> ParagraphStyle:
    return ParagraphStyle("cover", fontName=font, fontSize=5.6, leading=7.4, wordWrap="CJK")


def draw_cover(out: FieldWriter, card: CertificateSnapshot) -> None:
    """The person's name and the code, on top of the static cover."""
    out.line("name", f"{card.full_name}　様", LEFT + 2 * mm, HEIGHT - 9.5 * mm, 60 * mm, 6.5, 4.5)
    out.line(
        "activation_code",
        card.activation_code or "",
        LEFT + 24 * mm,
        HEIGHT - 16.4 * mm,
        RIGHT - LEFT - 26 * mm,
        11,
        7,
    )
    if card.activation_code_until is not None:
        out.line(
            "activation_code_until",
            f"有効期限　{to_wareki(card.activation_code_until)}まで",
            LEFT + 2 * mm,
            HEIGHT - 22 * mm,
            RIGHT - LEFT - 4 * mm,
            6,
            5,
        )
