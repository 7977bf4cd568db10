"""Personal data: the My Number check digit, free text that refuses a My Number, CSV cells that
cannot run as formulas."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from cards.models import CertificateApplication
from eligibility.counter.forms import ApplicationForm as CounterApplicationForm
from eligibility.counter.forms import RejectForm
from eligibility.portal.forms import ApplicationForm as PortalApplicationForm
from notices.imports.reading import looks_like_my_number
from sumida_kokuho import csvsafe
from sumida_kokuho.mynumber import (
    check_digit,
    contains_my_number,
    is_my_number,
    redact_my_numbers,
)

# --- the check digit -------------------------------------------------------------------------

# Worked by hand from the ordinance's formula (P counted from the right, Q = 2…7 then 2…6):
# 12345678901 → Σ = 212, 212 mod 11 = 3, 11 − 3 = 8.   11111111111 → Σ = 47, mod 11 = 3 → 8.
# 00000000000 → Σ = 0 → remainder 0 → 0.   00000000001 → P1 = 1, Q1 = 2 → 2 → 11 − 2 = 9.
# 00000000010 → P2 = 1, Q2 = 3 → 3 → 8.    10000000000 → P11 = 1, Q11 = 6 → 6 → 5.
# 00000000005 → 10 → 11 − 10 = 1.           00000000060 → 6·3 = 18 → 7 → 4.
# 50000000000 → 5·6 = 30 → 8 → 3.          00000000000 with P7 = 1 (00001000000) → Q7 = 2 → 9.
KNOWN = [
    ("12345678901", 8),
    ("11111111111", 8),
    ("00000000000", 0),
    ("00000000001", 9),
    ("00000000010", 8),
    ("10000000000", 5),
    ("00000000005", 1),
    ("00000000060", 4),
    ("50000000000", 3),
    ("00001000000", 9),
]


@pytest.mark.parametrize(("first_eleven", "digit"), KNOWN)
def test_the_check_digit_follows_the_ordinance(first_eleven, digit):
    assert check_digit(first_eleven) == digit
    assert is_my_number(first_eleven + str(digit))
    # Every other last digit is refused: one number in ten is taken for a My Number.
    for other in set(range(10)) - {digit}:
        assert not is_my_number(first_eleven + str(other))


def test_remainder_one_also_gives_zero():
    # 00000000006 → P1 = 6, Q1 = 2 → 12 → remainder 1 → check digit 0 (not 10).
    assert check_digit("00000000006") == 0


@pytest.mark.parametrize(
    "bad", ["1234567890", "123456789012", "1234567890a", "１２３４５６７８９０１"]
)
def test_check_digit_needs_eleven_ascii_digits(bad):
    with pytest.raises(ValueError):
        check_digit(bad)


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_exactly_one_of_ten_endings_is_valid(first_eleven):
    valid = [d for d in range(10) if is_my_number(first_eleven + str(d))]
    assert valid == [check_digit(first_eleven)]


@pytest.mark.parametrize(
    "written",
    [
        "123456789018",
        "1234 5678 9018",
        "1234-5678-9018",
        "１２３４５６７８９０１８",
        "１２３４－５６７８－９０１８",
        " 123456789018 ",
    ],
)
def test_the_ways_people_write_one(written):
    assert is_my_number(written)
    assert contains_my_number(f"番号は{written}です")
    assert "9018" not in redact_my_numbers(f"番号は{written}です")


@pytest.mark.parametrize(
    "text",
    [
        "123456789012",  # wrong check digit
        "1234567890181",  # 13 digits: part of a longer number
        "0123456789018",  # 13 digits
        "12345678901",  # 11 digits
        "9300-000001-01",  # an insured number
        "03-5608-1111",  # a telephone number
        "",
    ],
)
def test_what_is_not_a_my_number(text):
    assert not contains_my_number(text)
    assert redact_my_numbers(text) == text


def test_the_import_uses_the_same_check():
    assert looks_like_my_number("123456789018")
    assert not looks_like_my_number("123456789012")
    assert looks_like_my_number("１２３４ ５６７８ ９０１８")


# --- free text refuses a My Number -------------------------------------------------------------


FORMS = [
    (
        CounterApplicationForm,
        {"reason": CertificateApplication.Reason.choices[0][0]},
        "detail",
    ),
    (RejectForm, {}, "reason"),
    (PortalApplicationForm, {"reason": CertificateApplication.Reason.choices[0][0]}, "detail"),
]


@pytest.mark.parametrize(("form_class", "data", "field"), FORMS)
def test_free_text_with_a_my_number_is_refused_in_both_languages(form_class, data, field):
    text = "本人の個人番号は 1234 5678 9018 です"
    for language, words in (("ja", "マイナンバー"), ("en", "My Number")):
        with translation.override(language):
            form = form_class({**data, field: text})
            assert not form.is_valid()
            assert any(words in error for error in form.errors[field])


@pytest.mark.parametrize(("form_class", "data", "field"), FORMS)
def test_free_text_with_other_numbers_is_accepted(form_class, data, field):
    # The same digits with a wrong check digit, and a telephone number: not My Numbers.
    form = form_class({**data, field: "電話 03-5608-1111、番号 123456789012"})
    assert form.is_valid(), form.errors


# --- CSV cells ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+81 3 5608", "'+81 3 5608"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("＝1+1", "'＝1+1"),
        ("＠A1", "'＠A1"),
        ("-12", "-12"),  # a plain number stays a number
        ("-3.5", "-3.5"),
        ("墨田区", "墨田区"),
        ("a=b", "a=b"),
        (None, ""),
        (7, "7"),
    ],
)
def test_escape_cell(value, cell):
    assert csvsafe.escape_cell(value) == cell


def test_stream_lines_escape_the_header_and_every_row():
    text = "".join(csvsafe.stream_lines(["=head", "ok"], [["=HYPERLINK(1)", "-x"], ["1", "2"]]))
    assert text.startswith(csvsafe.BOM)
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [["'=head", "ok"], ["'=HYPERLINK(1)", "'-x"], ["1", "2"]]


def test_safe_writer_escapes_what_it_writes():
    out = io.StringIO()
    writer = csvsafe.SafeWriter(out, lineterminator="\n")
    writer.writerows([["@cmd", "墨田"]])
    assert out.getvalue() == "'@cmd,墨田\n"


# --- the audit trail holds no My Number --------------------------------------------------------


@pytest.mark.django_db
def test_a_my_number_in_an_audit_detail_is_redacted():
    from sumida_kokuho.audit import record

    event = record(
        actor=None,
        action="search",
        detail={
            "query": "1234 5678 9018",
            "ids": [1, 2],
            "nested": {"note": "no 123456789018"},
            "sha256": "ab123456789018cd",  # a file's checksum is kept as it is
        },
    )
    event.refresh_from_db()
    assert event.detail == {
        "query": "[redacted]",
        "ids": [1, 2],
        "nested": {"note": "no [redacted]"},
        "sha256": "ab123456789018cd",
    }
