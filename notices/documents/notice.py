"""資格情報のお知らせ: an A4 letter, folded in three for a 長形3号 window envelope.

The address block sits where the window of a standard 長3 window envelope is (docs/adr/0005):
the window is assumed 23 mm from the left and 13 mm from the top of the envelope, 90 × 45 mm; the
block is drawn from 25 mm left and 17 mm top, 80 × 38 mm, inside it with room for the sheet to
move a few millimetres. Nothing but 〒, address and addressee is printed there: the insurance
numbers stay inside the envelope.
"""

from __future__ import annotations

import functools
from datetime import date

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
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
    draw_lines,
    paragraph,
    plain,
    table_cells,
)
from notices.documents.snapshots import NoticeSnapshot
from sumida_kokuho.wareki import to_wareki

WIDTH, HEIGHT = A4
PAGE_SIZE = A4
LEFT, RIGHT = 20 * mm, WIDTH - 20 * mm

# The address block (inside the envelope window) and the panels of the tri-fold.
ADDRESS_LEFT, ADDRESS_TOP = 25 * mm, HEIGHT - 17 * mm
ADDRESS_WIDTH, ADDRESS_HEIGHT = 80 * mm, 38 * mm
FOLDS_FROM_TOP = (99 * mm, 198 * mm)

SENDER_LEFT = 125 * mm
TITLE_BASELINE = HEIGHT - 67 * mm
TABLE_TOP = HEIGHT - 88 * mm
# The activation code goes under the sender, in the part of the top panel the window does not show.
ACTIVATION_TOP = HEIGHT - 39 * mm
# The static text must end above the contacts.
CONTACTS_TOP = HEIGHT - 252 * mm
CONTACTS_HEIGHT = 36 * mm
SHADE = Color(0.9, 0.9, 0.9)
PALE = Color(0.96, 0.96, 0.96)
LINE = Color(0.35, 0.35, 0.35)

_ROWS: tuple[Row, ...] = (
    (10.5 * mm, (("name", "氏名", 38 * mm, None),)),
    (7 * mm, (("birth_date", "生年月日", 38 * mm, None),)),
    (
        7 * mm,
        (
            ("symbol", "記号", 38 * mm, 28 * mm),
            ("number", "番号", 16 * mm, 46 * mm),
            ("branch", "枝番", 16 * mm, None),
        ),
    ),
    (
        7 * mm,
        (
            ("insurer_number", "保険者番号", 38 * mm, 28 * mm),
            ("insurer_name", "保険者名称", 26 * mm, None),
        ),
    ),
    (7 * mm, (("enrolled_on", "資格取得年月日", 38 * mm, None),)),
    (
        7 * mm,
        (
            ("burden_ratio", "負担割合", 38 * mm, 28 * mm),
            ("burden_ratio_from", "発効期日", 26 * mm, None),
        ),
    ),
    (7 * mm, (("issued_on", "交付年月日", 38 * mm, None),)),
)


@functools.cache
def table(elderly: bool) -> dict[str, Cell]:
    return table_cells(
        _ROWS,
        left=LEFT,
        right=RIGHT,
        top=TABLE_TOP,
        padding=3 * mm,
        leave_out=frozenset() if elderly else frozenset({"burden_ratio"}),
    )


def title(special: bool) -> str:
    return wording.NOTICE_TITLE + (wording.SPECIAL_SUFFIX if special else "")


class _Styles:
    def __init__(self, font: str) -> None:
        self.body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
        self.heading = ParagraphStyle("heading", parent=self.body, fontSize=10.5, leading=14)
        self.bullet = ParagraphStyle(
            "bullet",
            parent=self.body,
            leftIndent=11,
            bulletFontName=font,
            bulletFontSize=9,
            bulletIndent=1,
        )
        self.small = ParagraphStyle("small", parent=self.body, fontSize=8, leading=11.5)


@functools.cache
def _styles(font: str) -> _Styles:
    return _Styles(font)


def _corner_marks(canvas: Canvas) -> None:
    """Thin corner marks around the address block, so it can be checked against the window."""
    canvas.setStrokeColor(LINE)
    canvas.setLineWidth(0.3)
    size = 3 * mm
    left, right = ADDRESS_LEFT - 2 * mm, ADDRESS_LEFT + ADDRESS_WIDTH + 2 * mm
    top, bottom = ADDRESS_TOP + 2 * mm, ADDRESS_TOP - ADDRESS_HEIGHT - 2 * mm
    for x, y, dx, dy in (
        (left, top, 1, -1),
        (right, top, -1, -1),
        (left, bottom, 1, 1),
        (right, bottom, -1, 1),
    ):
        canvas.line(x, y, x + dx * size, y)
        canvas.line(x, y, x, y + dy * size)
    for from_top in FOLDS_FROM_TOP:
        canvas.line(5 * mm, HEIGHT - from_top, 9 * mm, HEIGHT - from_top)


