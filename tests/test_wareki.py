"""和暦: formatting, parsing and the template filters."""

from __future__ import annotations

import ast
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from sumida_kokuho.wareki import (
    DateParseError,
    parse_japanese_date,
    to_wareki,
    to_wareki_en,
)

FORMATTED = [
    (date(2025, 9, 30), "令和7年9月30日"),
    (date(2019, 5, 1), "令和元年5月1日"),
    (date(2019, 4, 30), "平成31年4月30日"),
    (date(1989, 1, 8), "平成元年1月8日"),
    (date(1989, 1, 7), "昭和64年1月7日"),
    (date(1956, 4, 1), "昭和31年4月1日"),
    (date(1926, 12, 25), "昭和元年12月25日"),  # shared with 大正15年: the new era wins
    (date(1926, 12, 24), "大正15年12月24日"),
    (date(1912, 7, 30), "大正元年7月30日"),  # shared with 明治45年: the new era wins
    (date(1912, 7, 29), "明治45年7月29日"),
    (date(1873, 1, 1), "明治6年1月1日"),
    (date(2100, 12, 31), "令和82年12月31日"),
]


@pytest.mark.parametrize(("day", "expected"), FORMATTED)
def test_to_wareki_writes_era_year_without_padding(day: date, expected: str) -> None:
    assert to_wareki(day) == expected


def test_to_wareki_with_seireki_appends_the_gregorian_year() -> None:
    assert to_wareki(date(2025, 9, 30), seireki=True) == "令和7年9月30日（2025年）"
    assert to_wareki(date(2019, 5, 1), seireki=True) == "令和元年5月1日（2019年）"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 9, 30), "30 September 2025 (Reiwa 7)"),
        (date(2019, 5, 1), "1 May 2019 (Reiwa 1)"),
        (date(1989, 1, 7), "7 January 1989 (Showa 64)"),
        (date(1912, 7, 30), "30 July 1912 (Taisho 1)"),
    ],
)
def test_to_wareki_en_puts_the_gregorian_date_first(day: date, expected: str) -> None:
    assert to_wareki_en(day) == expected


def test_dates_before_the_gregorian_calendar_are_refused() -> None:
    with pytest.raises(ValueError, match="1873"):
        to_wareki(date(1872, 12, 31))


def test_a_datetime_must_be_converted_to_a_local_date_first() -> None:
    with pytest.raises(TypeError, match="localdate"):
        to_wareki(datetime(2025, 9, 30, 12, tzinfo=ZoneInfo("Asia/Tokyo")))


PARSED = [
    ("1956-04-01", date(1956, 4, 1)),
    ("1956/4/1", date(1956, 4, 1)),
    ("1956.4.1", date(1956, 4, 1)),
    ("1956年4月1日", date(1956, 4, 1)),
    ("S31.4.1", date(1956, 4, 1)),
    ("s31.4.1", date(1956, 4, 1)),
    ("S31/04/01", date(1956, 4, 1)),
    ("昭和31年4月1日", date(1956, 4, 1)),
    ("昭和 31年 4月 1日", date(1956, 4, 1)),
    ("R7.9.30", date(2025, 9, 30)),
    ("令和元年5月1日", date(2019, 5, 1)),
    ("R元.5.1", date(2019, 5, 1)),
    ("H31.4.30", date(2019, 4, 30)),
    ("平成元年1月8日", date(1989, 1, 8)),
    ("昭和64年1月7日", date(1989, 1, 7)),
    ("Ｓ３１．４．１", date(1956, 4, 1)),  # full width
    ("１９５６－０４－０１", date(1956, 4, 1)),
    ("令和７年９月３０日", date(2025, 9, 30)),
    ("令和7年9月30日（2025年）", date(2025, 9, 30)),  # as to_wareki(seireki=True) writes it
    ("  R7.9.30 ", date(2025, 9, 30)),
    # On the shared days both eras are historically right, so both spellings are read.
    ("大正元年7月30日", date(1912, 7, 30)),
    ("明治45年7月30日", date(1912, 7, 30)),
    ("昭和元年12月25日", date(1926, 12, 25)),
    ("大正15年12月25日", date(1926, 12, 25)),
]


