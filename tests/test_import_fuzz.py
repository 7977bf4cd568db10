"""A fuzzer that corrupts the valid sample files in many ways: every corruption must be reported
on its line (and column, where it has one) and nothing may be committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cards.models import MyNumberCard
from eligibility.models import Enrolment, Household, InsuredPerson, LifeEvent
from notices.imports import engine
from notices.models import ImportRun

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
AS_OF = date(2026, 11, 26)
MASTER = (SAMPLES / "master.csv").read_text(encoding="utf-8").splitlines()
COLUMNS = MASTER[0].split(",")
# The master sample's households, by line index (1-based data lines): sizes 2, 3, 2, 2, 3, 1, 2.
HOUSEHOLD_OF = [line.split(",")[1] for line in MASTER[1:]]


@dataclass
class Line:
    """One line of the corrupted file and the error expected on it (None: none)."""

    data: bytes
    expect: tuple[str, str] | None = None  # (column or "", code)


def _set(text: str, column: str, value: str) -> str:
    cells = text.split(",")
    cells[COLUMNS.index(column)] = value
    return ",".join(cells)


def _bad_bytes(text: str) -> bytes:
    raw = text.encode()
    middle = len(raw) // 2
    return raw[:middle] + b"\xff\xfe" + raw[middle:]


# Each corruption: (name, function of the line's text -> bytes, expected (column, code)).
CORRUPTIONS = {
    "impossible_date": (
        lambda t: _set(t, "birth_date", "2023-02-29"),
        ("birth_date", "date_no_such_day"),
    ),
    "wrong_era": (lambda t: _set(t, "birth_date", "H31.5.1"), ("birth_date", "date_outside_era")),
    "era_date_past_end": (
        lambda t: _set(t, "enrolled_on", "昭和64年2月1日"),
        ("enrolled_on", "date_outside_era"),
    ),
    "unreadable_date": (
        lambda t: _set(t, "enrolled_on", "yesterday"),
        ("enrolled_on", "date_unreadable"),
    ),
    "unknown_era": (lambda t: _set(t, "birth_date", "X3.1.1"), ("birth_date", "date_unknown_era")),
    "bad_sex": (lambda t: _set(t, "sex", "9"), ("sex", "choice")),
    "bad_relation": (lambda t: _set(t, "relation", "cousin"), ("relation", "choice")),
    "bad_reason": (
        lambda t: _set(t, "enrolment_reason", "lottery"),
        ("enrolment_reason", "choice"),
    ),
    "empty_name": (lambda t: _set(t, "family_name", ""), ("family_name", "required")),
    "empty_birth": (lambda t: _set(t, "birth_date", " "), ("birth_date", "required")),
    "kana_in_latin": (lambda t: _set(t, "given_name_kana", "Taro"), ("given_name_kana", "kana")),
    "hiragana": (lambda t: _set(t, "family_name_kana", "すみだ"), ("family_name_kana", "kana")),
    "bad_postal": (lambda t: _set(t, "postal_code", "13O-0001"), ("postal_code", "postal_code")),
    "bad_branch": (lambda t: _set(t, "branch", "1a"), ("branch", "branch")),
    "long_address": (lambda t: _set(t, "address", "墨" * 201), ("address", "too_long")),
    "control_character": (
        lambda t: _set(t, "given_name", "太\x00郎"),
        ("given_name", "control_character"),
    ),
    "tab_in_value": (
        lambda t: _set(t, "address", "東京都\t墨田区"),
        ("address", "control_character"),
    ),
    "before_birth": (
        lambda t: _set(t, "enrolled_on", "1900-01-01"),
        ("enrolled_on", "enrolled_before_birth"),
    ),
    "born_tomorrow": (
        lambda t: _set(_set(t, "birth_date", "2026-11-27"), "enrolled_on", "2026-11-27"),
        ("birth_date", "born_in_future"),
    ),
    "reason_without_date": (
        lambda t: _set(_set(t, "withdrawn_on", ""), "withdrawal_reason", "death"),
        ("withdrawn_on", "withdrawal_reason_without_date"),
    ),
    "date_without_reason": (
        lambda t: _set(_set(t, "withdrawn_on", "2026-01-01"), "withdrawal_reason", ""),
        ("withdrawal_reason", "withdrawal_date_without_reason"),
    ),
    "missing_field": (lambda t: t.rsplit(",", 1)[0], ("", "field_count")),
    "extra_field": (lambda t: t + ",surplus", ("", "field_count")),
    "stray_quote": (lambda t: t.replace(",", ',"', 1) + ",", ("", "unclosed_quote")),
    "bad_quoting": (lambda t: t.replace(",", ',"a"b', 1), ("", "malformed_csv")),
}
BYTE_CORRUPTIONS = {
    "wrong_encoding": (_bad_bytes, ("", "wrong_encoding")),
}
MY_NUMBER = "1234 5678 9018"  # 12 digits, valid check digit
# Errors after which a line names no household (it stands alone), or names one whose first
# appearance is good.
UNKEYED = {"wrong_encoding", "malformed_csv", "unclosed_quote", "household_split"}


def _table_counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Household, InsuredPerson, Enrolment, LifeEvent))


@st.composite
def corrupted_master(draw: st.DrawFn) -> tuple[list[Line], tuple[int, str, str] | None]:
    """The master sample with 1 to 4 lines corrupted, maybe a line duplicated or moved away from
    its household, maybe a My Number; returns the lines and the My Number refusal expected."""
    lines = [Line((text + "\n").encode()) for text in MASTER]
    indexes = draw(st.lists(st.integers(1, len(MASTER) - 1), min_size=1, max_size=4, unique=True))
    names = sorted({**CORRUPTIONS, **BYTE_CORRUPTIONS})
    for index in indexes:
        name = draw(st.sampled_from(names))
        text = MASTER[index]
        if name in BYTE_CORRUPTIONS:
            corrupt, expect = BYTE_CORRUPTIONS[name]
            lines[index] = Line(corrupt(text) + b"\n", expect)
        else:
            corrupt, expect = CORRUPTIONS[name]
            lines[index] = Line((corrupt(text) + "\n").encode(), expect)
    clean = [i for i in range(1, len(MASTER)) if i not in indexes]
    structure = draw(st.sampled_from(["none", "duplicate", "move"]))
    if structure == "duplicate" and clean:
        index = draw(st.sampled_from(clean))
        lines.insert(index + 1, Line(lines[index].data, ("", "duplicate_row")))
    elif structure == "move":
        # Only a line whose household keeps another clean line where it was can be split off.
        movable = [
            i
            for i in clean
            if sum(1 for j in clean if HOUSEHOLD_OF[j - 1] == HOUSEHOLD_OF[i - 1]) >= 2
            and HOUSEHOLD_OF[i - 1] != HOUSEHOLD_OF[-1]
        ]
        if movable:
            moved = lines.pop(draw(st.sampled_from(movable)))
            lines.append(Line(moved.data, ("", "household_split")))
    refusal = None
    if draw(st.booleans()) and clean:
        index = draw(st.sampled_from([i for i in range(1, len(lines)) if lines[i].expect is None]))
        text = lines[index].data.decode()
        lines[index] = Line(_set(text.rstrip("\n"), "address", MY_NUMBER).encode() + b"\n")
        refusal = (index + 1, "address", "my_number")
    return lines, refusal


@pytest.fixture(autouse=True)
def _imports_inline(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_IMPORT_DIR = str(tmp_path / "imports")
    settings.DATA_IMPORTS_IN_BACKGROUND = False


@pytest.mark.django_db
@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    case=corrupted_master(),
    good_lines=st.booleans(),
    in_process=st.booleans() if engine._can_fork() else st.just(False),
)
def test_every_corruption_is_reported_on_its_line_and_nothing_is_committed(
    case: tuple[list[Line], tuple[int, str, str] | None],
    good_lines: bool,
    in_process: bool,
    tmp_path: Path,
) -> None:
    lines, refusal = case
    path = tmp_path / "corrupted.csv"
    path.write_bytes(b"".join(line.data for line in lines))
    before = _table_counts()
    mode = ImportRun.Mode.GOOD_LINES if good_lines else ImportRun.Mode.ALL_OR_NOTHING
    # Large files are read by a worker process: half the examples take that path, in small
    # chunks so that households straddle them.
    saved = engine.PROCESS_MIN_LINES, engine.CHUNK_LINES
    if in_process:
        engine.PROCESS_MIN_LINES, engine.CHUNK_LINES = 0, 4
    try:
        run = engine.import_file("master", path, as_of=AS_OF, mode=mode)
    finally:
        engine.PROCESS_MIN_LINES, engine.CHUNK_LINES = saved
    found = {(e["line"], e["column"], e["code"]) for e in run.errors}
    if refusal is not None:
        # A My Number refuses the file whatever the mode; the first one found is named.
        assert run.status == "rejected"
        assert found == {refusal}
        assert _table_counts() == before
        assert run.rejects_file == ""
        return
    expected = {
        (number, column, code)
        for number, line in enumerate(lines, start=1)
        if line.expect is not None
        for column, code in [line.expect]
    }
    assert expected <= found, (expected - found, found)
    if good_lines:
        assert run.status == "partial"
        rejected = Path(run.rejects_file).read_bytes()
        for number, line in enumerate(lines, start=1):
            if line.expect is not None:
                assert line.data.rstrip(b"\r\n") in rejected, number
        # Nothing of a household with a bad line is stored. (A line that cannot be read names
        # no household, and the first appearance of a split one is good.)
        bad_households = {
            line.data.split(b",")[1].decode()
            for line in lines[1:]
            if line.expect is not None and line.expect[1] not in UNKEYED
        }
        stored = set(Household.objects.filter(symbol="9300").values_list("number", flat=True))
        assert not bad_households & stored
        _forget_imported()
    else:
        assert run.status == "rejected"
        assert _table_counts() == before


def _forget_imported() -> None:
    """Remove what a good-lines run committed, so the next example starts from the same records."""
    persons = InsuredPerson.objects.filter(household__symbol="9300")
    Household.objects.filter(symbol="9300").update(householder=None)
    LifeEvent.objects.filter(person__in=persons).delete()
    Enrolment.objects.filter(person__in=persons).delete()
    persons.delete()
    Household.objects.filter(symbol="9300").delete()


MYNA = (SAMPLES / "myna_status.csv").read_text(encoding="utf-8").splitlines()
MYNA_COLUMNS = MYNA[0].split(",")


def _set_myna(text: str, column: str, value: str) -> str:
    cells = text.split(",")
    cells[MYNA_COLUMNS.index(column)] = value
    return ",".join(cells)


MYNA_CORRUPTIONS = {
    "unknown_person": (
        lambda t: _set_myna(t, "insured_number", "9300-009999-01"),
        ("insured_number", "unknown_person"),
    ),
    "bad_number": (
        lambda t: _set_myna(t, "insured_number", "9300/1/1"),
        ("insured_number", "insured_number"),
    ),
    "bad_flag": (lambda t: _set_myna(t, "registered", "maybe"), ("registered", "choice")),
    "bad_status": (lambda t: _set_myna(t, "card_status", "broken"), ("card_status", "choice")),
    "no_such_day": (
        lambda t: _set_myna(_set_myna(t, "registered", "1"), "registered_on", "R5.2.30"),
        ("registered_on", "date_no_such_day"),
    ),
    "future": (
        lambda t: _set_myna(t, "changed_on", "2027-01-01"),
        ("changed_on", "date_in_future"),
    ),
    "e_cert_wrong_era": (
        lambda t: _set_myna(t, "e_cert_valid_until", "平成32年1月1日"),
        ("e_cert_valid_until", "date_outside_era"),
    ),
    "missing_field": (lambda t: t.rsplit(",", 1)[0], ("", "field_count")),
}


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_every_corruption_of_a_status_file_is_reported_and_nothing_is_committed(
    data: st.DataObject, tmp_path: Path
) -> None:
    if not Household.objects.filter(symbol="9300").exists():
        assert engine.import_file("master", SAMPLES / "master.csv", as_of=AS_OF).created
    indexes = data.draw(
        st.lists(st.integers(1, len(MYNA) - 1), min_size=1, max_size=3, unique=True)
    )
    lines = [Line((text + "\n").encode()) for text in MYNA]
    for index in indexes:
        name = data.draw(st.sampled_from(sorted(MYNA_CORRUPTIONS)))
        corrupt, expect = MYNA_CORRUPTIONS[name]
        text = corrupt(MYNA[index])
        if name == "unknown_person":  # one unknown number per line, not duplicates of each other
            text = _set_myna(text, "insured_number", f"9300-0099{index:02d}-01")
        lines[index] = Line((text + "\n").encode(), expect)
    if data.draw(st.booleans()):
        clean = [i for i in range(1, len(lines)) if lines[i].expect is None]
        if clean:
            index = data.draw(st.sampled_from(clean))
            lines.append(Line(lines[index].data, ("", "duplicate_row")))
    path = tmp_path / "status.csv"
    path.write_bytes(b"".join(line.data for line in lines))
    cards = (MyNumberCard.objects.count(), LifeEvent.objects.count())
    run = engine.import_file("myna_status", path, as_of=AS_OF)
    found = {(e["line"], e["column"], e["code"]) for e in run.errors}
    expected = {
        (number, *line.expect) for number, line in enumerate(lines, 1) if line.expect is not None
    }
    assert run.status == "rejected"
    assert expected <= found, (expected - found, found)
    assert (MyNumberCard.objects.count(), LifeEvent.objects.count()) == cards