def draw_static(
    canvas: Canvas,
    font: str,
    *,
    special: bool,
    elderly: bool,
    insurer_number: str,
    insurer_name: str,
) -> None:
    """Everything but the person's fields, for one variant of the letter."""
    styles = _styles(font)
    width = RIGHT - LEFT
    _corner_marks(canvas)

    sender = (
        f"{plain(insurer_name)}{wording.OFFICE}<br/>"
        f"{wording.ELIGIBILITY_DESK}　{wording.ELIGIBILITY_PHONE}<br/>"
        f"{wording.OFFICE_ADDRESS}"
    )
    paragraph(canvas, SENDER_LEFT, HEIGHT - 20 * mm, RIGHT - SENDER_LEFT, sender, styles.small)

    draw_line(
        canvas,
        LEFT,
        TITLE_BASELINE,
        title(special),
        font=font,
        size=18,
        width=width,
        min_size=12,
        align="center",
    )
    paragraph(canvas, LEFT, TITLE_BASELINE - 4 * mm, width, wording.NOTICE_LEAD, styles.body)

    cells = table(elderly)
    draw_grid(canvas, cells, font=font, label_size=9, shade=SHADE, line_width=0.5)
    for field, text in (("insurer_number", insurer_number), ("insurer_name", insurer_name)):
        cell = cells[field]
        draw_line(
            canvas,
            cell.value_x,
            cell.baseline(11),
            text,
            font=font,
            size=11,
            width=cell.value_room,
            min_size=7,
        )
    bottom = min(cell.bottom for cell in cells.values())

    # The one thing everybody must read, boxed.
    box_top = bottom - 4 * mm
    inner_left, inner = LEFT + 4 * mm, width - 8 * mm
    y = paragraph(
        canvas, inner_left, box_top - 2.5 * mm, inner, wording.NOTICE_ALONE_HEADING, styles.heading
    )
    y = paragraph(canvas, inner_left, y - 0.5 * mm, inner, wording.NOTICE_ALONE, styles.body)
    canvas.setStrokeColor(LINE)
    canvas.setLineWidth(0.8)
    canvas.rect(LEFT, y - 2.5 * mm, width, box_top - y + 2.5 * mm)

    y -= 5 * mm
    for heading, texts in (
        (wording.NOTICE_CHECK_HEADING, [wording.NOTICE_CHECK]),
        (
            wording.NOTICE_REQUESTS_HEADING,
            [
                *wording.NOTICE_REQUESTS,
                *([wording.NOTICE_ELDERLY] if elderly else []),
                *([wording.NOTICE_SPECIAL] if special else []),
            ],
        ),
    ):
        y = paragraph(canvas, LEFT, y - 2 * mm, width, f"■ {heading}", styles.heading)
        for text in texts:
            markup = plain(text) if len(texts) == 1 else f"<bullet>・</bullet>{plain(text)}"
            y = paragraph(
                canvas,
                LEFT,
                y - 0.5 * mm,
                width,
                markup,
                styles.body if len(texts) == 1 else styles.bullet,
            )
    if y < CONTACTS_TOP + 2 * mm:
        raise AssertionError(f"the notice text runs into the contacts ({y:.1f} pt)")

    _contacts(canvas, font, styles, insurer_name)