@pytest.mark.parametrize(("text", "expected"), PARSED)
def test_parse_japanese_date_reads_western_and_era_forms(text: str, expected: date) -> None:
    assert parse_japanese_date(text) == expected


REFUSED = [
    ("2025-02-30", "no_such_day", "February 2025 has days 1 to 28"),
    ("2024-02-30", "no_such_day", "February 2024 has days 1 to 29"),
    ("R7.2.29", "no_such_day", "February 2025"),
    ("2025-13-01", "no_such_day", "no month 13"),
    ("X31.4.1", "unknown_era", "Unknown era 'X'"),
    ("天保3年1月1日", "unknown_era", "Unknown era '天保'"),
    ("平成32年1月1日", "outside_era", "平成 era"),
    ("平成31年5月1日", "outside_era", "2019-04-30"),  # 令和 began that day
    ("昭和64年1月8日", "outside_era", "1989-01-07"),
    ("令和元年4月30日", "outside_era", "2019-05-01"),
    ("昭和0年1月1日", "outside_era", "start at 1"),
    ("明治5年1月1日", "before_gregorian", "1873"),
    ("令和7年9月30日（2024年）", "inconsistent", "not 2024"),
    ("yesterday", "unreadable", "S31.4.1"),
    ("", "empty", "No date"),
]


@pytest.mark.parametrize(("text", "code", "message"), REFUSED)
def test_parse_japanese_date_names_the_problem(text: str, code: str, message: str) -> None:
    with pytest.raises(DateParseError, match=message) as excinfo:
        parse_japanese_date(text)
    assert excinfo.value.code == code
    assert isinstance(excinfo.value, ValueError)


@given(st.dates(min_value=date(1912, 7, 30), max_value=date(2100, 12, 31)))
def test_parse_reads_back_what_to_wareki_writes(day: date) -> None:
    assert parse_japanese_date(to_wareki(day)) == day
    assert parse_japanese_date(to_wareki(day, seireki=True)) == day


@given(st.dates(min_value=date(1873, 1, 1), max_value=date(2100, 12, 31)))
def test_every_date_since_1873_has_exactly_one_written_form(day: date) -> None:
    text = to_wareki(day)
    assert text.endswith(f"{day.month}月{day.day}日")
    assert parse_japanese_date(text) == day


def test_wareki_module_does_not_import_django() -> None:
    for name in ("wareki.py", "insurer.py"):
        source = Path(__file__).parent.parent / "sumida_kokuho" / name
        tree = ast.parse(source.read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not [m for m in imported if m.split(".")[0] == "django"], name


def render(template: str, language: str, **context: object) -> str:
    with translation.override(language):
        return Template(template).render(Context(context))


def test_wareki_filter_writes_japanese_era_dates_on_japanese_pages() -> None:
    day = date(2025, 9, 30)
    assert render("{{ d|wareki }}", "ja", d=day) == "令和7年9月30日"
    assert render("{{ d|wareki_seireki }}", "ja", d=day) == "令和7年9月30日（2025年）"


def test_wareki_filter_writes_readable_english_dates_on_english_pages() -> None:
    day = date(2025, 9, 30)
    assert render("{{ d|wareki }}", "en", d=day) == "30 September 2025"
    assert render("{{ d|wareki_seireki }}", "en", d=day) == "30 September 2025 (Reiwa 7)"


def test_wareki_filter_shows_instants_on_their_tokyo_day() -> None:
    # 2019-04-30 16:00 UTC is already 1 May in Tokyo, the first day of 令和.
    instant = datetime(2019, 4, 30, 16, 0, tzinfo=ZoneInfo("UTC"))
    assert render("{{ d|wareki }}", "ja", d=instant) == "令和元年5月1日"


def test_wareki_filter_leaves_empty_values_empty_and_accepts_iso_text() -> None:
    assert render("{{ d|wareki }}", "ja", d=None) == ""
    assert render("{{ d|wareki }}", "ja", d="2019-05-01") == "令和元年5月1日"
    assert render("{{ d|wareki }}", "ja", d=date(1870, 1, 1)) == "1870-01-01"
