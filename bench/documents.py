"""How fast the documents render: the project's renderer next to a bare ReportLab script.

    .venv/bin/python bench/documents.py            # N=200 single files, 10,000-page merged files
    .venv/bin/python bench/documents.py --quick    # N=50, 1,000 pages (a smoke run)

For each kind (card = 資格確認書, letter = 資格情報のお知らせ) it times, in this one process:
- single: one PDF file per document (N documents; a card is front and back, 2 pages);
- merged: one print file of P pages from a generator (card fronts only, as for card stock with a
  pre-printed back; letters one page each).
"The bare script" draws the same fields at the same places with the same embedded font, the
static part as a Form XObject in merged files, and nothing else: no font coverage check, no
fitting or wrapping, no review flags. The project's renderer must reach at least half its rate.
Median of --reps runs. Needs no database.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfbase import pdfmetrics  # noqa: E402
from reportlab.pdfbase.ttfonts import TTFont  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from eligibility.sumida_addresses import TOWNS  # noqa: E402
from notices.documents import (  # noqa: E402
    CertificateSnapshot,
    NoticeSnapshot,
    render,
    render_many,
    wording,
)
from notices.documents.fonts import FONT_PATHS, font_name  # noqa: E402
from sumida_kokuho.wareki import to_wareki  # noqa: E402

FAMILY = ("佐藤", "鈴木", "髙橋", "田中", "渡邉", "伊藤", "齋藤", "山本", "中村", "小林")
GIVEN = ("太郎", "花子", "一郎", "美咲", "健太", "陽菜", "大翔", "結衣", "蓮", "さくら")
CARD = (85.6 * mm, 54 * mm)


# --- input -------------------------------------------------------------------------------------


def _common(i: int) -> dict[str, object]:
    town = TOWNS[i % len(TOWNS)]
    elderly = i % 4 == 0
    birth = date(1954, 1, 1) + timedelta(days=(i * 37) % 3000) if elderly else date(1980, 5, 5)
    return {
        "insurer_number": "131078",
        "insurer_name": "墨田区",
        "symbol": "13",
        "number": str(100001 + i),
        "branch": f"{i % 5 + 1:02d}",
        "family_name": FAMILY[i % 10],
        "given_name": GIVEN[(i // 10) % 10],
        "family_name_kana": "スミダ",
        "given_name_kana": "タロウ",
        "birth_date": birth,
        "enrolled_on": date(2019, 5, 1),
        "issued_on": date(2026, 9, 20),
        "burden_ratio": 20 if elderly else None,
        "burden_ratio_from": date(2026, 8, 1) if elderly else None,
        "postal_code": town.postal_code,
        "address": town.address(1, i % 30 + 1, i % 20 + 1) + ("　メゾン墨田101" if i % 3 else ""),
    }


def certificates(n: int) -> Iterator[CertificateSnapshot]:
    for i in range(n):
        yield CertificateSnapshot(
            **_common(i),  # type: ignore[arg-type]
            certificate_number=f"C{i:07d}",
            valid_until=date(2027, 7, 31),
        )


def notices(n: int) -> Iterator[NoticeSnapshot]:
    for i in range(n):
        yield NoticeSnapshot(**_common(i), addressee_name="墨田　太郎")  # type: ignore[arg-type]


# --- the bare script ---------------------------------------------------------------------------

BARE_FONT = "BareGothic"


def _bare_font() -> None:
    path = next(p for p in FONT_PATHS if p.is_file())
    pdfmetrics.registerFont(TTFont(BARE_FONT, str(path)))


def _bare_lines(canvas: Canvas, x: float, y: float, texts: tuple[str, ...], size: float) -> None:
    canvas.setFont(BARE_FONT, size)
    for text in texts:
        for start in range(0, len(text), 44):
            canvas.drawString(x, y, text[start : start + 44])
            y -= size * 1.3


def _bare_card_static(canvas: Canvas) -> None:
    canvas.roundRect(1 * mm, 1 * mm, CARD[0] - 2 * mm, CARD[1] - 2 * mm, 2.5 * mm)
    canvas.setFont(BARE_FONT, 8.5)
    canvas.drawString(3 * mm, 48 * mm, wording.CERTIFICATE_TITLE)
    canvas.setFont(BARE_FONT, 5.2)
    labels = ("有効期限", "記号", "番号", "枝番", "氏名", "生年月日", "資格取得年月日", "住所")
    for row, label in enumerate((*labels, "交付年月日", "保険者番号", "保険者名称")):
        canvas.rect(3 * mm, (42 - row * 3.6) * mm, 14 * mm, 4 * mm)
        canvas.drawString(4 * mm, (43 - row * 3.6) * mm, label)
    canvas.setFont(BARE_FONT, 7)
    canvas.drawString(40 * mm, 6 * mm, "131078")
    canvas.drawString(18 * mm, 6 * mm, "墨田区")
    canvas.setFont(BARE_FONT, 4.6)
    canvas.drawString(3 * mm, 2.6 * mm, wording.CERTIFICATE_FRONT_NOTE)


def _bare_card_back(canvas: Canvas) -> None:
    _bare_lines(canvas, 3 * mm, 50 * mm, wording.CERTIFICATE_NOTES, 4.8)
    organ = (wording.ORGAN_DONATION_INTRO, *wording.ORGAN_DONATION_CHOICES)
    _bare_lines(canvas, 4 * mm, 25 * mm, (*organ, wording.ORGAN_DONATION_ORGANS), 4.5)


def _bare_card(canvas: Canvas, card: CertificateSnapshot) -> None:
    canvas.setFont(BARE_FONT, 4.6)
    canvas.drawRightString(82 * mm, 48 * mm, f"No.{card.certificate_number}")
    canvas.setFont(BARE_FONT, 8)
    canvas.drawString(18 * mm, 43 * mm, to_wareki(card.valid_until))
    canvas.setFont(BARE_FONT, 7.5)
    canvas.drawString(12 * mm, 39 * mm, card.symbol)
    canvas.drawString(34 * mm, 39 * mm, card.number)
    canvas.drawString(75 * mm, 39 * mm, card.branch)
    canvas.setFont(BARE_FONT, 9)
    canvas.drawString(18 * mm, 34 * mm, card.full_name)
    canvas.setFont(BARE_FONT, 6.5)
    canvas.drawString(18 * mm, 30 * mm, to_wareki(card.birth_date))
    if card.enrolled_on:
        canvas.drawString(60 * mm, 30 * mm, to_wareki(card.enrolled_on))
    canvas.setFont(BARE_FONT, 6.2)
    canvas.drawString(18 * mm, 26 * mm, card.address[:32])
    canvas.drawString(18 * mm, 23.5 * mm, card.address[32:])
    if card.burden_ratio is not None and card.burden_ratio_from is not None:
        canvas.setFont(BARE_FONT, 7)
        canvas.drawString(18 * mm, 19 * mm, f"{card.burden_ratio // 10}割")
        canvas.drawString(45 * mm, 19 * mm, to_wareki(card.burden_ratio_from))
    canvas.setFont(BARE_FONT, 6.5)
    canvas.drawString(18 * mm, 15 * mm, to_wareki(card.issued_on))


def _bare_letter_static(canvas: Canvas) -> None:
    canvas.setFont(BARE_FONT, 18)
    canvas.drawCentredString(105 * mm, 230 * mm, wording.NOTICE_TITLE)
    _bare_lines(canvas, 20 * mm, 222 * mm, (wording.NOTICE_LEAD,), 9)
    canvas.setFont(BARE_FONT, 9)
    labels = ("氏名", "生年月日", "記号", "番号", "枝番", "保険者番号", "保険者名称")
    for row, label in enumerate((*labels, "資格取得年月日", "交付年月日")):
        canvas.rect(20 * mm, (200 - row * 7) * mm, 38 * mm, 7 * mm)
        canvas.drawString(23 * mm, (202 - row * 7) * mm, label)
    texts = (
        wording.NOTICE_ALONE_HEADING,
        wording.NOTICE_ALONE,
        wording.NOTICE_CHECK_HEADING,
        wording.NOTICE_CHECK,
        *wording.NOTICE_REQUESTS,
        wording.NOTICE_ELDERLY,
    )
    _bare_lines(canvas, 20 * mm, 130 * mm, texts, 9)
    contacts = tuple(f"{subject}　{desk}" for subject, desk in wording.CONTACTS)
    _bare_lines(canvas, 24 * mm, 40 * mm, contacts, 8.5)


def _bare_letter(canvas: Canvas, letter: NoticeSnapshot) -> None:
    canvas.setFont(BARE_FONT, 11)
    canvas.drawString(25 * mm, 275 * mm, f"〒{letter.postal_code}")
    canvas.drawString(25 * mm, 268 * mm, letter.address[:26])
    canvas.drawString(25 * mm, 263 * mm, letter.address[26:])
    canvas.setFont(BARE_FONT, 14)
    canvas.drawString(25 * mm, 244 * mm, f"{letter.addressee_name}　様")
    canvas.setFont(BARE_FONT, 10)
    canvas.drawRightString(190 * mm, 279 * mm, to_wareki(letter.issued_on))
    canvas.setFont(BARE_FONT, 7.5)
    canvas.drawString(61 * mm, 206 * mm, letter.full_name_kana)
    canvas.setFont(BARE_FONT, 14)
    canvas.drawString(61 * mm, 201 * mm, letter.full_name)
    canvas.setFont(BARE_FONT, 11)
    canvas.drawString(61 * mm, 195 * mm, to_wareki(letter.birth_date))
    canvas.drawString(61 * mm, 188 * mm, letter.symbol)
    canvas.drawString(105 * mm, 188 * mm, letter.number)
    canvas.drawString(170 * mm, 188 * mm, letter.branch)
    if letter.enrolled_on:
        canvas.drawString(61 * mm, 174 * mm, to_wareki(letter.enrolled_on))
    if letter.burden_ratio is not None and letter.burden_ratio_from is not None:
        canvas.drawString(61 * mm, 167 * mm, f"{letter.burden_ratio // 10}割")
        canvas.drawString(120 * mm, 167 * mm, to_wareki(letter.burden_ratio_from))
    canvas.drawString(61 * mm, 160 * mm, to_wareki(letter.issued_on))


def bare_single_card(card: CertificateSnapshot, path: Path) -> None:
    canvas = Canvas(str(path), pagesize=CARD)
    _bare_card_static(canvas)
    _bare_card(canvas, card)
    canvas.showPage()
    _bare_card_back(canvas)
    canvas.showPage()
    canvas.save()


def bare_single_letter(letter: NoticeSnapshot, path: Path) -> None:
    canvas = Canvas(str(path), pagesize=A4)
    _bare_letter_static(canvas)
    _bare_letter(canvas, letter)
    canvas.showPage()
    canvas.save()


def bare_merged(
    items: Iterator[CertificateSnapshot] | Iterator[NoticeSnapshot], path: Path, kind: str
) -> int:
    size, static, draw = (
        (CARD, _bare_card_static, _bare_card)
        if kind == "card"
        else (A4, _bare_letter_static, _bare_letter)
    )
    canvas = Canvas(str(path), pagesize=size)
    canvas.beginForm("static")
    static(canvas)
    canvas.endForm()
    pages = 0
    for item in items:
        canvas.doForm("static")
        draw(canvas, item)  # type: ignore[arg-type]
        canvas.showPage()
        pages += 1
    canvas.save()
    return pages


# --- timing ------------------------------------------------------------------------------------


def _timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def _median_pair(
    project: Callable[[], object], bare: Callable[[], object], reps: int
) -> tuple[float, float]:
    """Median seconds of each, run alternately: load from other processes hits both alike."""
    project_times, bare_times = [], []
    for _ in range(reps):
        bare_times.append(_timed(bare))
        project_times.append(_timed(project))
    return statistics.median(project_times), statistics.median(bare_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--single", type=int, default=200, help="documents, one file each")
    parser.add_argument("--pages", type=int, default=10_000, help="pages in the merged file")
    parser.add_argument("--reps", type=int, default=3, help="runs of each; the median counts")
    parser.add_argument("--quick", action="store_true", help="--single 50 --pages 1000 --reps 1")
    args = parser.parse_args()
    if args.quick:
        args.single, args.pages, args.reps = 50, 1000, 1
    font_name()
    _bare_font()

    rows: list[tuple[str, str, int, int, float, float]] = []
    failures = []
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as folder:
        tmp = Path(folder)
        n, pages = args.single, args.pages
        cards, letters = list(certificates(n)), list(notices(n))

        def single(items: list, draw: Callable[[object, Path], object]) -> Callable[[], None]:
            def run() -> None:
                for i, item in enumerate(items):
                    draw(item, tmp / f"single-{i}.pdf")

            return run

        plans = [
            ("card", "single", n, 2 * n, single(cards, render), single(cards, bare_single_card)),
            (
                "letter",
                "single",
                n,
                n,
                single(letters, render),
                single(letters, bare_single_letter),
            ),
            (
                "card",
                "merged",
                pages,
                pages,
                lambda: render_many(certificates(pages), tmp / "m.pdf", certificate_backs=False),
                lambda: bare_merged(certificates(pages), tmp / "b.pdf", "card"),
            ),
            (
                "letter",
                "merged",
                pages,
                pages,
                lambda: render_many(notices(pages), tmp / "m.pdf"),
                lambda: bare_merged(notices(pages), tmp / "b.pdf", "letter"),
            ),
        ]
        print(
            f"{'kind':<7}{'mode':<8}{'docs':>7}{'pages':>7}"
            f"{'project p/s':>13}{'bare p/s':>10}{'ratio':>7}  ms/page (project)"
        )
        for kind, mode, docs, page_count, project, bare in plans:
            project_s, bare_s = _median_pair(project, bare, args.reps)
            ratio = bare_s / project_s
            rows.append((kind, mode, docs, page_count, page_count / project_s, page_count / bare_s))
            print(
                f"{kind:<7}{mode:<8}{docs:>7}{page_count:>7}"
                f"{page_count / project_s:>13.0f}{page_count / bare_s:>10.0f}{ratio:>7.2f}"
                f"  {1000 * project_s / page_count:.2f}",
                flush=True,
            )
            if ratio < 0.5:
                failures.append(f"{kind} {mode}: {ratio:.2f} of the bare rate")
        merged_size = (tmp / "m.pdf").stat().st_size / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"last merged file {merged_size:.1f} MB; peak RSS of this process {peak:.0f} MB")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
    for failure in failures:
        print(f"BELOW HALF THE BARE RATE: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
