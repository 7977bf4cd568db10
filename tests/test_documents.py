"""The PDF documents: every field printed (read back from the PDF), R-CONTENTS, 外字, print files,
the reprint command, and a rendered page that is not blank."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from eligibility.facts_builder import persons_for_assessment
from notices.documents import (
    PLACEHOLDER,
    CertificateSnapshot,
    NoticeSnapshot,
    RenderResult,
    render,
    render_many,
)
from notices.documents.builders import (
    SnapshotError,
    certificate_snapshot,
    notice_snapshot,
    snapshot_for_person,
)
from notices.documents.fonts import font_name
from notices.documents.layout import CANNOT_END, CANNOT_START, wrap
from sumida_kokuho.models import AuditEvent
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    HouseholdFactory,
    InsuredPersonFactory,
    MyNumberCardFactory,
    NoticeFactory,
    PremiumArrearsFactory,
)

MM = 72 / 25.4
ROOT = Path(__file__).resolve().parent.parent

PERSON = {
    "insurer_number": "131078",
    "insurer_name": "墨田区",
    "symbol": "13",
    "number": "100001",
    "branch": "02",
    "family_name": "髙橋",
    "given_name": "花子",
    "family_name_kana": "タカハシ",
    "given_name_kana": "ハナコ",
    "birth_date": date(1955, 6, 15),
    "enrolled_on": date(2019, 5, 1),
    "issued_on": date(2026, 8, 1),
    "postal_code": "131-0045",
    "address": "東京都墨田区押上一丁目1番2号　スカイツリーレジデンス押上1203号室",
}


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    # The tests read the command's messages in English, whatever the catalogue says in Japanese.
    # (The documents themselves are Japanese in every language.)
    with translation.override("en"):
        yield


def a_certificate(**changes: object) -> CertificateSnapshot:
    fields: dict[str, object] = {
        **PERSON,
        "certificate_number": "C0000042",
        "valid_until": date(2027, 9, 30),
        "burden_ratio": 20,
        "burden_ratio_from": date(2026, 8, 1),
    }
    return CertificateSnapshot(**{**fields, **changes})  # type: ignore[arg-type]


def a_notice(**changes: object) -> NoticeSnapshot:
    fields: dict[str, object] = {
        **PERSON,
        "addressee_name": "髙橋　一郎",
        "burden_ratio": 30,
        "burden_ratio_from": date(2026, 8, 1),
    }
    return NoticeSnapshot(**{**fields, **changes})  # type: ignore[arg-type]


def text_of(pdf: Path | bytes) -> str:
    """All the text of a PDF, lines joined (a wrapped address reads as one string)."""
    reader = PdfReader(io.BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
    return "".join(page.extract_text().replace("\n", "") for page in reader.pages)


def rendered(snapshot: CertificateSnapshot | NoticeSnapshot) -> tuple[str, RenderResult]:
    out = io.BytesIO()
    result = render(snapshot, out)
    return text_of(out.getvalue()), result


# --- 資格確認書 ---------------------------------------------------------------------------------


def test_certificate_prints_every_field_with_wareki_dates() -> None:
    text, result = rendered(a_certificate())
    for expected in (
        "国民健康保険資格確認書",
        "有効期限",
        "令和9年9月30日",  # valid_until 2027-09-30
        "記号",
        "13",
        "番号",
        "100001",
        "枝番",
        "02",
        "髙橋　花子",
        "生年月日",
        "昭和30年6月15日",
        "資格取得年月日",
        "令和元年5月1日",  # 2019-05-01: the first year is 元年
        "住所",
        "東京都墨田区押上一丁目1番2号　スカイツリーレジデンス押上1203号室",
        "負担割合",
        "2割",
        "発効期日",
        "令和8年8月1日",
        "交付年月日",
        "保険者番号",
        "131078",
        "保険者名称",
        "墨田区",
        "No.C0000042",
    ):
        assert expected in text, expected
    assert not result.needs_review
    assert (result.documents, result.pages) == (1, 2)


def test_certificate_back_carries_the_notes_and_the_organ_donation_panel() -> None:
    text, _ = rendered(a_certificate())
    for expected in (
        "医療機関等で受診する際は、この資格確認書を窓口で提示してください。",
        "有効期限が過ぎたら使用できません。",
        "14日以内に届け出て、この資格確認書を返却してください。",
        "臓器提供意思表示欄",
        "私は、臓器を提供しません。",
        "03-5608-6121～2",
    ):
        assert expected in text, expected


def test_certificate_under_70_prints_no_ratio() -> None:
    """R-CONTENTS: 負担割合 is printed for 70–74 only; the row is not there at all under 70."""
    text, _ = rendered(
        a_certificate(birth_date=date(1980, 5, 5), burden_ratio=None, burden_ratio_from=None)
    )
    assert "負担割合" not in text
    assert "発効期日" not in text
    assert "割" not in text.replace("役割", "")
    assert "昭和55年5月5日" in text


def test_special_medical_expenses_marks_the_title() -> None:
    """R-ARREARS: 資格確認書（特別療養費） / 資格情報のお知らせ（特別療養費）."""
    card_text, _ = rendered(a_certificate(special_medical_expenses=True))
    assert "資格確認書（特別療養費）" in card_text
    letter_text, _ = rendered(a_notice(special_medical_expenses=True))
    assert "資格情報のお知らせ（特別療養費）" in letter_text
    assert "特別療養費の支給を申請" in letter_text
    plain_text, _ = rendered(a_certificate())
    assert "特別療養費" not in plain_text


def test_card_and_letter_page_sizes() -> None:
    card, letter = io.BytesIO(), io.BytesIO()
    render(a_certificate(), card)
    render(a_notice(), letter)
    for page in PdfReader(card).pages:
        assert float(page.mediabox.width) == pytest.approx(85.6 * MM, abs=0.01)
        assert float(page.mediabox.height) == pytest.approx(54 * MM, abs=0.01)
    (page,) = PdfReader(letter).pages
    assert float(page.mediabox.width) == pytest.approx(210 * MM, abs=0.01)
    assert float(page.mediabox.height) == pytest.approx(297 * MM, abs=0.01)


# --- 資格情報のお知らせ -------------------------------------------------------------------------


def test_notice_prints_every_field_and_the_explanations() -> None:
    text, result = rendered(
        a_notice(activation_code="K7QF-2MXP-9RTA", activation_code_until=date(2026, 8, 31))
    )
    for expected in (
        "資格情報のお知らせ",
        "〒131-0045",
        "東京都墨田区押上一丁目1番2号　スカイツリーレジデンス押上1203号室",
        "髙橋　一郎　様",  # the householder, for the window envelope
        "タカハシ　ハナコ",
        "髙橋　花子",
        "昭和30年6月15日",
        "記号",
        "13",
        "100001",
        "枝番",
        "02",
        "保険者番号",
        "131078",
        "墨田区",
        "令和元年5月1日",
        "負担割合",
        "3割",
        "令和8年8月1日",
        "交付年月日",
        "利用開始コード",
        "K7QF-2MXP-9RTA",
        "有効期限　令和8年8月31日まで",
        # It cannot be used alone; show it with the card where the reader cannot read it.
        "このお知らせのみでは、医療機関・薬局で受診できません",
        "マイナ保険証と一緒に提示する",
        "カードリーダーでマイナ保険証を読み取れない場合",
        # How to check the registration, and the contacts of the leaflet.
        "マイナポータルにログインし、「登録状況の確認」",
        "こくほ資格係　03-5608-6121～2",
        "こくほ保険料係　03-5608-6125～8",
        "こくほ給付係　03-5608-6123～4",
        "こくほ庶務係　03-5608-6120",
        "0120-95-0178",
        "KOKUHONENKIN@city.sumida.lg.jp",
    ):
        assert expected in text, expected
    assert (result.documents, result.pages) == (1, 1)


def test_notice_under_70_prints_no_ratio_and_no_code_unless_given() -> None:
    text, _ = rendered(
        a_notice(birth_date=date(1988, 2, 29), burden_ratio=None, burden_ratio_from=None)
    )
    assert "負担割合" not in text
    assert "発効期日" not in text
    assert "70歳から74歳" not in text
    assert "利用開始コード" not in text
    assert "昭和63年2月29日" in text


# --- 外字 and fitting ---------------------------------------------------------------------------


def test_outer_characters_print_a_placeholder_and_flag_the_document() -> None:
    # U+E000: private use (a legacy 外字 code); U+20BB7 𠮷: CJK Extension B, not in IPAex.
    text, result = rendered(a_certificate(family_name="\ue000田", given_name="\U00020bb7子"))
    assert f"{PLACEHOLDER}田　{PLACEHOLDER}子" in text
    assert result.needs_review
    assert result.outer_characters == ("\ue000", "\U00020bb7")
    assert {(f.field, f.reason) for f in result.flags} == {("name", "outer_character")}
    assert result.flags[0].insured_number == "13-100001-02"
    assert "U+20BB7" in str(result.flags[0])


def test_variation_selectors_and_control_characters_never_crash() -> None:
    # 葛 with an ideographic variation selector (U+E0100), a newline inside an address.
    text, result = rendered(
        a_notice(family_name="葛\U000e0100西", address="東京都墨田区向島一丁目2番3号\nコーポ向島")
    )
    assert "葛西" in text
    assert "東京都墨田区向島一丁目2番3号 コーポ向島" in text
    assert [(f.field, f.reason) for f in result.flags] == [("name", "variation_selector")]


def test_a_name_too_long_for_the_card_is_squeezed_and_flagged() -> None:
    # 45 characters: even at the smallest size it is wider than the field.
    text, result = rendered(a_certificate(given_name="寿限無" * 15))
    assert "寿限無" * 15 in text
    assert [(f.field, f.reason) for f in result.flags] == [("name", "does_not_fit")]


def test_japanese_line_breaking_keeps_kinsoku() -> None:
    font = font_name()
    lines = wrap(
        "国民健康保険に加入した方は、14日以内に届け出てください。「資格確認書」", font, 9, 9 * 13
    )
    assert (
        "".join(lines) == "国民健康保険に加入した方は、14日以内に届け出てください。「資格確認書」"
    )
    assert all(line[0] not in CANNOT_START for line in lines[1:])
    assert all(line[-1] not in CANNOT_END for line in lines[:-1])
    assert not any(line.startswith("4日") for line in lines)  # 14 is not split


def test_a_line_never_starts_with_a_comma_after_a_dropped_space() -> None:
    font = font_name()
    width = 9 * 4 + 1
    lines = wrap("あいうえ 、かきくけこ", font, 9, width)
    assert all(line[0] not in CANNOT_START for line in lines[1:])
    assert "".join(lines).replace(" ", "") == "あいうえ、かきくけこ"


@settings(deadline=None)  # the first example registers the font
@given(st.text(alphabet="あいう漢字カナ、。」）「（ー12", max_size=60))
def test_wrapping_never_loses_text_or_breaks_kinsoku(text: str) -> None:
    lines = wrap(text, font_name(), 10, 10 * 5)
    assert "".join(lines) == text
    assert all(line[0] not in CANNOT_START for line in lines[1:] if line)
    assert all(line[-1] not in CANNOT_END for line in lines[:-1] if line)


# --- print files --------------------------------------------------------------------------------


def test_render_many_writes_one_page_per_notice_from_a_generator(tmp_path: Path) -> None:
    def letters(n: int) -> Iterator[NoticeSnapshot]:
        for i in range(n):
            yield a_notice(number=str(200001 + i))

    out = tmp_path / "letters.pdf"
    result = render_many(letters(7), out)
    assert (result.documents, result.pages) == (7, 7)
    reader = PdfReader(out)
    assert len(reader.pages) == 7
    assert "200007" in reader.pages[6].extract_text()
    assert out.stat().st_mode & 0o077 == 0  # personal data: the owner only


def test_render_many_cards_with_and_without_backs(tmp_path: Path) -> None:
    cards = [a_certificate(certificate_number=f"C{i:07d}") for i in range(3)]
    assert render_many(iter(cards), tmp_path / "duplex.pdf").pages == 6
    assert len(PdfReader(tmp_path / "duplex.pdf").pages) == 6
    fronts = render_many(iter(cards), tmp_path / "fronts.pdf", certificate_backs=False)
    assert fronts.pages == 3
    assert len(PdfReader(tmp_path / "fronts.pdf").pages) == 3


def test_render_many_reports_which_documents_need_review(tmp_path: Path) -> None:
    snapshots = [a_notice(), a_notice(given_name="\ue001"), a_certificate()]
    result = render_many(snapshots, tmp_path / "mixed.pdf")
    assert result.documents_to_review == (1,)
    assert result.pages == 4


def test_an_empty_print_file_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="No documents"):
        render_many(iter([]), tmp_path / "empty.pdf")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_half_way_leaves_no_file(tmp_path: Path) -> None:
    def broken() -> Iterator[NoticeSnapshot]:
        yield a_notice()
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        render_many(broken(), tmp_path / "half.pdf")
    assert list(tmp_path.iterdir()) == []


def test_fonts_are_embedded_and_metadata_names_no_person() -> None:
    out = io.BytesIO()
    render_many([a_certificate(), a_notice()], out)
    reader = PdfReader(out)
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        assert fonts
        for font in fonts.values():
            descriptor = font.get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor  # an embedded TrueType subset
            assert "IPAexGothic" in font.get_object()["/BaseFont"]
    metadata = reader.metadata
    assert metadata is not None
    assert metadata.title == "資格確認書・資格情報のお知らせ"
    assert metadata.author == "墨田区"
    everything = " ".join(str(value) for value in metadata.values())
    for personal in ("髙橋", "花子", "100001", "押上", "1955", "昭和30"):
        assert personal not in everything


def _dark_pixels(pgm: bytes) -> tuple[int, int]:
    """(dark pixels, all pixels) of a binary PGM (P5) image as pdftoppm -gray writes it."""
    fields: list[bytes] = []
    position = 0
    while len(fields) < 4:
        while pgm[position : position + 1].isspace():
            position += 1
        if pgm[position : position + 1] == b"#":
            position = pgm.index(b"\n", position) + 1
            continue
        end = position
        while not pgm[end : end + 1].isspace():
            end += 1
        fields.append(pgm[position:end])
        position = end
    assert fields[0] == b"P5", fields[0]
    width, height, maximum = (int(f) for f in fields[1:])
    assert maximum < 256
    pixels = pgm[position + 1 : position + 1 + width * height]
    assert len(pixels) == width * height
    return sum(1 for value in pixels if value < 128), width * height


@pytest.mark.parametrize("kind", ["certificate", "notice"])
def test_a_rendered_page_is_not_blank(tmp_path: Path, kind: str) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed; scripts/test.sh installs it")
    pdf = tmp_path / "doc.pdf"
    render(a_certificate() if kind == "certificate" else a_notice(), pdf)
    subprocess.run(
        [pdftoppm, "-gray", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(pdf)],
        check=True,
        timeout=60,
    )
    dark, total = _dark_pixels(pdf.with_suffix(".pdf.pgm").read_bytes())
    # Text and rules: clearly something, clearly not a black page.
    assert 0.01 < dark / total < 0.4, (dark, total)


def test_the_renderer_imports_no_django() -> None:
    code = (
        "import sys, notices.documents, notices.documents.render; "
        "print(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


# --- snapshots of stored records ----------------------------------------------------------------

ELDERLY_BIRTH = date(1955, 6, 15)  # reaches 70 on 2025-06-14; 70–74 rates from 2025-07-01


@pytest.fixture
def elderly_person(db: None):  # type: ignore[no-untyped-def]
    person = InsuredPersonFactory(
        birth_date=ELDERLY_BIRTH, family_name="墨田", given_name="太郎", branch="01"
    )
    EnrolmentFactory(person=person, enrolled_on=date(2019, 5, 1))
    return person


def test_certificate_snapshot_reads_the_certificate_and_the_person(elderly_person) -> None:  # type: ignore[no-untyped-def]
    certificate = CertificateFactory(
        person=elderly_person,
        number="C1234567",
        issued_on=date(2026, 8, 1),
        valid_until=date(2027, 7, 31),
        burden_ratio=20,
        special_medical_expenses=True,
    )
    snap = certificate_snapshot(certificate)
    household = elderly_person.household
    assert snap.insured_number == f"{household.symbol}-{household.number}-01"
    assert (snap.family_name, snap.given_name) == ("墨田", "太郎")
    assert snap.enrolled_on == date(2019, 5, 1)
    assert snap.valid_until == date(2027, 7, 31)
    assert (snap.burden_ratio, snap.burden_ratio_from) == (20, date(2026, 8, 1))
    assert snap.special_medical_expenses
    assert (snap.insurer_number, snap.insurer_name) == ("131078", "墨田区")
    assert (snap.postal_code, snap.address) == (household.postal_code, household.address)


def test_a_ratio_stored_on_an_under_70_certificate_is_not_printed(db: None) -> None:
    person = InsuredPersonFactory(birth_date=date(1985, 1, 20))
    EnrolmentFactory(person=person)
    certificate = CertificateFactory(person=person, burden_ratio=30)
    assert certificate_snapshot(certificate).burden_ratio is None


def test_turning_70_certificate_shows_the_ratio_from_the_first_70_74_day(db: None) -> None:
    """R-AGE70: born 1956-10-15, reaches 70 on 2026-10-14, 2割 from 2026-11-01."""
    person = InsuredPersonFactory(birth_date=date(1956, 10, 15))
    EnrolmentFactory(person=person)
    certificate = CertificateFactory(
        person=person,
        issued_on=date(2026, 10, 20),
        valid_until=date(2027, 7, 31),
        burden_ratio=20,
    )
    assert certificate_snapshot(certificate).burden_ratio_from == date(2026, 11, 1)


def test_notice_snapshot_is_addressed_to_the_householder_and_marked_by_the_rules(
    elderly_person,  # type: ignore[no-untyped-def]
) -> None:
    household = elderly_person.household
    spouse = InsuredPersonFactory(
        household=household, birth_date=date(1955, 12, 3), given_name="花子", branch="02"
    )
    EnrolmentFactory(person=spouse)
    # Unpaid for more than a year on the issue day: 特別療養費 (R-ARREARS).
    PremiumArrearsFactory(household=household, since=date(2025, 4, 30))
    notice = NoticeFactory(person=spouse, issued_on=date(2026, 9, 1), burden_ratio=20)
    snap = notice_snapshot(notice)
    assert snap.addressee_name == "墨田\u3000太郎"
    assert snap.given_name == "花子"
    assert snap.special_medical_expenses
    assert (snap.burden_ratio, snap.burden_ratio_from) == (20, date(2026, 8, 1))


def test_snapshot_for_person_without_a_notice_asks_the_rules_for_the_ratio(
    elderly_person,  # type: ignore[no-untyped-def]
) -> None:
    MyNumberCardFactory(person=elderly_person)
    snap = snapshot_for_person(elderly_person, "notice", date(2026, 9, 20))
    assert isinstance(snap, NoticeSnapshot)
    assert snap.issued_on == date(2026, 9, 20)
    assert (snap.burden_ratio, snap.burden_ratio_from) == (20, date(2026, 8, 1))
    assert not snap.special_medical_expenses


def test_snapshot_for_person_in_the_month_of_turning_70_shows_the_coming_ratio(
    db: None,
) -> None:
    person = InsuredPersonFactory(birth_date=date(1956, 10, 15))
    EnrolmentFactory(person=person)
    snap = snapshot_for_person(person, "notice", date(2026, 10, 22))
    assert (snap.burden_ratio, snap.burden_ratio_from) == (20, date(2026, 11, 1))
    under_70 = snapshot_for_person(person, "notice", date(2026, 9, 22))
    assert under_70.burden_ratio is None


def test_snapshot_for_person_refuses_without_a_certificate_in_force(elderly_person) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SnapshotError, match="no eligibility certificate"):
        snapshot_for_person(elderly_person, "certificate", date(2026, 9, 20))
    CertificateFactory(
        person=elderly_person, issued_on=date(2025, 9, 1), valid_until=date(2026, 7, 31)
    )
    with pytest.raises(SnapshotError, match="expired"):
        snapshot_for_person(elderly_person, "certificate", date(2026, 9, 20))


def test_the_latest_notice_is_reprinted(elderly_person) -> None:  # type: ignore[no-untyped-def]
    NoticeFactory(person=elderly_person, issued_on=date(2025, 9, 1))
    NoticeFactory(person=elderly_person, issued_on=date(2026, 7, 20), burden_ratio=20)
    snap = snapshot_for_person(elderly_person, "notice", date(2026, 9, 20))
    assert snap.issued_on == date(2026, 7, 20)
    # Mailed in July for the 1 August redetermination (R-RATIO).
    assert snap.burden_ratio_from == date(2026, 8, 1)


def test_builders_need_no_queries_for_prefetched_persons(
    elderly_person,  # type: ignore[no-untyped-def]
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    spouse = InsuredPersonFactory(household=elderly_person.household, branch="02")
    EnrolmentFactory(person=spouse)
    CertificateFactory(person=spouse, issued_on=date(2026, 4, 1), valid_until=date(2027, 9, 30))
    NoticeFactory(person=elderly_person, issued_on=date(2026, 7, 20), burden_ratio=20)
    persons = list(persons_for_assessment().select_related("household__householder"))
    with django_assert_num_queries(0):
        for person in persons:
            kind = "certificate" if person.branch == "02" else "notice"
            snap = snapshot_for_person(person, kind, date(2026, 9, 20))
            assert snap.family_name == person.family_name


# --- the reprint command ------------------------------------------------------------------------


def test_render_document_writes_the_certificate_of_a_stored_person(
    elderly_person,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    CertificateFactory(
        person=elderly_person,
        issued_on=date(2026, 8, 1),
        valid_until=date(2027, 7, 31),
        burden_ratio=20,
    )
    out = tmp_path / "card.pdf"
    stdout = io.StringIO()
    insured_number = elderly_person.insured_number
    call_command(
        "render_document",
        insured_number,
        "--kind",
        "certificate",
        "--out",
        str(out),
        "--as-of",
        "R8.9.20",
        stdout=stdout,
    )
    assert "2 pages" in stdout.getvalue()
    text = text_of(out)
    assert "墨田　太郎" in text
    assert "令和9年7月31日" in text
    assert "2割" in text
    event = AuditEvent.objects.get(action="print")
    assert event.person_id == elderly_person.pk
    assert event.detail["kind"] == "certificate"


def test_render_document_takes_full_width_input_and_writes_a_notice(
    elderly_person,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    household = elderly_person.household
    full_width = f"{household.symbol}－{household.number}－01".translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789"}
    )
    out = tmp_path / "letter.pdf"
    call_command(
        "render_document", full_width, "--kind", "notice", "--out", str(out), stdout=io.StringIO()
    )
    assert "資格情報のお知らせ" in text_of(out)


def test_render_document_refuses_an_unknown_insured_number(db: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No insured person"):
        call_command(
            "render_document",
            "13-999999-01",
            "--kind",
            "certificate",
            "--out",
            str(tmp_path / "x.pdf"),
        )
    with pytest.raises(CommandError, match="symbol-number-branch"):
        call_command(
            "render_document", "13/999999", "--kind", "notice", "--out", str(tmp_path / "x.pdf")
        )
    assert list(tmp_path.iterdir()) == []


def test_render_document_refuses_a_person_without_a_certificate(
    elderly_person,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    out = tmp_path / "card.pdf"
    with pytest.raises(CommandError, match="no eligibility certificate in force"):
        call_command(
            "render_document",
            elderly_person.insured_number,
            "--kind",
            "certificate",
            "--out",
            str(out),
        )
    assert not out.exists()
    # The look-up is in the audit trail even though nothing was printed.
    assert AuditEvent.objects.filter(action="print", person_id=elderly_person.pk).exists()


def test_render_document_reports_outer_characters(db: None, tmp_path: Path) -> None:
    household = HouseholdFactory()
    person = InsuredPersonFactory(household=household, family_name="\U00020bb7田", branch="01")
    EnrolmentFactory(person=person)
    CertificateFactory(person=person, issued_on=date(2026, 4, 1), valid_until=date(2027, 9, 30))
    stderr = io.StringIO()
    call_command(
        "render_document",
        person.insured_number,
        "--kind",
        "certificate",
        "--out",
        str(tmp_path / "card.pdf"),
        "--as-of",
        "2026-09-20",
        stdout=io.StringIO(),
        stderr=stderr,
    )
    assert "U+20BB7" in stderr.getvalue()
    assert PLACEHOLDER in text_of(tmp_path / "card.pdf")


def test_snapshots_can_be_changed_with_replace() -> None:
    # Frozen, so a batch derives variants (e.g. the householder's envelope) without mutation.
    snap = a_notice()
    assert replace(snap, activation_code="X").activation_code == "X"
    with pytest.raises(ValueError, match="burden_ratio"):
        a_notice(burden_ratio=25)