def _contacts(canvas: Canvas, font: str, styles: _Styles, insurer_name: str) -> None:
    """The leaflet's contacts in two columns, in a shaded box at the foot of the page."""
    top, width = CONTACTS_TOP, RIGHT - LEFT
    canvas.setFillColor(PALE)
    canvas.setStrokeColor(LINE)
    canvas.setLineWidth(0.5)
    canvas.rect(LEFT, top - CONTACTS_HEIGHT, width, CONTACTS_HEIGHT, stroke=1, fill=1)
    canvas.setFillColor(black)
    heading = (
        f"お問い合わせ先　{plain(insurer_name)}{wording.OFFICE}（区役所2階）"
        f"　{wording.OFFICE_EMAIL}"
    )
    draw_line(
        canvas,
        LEFT + 4 * mm,
        top - 6 * mm,
        heading,
        font=font,
        size=9.5,
        width=width - 8 * mm,
        min_size=7,
    )
    column = (width - 8 * mm) / 2
    for index, (subject, desk) in enumerate(wording.CONTACTS):
        x = LEFT + 4 * mm + (index % 2) * column
        y = top - 12 * mm - (index // 2) * 8 * mm
        draw_line(canvas, x, y, subject, font=font, size=7.5, width=column - 3 * mm, min_size=6)
        draw_line(
            canvas, x, y - 3.8 * mm, desk, font=font, size=9, width=column - 3 * mm, min_size=6
        )


def draw(out: FieldWriter, letter: NoticeSnapshot) -> None:
    """The addressee and the person's fields, on top of the static letter."""
    line = out.line
    line(
        "postal_code",
        f"〒{letter.postal_code}",
        ADDRESS_LEFT,
        ADDRESS_TOP - 5 * mm,
        ADDRESS_WIDTH,
        11,
    )
    out.lines(
        "address",
        letter.address,
        ADDRESS_LEFT,
        ADDRESS_TOP - 8 * mm,
        ADDRESS_WIDTH,
        ((11, 2), (10, 3), (8.5, 3)),
    )
    line(
        "addressee_name",
        f"{letter.addressee_name}　様",
        ADDRESS_LEFT,
        ADDRESS_TOP - ADDRESS_HEIGHT + 2 * mm,
        ADDRESS_WIDTH,
        14,
        8,
    )
    line(
        "issued_on",
        to_wareki(letter.issued_on),
        SENDER_LEFT,
        HEIGHT - 15 * mm,
        RIGHT - SENDER_LEFT,
        10,
        align="right",
    )

    cells = table(letter.burden_ratio is not None)

    def value(field: str, shown: str, size: float = 11, min_size: float = 6) -> None:
        cell = cells[field]
        line(field, shown, cell.value_x, cell.baseline(size), cell.value_room, size, min_size)

    name = cells["name"]
    if letter.full_name_kana:
        line(
            "name_kana",
            letter.full_name_kana,
            name.value_x,
            name.top - 3.4 * mm,
            name.value_room,
            7.5,
            5,
        )
    line("name", letter.full_name, name.value_x, name.bottom + 2.0 * mm, name.value_room, 14, 7)
    value("birth_date", to_wareki(letter.birth_date))
    value("symbol", letter.symbol)
    value("number", letter.number)
    value("branch", letter.branch)
    if letter.enrolled_on is not None:
        value("enrolled_on", to_wareki(letter.enrolled_on))
    if letter.burden_ratio is not None:
        value("burden_ratio", f"{letter.burden_ratio // 10}割", 12)
        if letter.burden_ratio_from is not None:
            value("burden_ratio_from", to_wareki(letter.burden_ratio_from))
    value("issued_on", to_wareki(letter.issued_on))
    if letter.activation_code:
        _activation(out, letter.activation_code, letter.activation_code_until)


def draw_activation_static(canvas: Canvas, font: str) -> None:
    """The box, label and note of the activation code: part of the static form of the letters
    that carry a code (`render._notice`), so each page draws only the code and its date."""
    width = RIGHT - SENDER_LEFT
    canvas.setStrokeColor(LINE)
    canvas.setLineWidth(0.5)
    canvas.rect(SENDER_LEFT, ACTIVATION_TOP - 18 * mm, width, 18 * mm)
    draw_line(
        canvas,
        SENDER_LEFT + 2 * mm,
        ACTIVATION_TOP - 5 * mm,
        "利用開始コード",
        font=font,
        size=8,
        width=22 * mm,
    )
    draw_lines(
        canvas,
        SENDER_LEFT + 2 * mm,
        ACTIVATION_TOP - 10.2 * mm,
        wording.NOTICE_ACTIVATION,
        font=font,
        width=width - 4 * mm,
        tries=((6.2, 3), (5.6, 3), (5, 4)),
    )


def _activation(out: FieldWriter, code: str, until: date | None) -> None:
    width = RIGHT - SENDER_LEFT
    out.line(
        "activation_code",
        code,
        SENDER_LEFT + 24 * mm,
        ACTIVATION_TOP - 5.4 * mm,
        width - 26 * mm,
        12,
        7,
    )
    if until is not None:
        out.line(
            "activation_code_until",
            f"有効期限　{to_wareki(until)}まで",
            SENDER_LEFT + 2 * mm,
            ACTIVATION_TOP - 9 * mm,
            width - 4 * mm,
            7,
            6,
        )
