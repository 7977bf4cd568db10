"""Imports of the core systems' files: the samples, every kind of bad line, atomicity, events,
the command and the data pages (notices/imports, notices/data_views, ADR 0009)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from cards.models import MyNumberCard
from eligibility.facts_builder import build_person_facts, persons_for_assessment
from eligibility.models import (
    BurdenDetermination,
    Enrolment,
    Household,
    IncomeRecord,
    InsuredPerson,
    LifeEvent,
)
from eligibility.rules.engine import assess
from notices.imports import engine
from notices.imports.reading import looks_like_my_number
from notices.models import ImportRun
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.mynumber import check_digit as my_number_check_digit
from sumida_kokuho.roles import Role
from tests.factories import CertificateFactory, PaperCardFactory
from tests.factories.staff import sign_in_staff, staff_in_role

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
AS_OF = date(2026, 11, 26)
MASTER_HEADER = (
    "symbol,number,branch,postal_code,address,householder_branch,family_name,given_name,"
    "family_name_kana,given_name_kana,birth_date,sex,relation,enrolled_on,enrolment_reason,"
    "withdrawn_on,withdrawal_reason,changed_on"
)
ADDRESS = "東京都墨田区押上一丁目1番2号"


@pytest.fixture(autouse=True)
def _imports_inline(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_IMPORT_DIR = str(tmp_path / "imports")
    settings.DATA_IMPORTS_IN_BACKGROUND = False


def write(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def person_line(
    number: str = "000001",
    branch: str = "01",
    *,
    head: str = "01",
    postal: str = "131-0045",
    address: str = ADDRESS,
    name: tuple[str, str, str, str] = ("押上", "一郎", "オシアゲ", "イチロウ"),
    born: str = "1980-04-01",
    sex: str = "1",
    relation: str | None = None,
    enrolled: str = "2020-04-01",
    reason: str = "job_loss",
    withdrawn: str = "",
    withdrawal_reason: str = "",
    changed: str = "",
) -> str:
    relation = relation or ("householder" if branch == head else "child")
    return ",".join(
        [
            "9500",
            number,
            branch,
            postal,
            address,
            head,
            *name,
            born,
            sex,
            relation,
            enrolled,
            reason,
            withdrawn,
            withdrawal_reason,
            changed,
        ]
    )


def run_master(path: Path, **kwargs: object) -> ImportRun:
    return engine.import_file("master", path, as_of=AS_OF, **kwargs)  # type: ignore[arg-type]


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Household, InsuredPerson, Enrolment, LifeEvent, MyNumberCard, IncomeRecord)
    }


def errors_of(run: ImportRun) -> set[tuple[int, str, str]]:
    return {(e["line"], e["column"], e["code"]) for e in run.errors}


# --- the samples ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_samples_import_cleanly_and_a_second_run_changes_nothing() -> None:
    first = [
        engine.import_file(kind, SAMPLES / name, as_of=AS_OF)
        for kind, name in (
            ("master", "master.csv"),
            ("myna_status", "myna_status.csv"),
            ("income", "income.csv"),
        )
    ]
    assert [run.status for run in first] == ["committed"] * 3
    assert [run.error_count for run in first] == [0, 0, 0]
    assert first[0].created == first[0].lines >= 10
    assert first[1].lines >= 10 and first[2].lines >= 10
    stored = counts()
    determinations = list(BurdenDetermination.objects.values_list("pk", "category", "decided_at"))

    again = [
        engine.import_file(kind, SAMPLES / name, as_of=AS_OF)
        for kind, name in (
            ("master", "master.csv"),
            ("master", "master_sjis.csv"),
            ("myna_status", "myna_status.csv"),
            ("income", "income.csv"),
        )
    ]
    assert [(r.status, r.created, r.updated) for r in again] == [("committed", 0, 0)] * 4
    assert [r.unchanged for r in again] == [r.lines for r in again]
    assert counts() == stored
    assert list(BurdenDetermination.objects.values_list("pk", "category", "decided_at")) == (
        determinations
    )


@pytest.mark.django_db
def test_the_samples_import_cleanly_into_the_demo_database() -> None:
    call_command(
        "seed_demo", "--as-of=2026-11-26", "--persons=80", "--no-admin",
        stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    demo = counts()
    for kind, name in (
        ("master", "master.csv"),
        ("master", "master_sjis.csv"),
        ("myna_status", "myna_status.csv"),
        ("income", "income.csv"),
    ):
        run = engine.import_file(kind, SAMPLES / name, as_of=AS_OF)
        assert (run.status, run.error_count) == ("committed", 0), (name, run.errors)
    assert counts()["InsuredPerson"] == demo["InsuredPerson"] + 15


@pytest.mark.django_db
def test_the_shift_jis_sample_is_read_as_cp932_with_japanese_headers_and_values() -> None:
    run = engine.import_file("master", SAMPLES / "master_sjis.csv", as_of=AS_OF)
    assert run.status == "committed", run.errors
    assert run.encoding == "Shift_JIS (CP932)"
    person = InsuredPerson.objects.get(household__number="000005", branch="03")
    assert (person.family_name, person.relation) == ("両国", "parent")
    period = person.enrolments.get()
    assert (period.withdrawn_on, period.withdrawal_reason) == (date(2025, 3, 5), "late_elderly")


@pytest.mark.django_db
def test_a_utf8_file_with_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (MASTER_HEADER + "\n" + person_line() + "\n").encode())
    run = run_master(path)
    assert (run.status, run.encoding, run.created) == ("committed", "UTF-8 (BOM)", 1)


# --- bad lines -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_bad_line_is_reported_with_its_line_and_column_and_nothing_is_kept(
    tmp_path: Path,
) -> None:
    lines = [
        MASTER_HEADER,
        person_line("000001"),
        person_line("000002", born="2025-02-30"),  # line 3: no such day
        person_line("000003", born="H31.5.1"),  # line 4: 平成 ended on 30 April 2019
        person_line("000004", sex="3"),  # line 5
        person_line("000005", enrolled="1979-01-01"),  # line 6: before birth
        person_line("000006")[:-1],  # line 7: one field short (the trailing comma dropped)
        person_line("000007", name=("押上", "", "オシアゲ", "いちろう")),  # line 8: two values
        person_line("000008", withdrawal_reason="death"),  # line 9: reason without a date
        person_line("000009", postal="1310"),  # line 10
    ]
    before = counts()
    run = run_master(write(tmp_path, "bad.csv", lines))
    assert run.status == "rejected"
    assert counts() == before
    assert errors_of(run) == {
        (3, "birth_date", "date_no_such_day"),
        (4, "birth_date", "date_outside_era"),
        (5, "sex", "choice"),
        (6, "enrolled_on", "enrolled_before_birth"),
        (7, "", "field_count"),
        (8, "given_name", "required"),
        (8, "given_name_kana", "kana"),
        (9, "withdrawn_on", "withdrawal_reason_without_date"),
        (10, "postal_code", "postal_code"),
    }
    assert run.error_count == 9
    assert (run.created, run.rejected) == (1, 8)  # what the good line would have done


@pytest.mark.django_db
def test_reasons_are_worded_in_the_readers_language(tmp_path: Path) -> None:
    from django.utils import translation

    from notices.imports.errors import LineError

    run = run_master(write(tmp_path, "bad.csv", [MASTER_HEADER, person_line(born="2025-02-30")]))
    error = LineError.from_json(run.errors[0])
    with translation.override("en"):
        assert error.category_label == "bad date"
        assert error.message == "There is no such day in the calendar."


@pytest.mark.django_db
def test_a_line_in_another_encoding_is_named(tmp_path: Path) -> None:
    good = (MASTER_HEADER + "\n" + person_line("000001") + "\n").encode()
    other = (person_line("000002") + "\n").encode("cp932")
    path = tmp_path / "mixed.csv"
    path.write_bytes(good + other + (person_line("000003") + "\n").encode())
    run = run_master(path)
    assert run.status == "rejected"
    assert errors_of(run) == {(3, "", "wrong_encoding")}


@pytest.mark.django_db
def test_unknown_and_missing_columns_refuse_the_file_at_line_1(tmp_path: Path) -> None:
    header = MASTER_HEADER.replace("birth_date", "born").replace(",sex", "")
    run = run_master(write(tmp_path, "header.csv", [header, person_line()]))
    assert run.status == "rejected"
    assert errors_of(run) == {
        (1, "born", "unknown_column"),
        (1, "birth_date", "missing_column"),
        (1, "sex", "missing_column"),
    }


@pytest.mark.django_db
def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    assert errors_of(run_master(path)) == {(1, "", "empty_file")}


def test_the_my_number_check_digit_follows_the_ordinance() -> None:
    # Worked example: 12345678901 -> check digit 8 (sum 5*2+... mod 11 = 3 -> 11-3 = 8).
    assert my_number_check_digit("12345678901") == 8
    assert looks_like_my_number("123456789018")
    assert looks_like_my_number("1234 5678 9018")
    assert looks_like_my_number("１２３４５６７８９０１８")
    assert not looks_like_my_number("123456789012")  # wrong check digit
    assert not looks_like_my_number("9300-000001-01")  # an insured number


@pytest.mark.django_db
def test_a_column_holding_a_my_number_refuses_the_whole_file_and_keeps_nothing(
    tmp_path: Path,
) -> None:
    lines = [
        MASTER_HEADER,
        person_line("000001"),
        person_line("000002", address="1234 5678 9018"),
        person_line("000003", born="2025-02-30"),
    ]
    before = counts()
    run = run_master(write(tmp_path, "mynumber.csv", lines), mode=ImportRun.Mode.GOOD_LINES)
    assert run.status == "rejected"
    assert errors_of(run) == {(3, "address", "my_number")}
    assert counts() == before
    assert run.rejects_file == ""
    assert "1234" not in str(run.errors) and "9018" not in str(run.errors)


@pytest.mark.django_db
def test_duplicate_rows_and_split_households_are_reported(tmp_path: Path) -> None:
    lines = [
        MASTER_HEADER,
        person_line("000001", "01"),
        person_line("000001", "02"),
        person_line("000001", "02"),  # line 4: the same person again
        person_line("000002", "01"),
        person_line("000001", "03"),  # line 6: household 1 again, apart from its lines
    ]
    run = run_master(write(tmp_path, "dups.csv", lines))
    assert run.status == "rejected"
    # Line 6 read alone also lacks its householder; what matters is that both are named.
    assert {(4, "", "duplicate_row"), (6, "", "household_split")} <= errors_of(run)
    params = {e["code"]: e["params"]["line"] for e in run.errors if "line" in e["params"]}
    assert params == {"duplicate_row": 3, "household_split": 2}


@pytest.mark.django_db
def test_household_columns_must_agree_and_the_householder_must_be_a_member(
    tmp_path: Path,
) -> None:
    lines = [
        MASTER_HEADER,
        person_line("000001", "01"),
        person_line("000001", "02", postal="131-0046"),
        person_line("000002", "01", head="03", relation="spouse"),
    ]
    run = run_master(write(tmp_path, "households.csv", lines))
    assert errors_of(run) == {
        (3, "postal_code", "household_mismatch"),
        (4, "householder_branch", "unknown_householder"),
    }


# --- changes to the records ----------------------------------------------------------------------


@pytest.fixture
def household(tmp_path: Path) -> Household:
    lines = [
        MASTER_HEADER,
        person_line("000001", "01"),
        person_line("000001", "02", name=("押上", "花子", "オシアゲ", "ハナコ"), sex="2"),
        person_line("000001", "03", born="2010-05-05", enrolled="2020-04-01"),
    ]
    assert run_master(write(tmp_path, "household.csv", lines)).status == "committed"
    return Household.objects.get(symbol="9500", number="000001")


@pytest.mark.django_db
def test_a_move_records_dated_address_change_events_for_members_insured_that_day(
    tmp_path: Path, household: Household
) -> None:
    left = household.members.get(branch="03")
    left.enrolments.update(withdrawn_on=date(2026, 3, 1), withdrawal_reason="employment")
    card = PaperCardFactory(person=household.members.get(branch="01"), issued_on=date(2024, 10, 1))
    new = "東京都墨田区京島二丁目5番1号"
    lines = [
        MASTER_HEADER,
        person_line("000001", "01", postal="131-0046", address=new, changed="R7.6.1"),
        person_line(
            "000001",
            "02",
            postal="131-0046",
            address=new,
            changed="R7.6.1",
            name=("押上", "花子", "オシアゲ", "ハナコ"),
            sex="2",
        ),
    ]
    run = run_master(write(tmp_path, "move.csv", lines))
    assert run.status == "committed", run.errors
    assert (run.updated, run.unchanged) == (1, 1)
    household.refresh_from_db()
    assert (household.postal_code, household.address) == ("131-0046", new)
    events = LifeEvent.objects.filter(kind="address_change")
    # The child had left on 2026-03-01 but was insured on 2025-06-01: three events.
    assert sorted(e.person.branch for e in events) == ["01", "02", "03"]
    assert {e.occurred_on for e in events} == {date(2025, 6, 1)}
    assert events[0].details["new"] == {"postal_code": "131-0046", "address": new}
    assert events[0].details["import_run"] == run.pk
    card.refresh_from_db()
    assert (card.invalidated_on, card.invalidated_reason) == (date(2025, 6, 1), "contents_changed")
    # The rules see the move: the paper card stopped on the day of the change.
    person = persons_for_assessment().get(pk=card.person_id)
    facts = build_person_facts(person, date(2025, 7, 1))
    assert assess(facts, date(2025, 7, 1)).proofs.paper_card.reason == "contents_changed"


@pytest.mark.django_db
def test_a_move_without_its_date_is_an_impossible_combination(
    tmp_path: Path, household: Household
) -> None:
    lines = [MASTER_HEADER, person_line("000001", "01", postal="131-0046")]
    run = run_master(write(tmp_path, "move.csv", lines))
    assert errors_of(run) == {(2, "changed_on", "changed_on_required")}


@pytest.mark.django_db
def test_a_change_dated_before_a_recorded_one_is_refused(
    tmp_path: Path, household: Household
) -> None:
    lines = [MASTER_HEADER, person_line("000001", "01", postal="131-0046", changed="2026-06-01")]
    assert run_master(write(tmp_path, "a.csv", lines)).status == "committed"
    lines = [MASTER_HEADER, person_line("000001", "01", postal="131-0041", changed="2026-05-01")]
    run = run_master(write(tmp_path, "b.csv", lines))
    assert errors_of(run) == {(2, "changed_on", "out_of_order")}


@pytest.mark.django_db
def test_a_new_householder_is_recorded_as_an_event_with_the_relations_set(
    tmp_path: Path, household: Household
) -> None:
    lines = [
        MASTER_HEADER,
        person_line(
            "000001",
            "02",
            head="02",
            name=("押上", "花子", "オシアゲ", "ハナコ"),
            sex="2",
            changed="2026-10-01",
        ),
    ]
    run = run_master(write(tmp_path, "head.csv", lines))
    assert run.status == "committed", run.errors
    household.refresh_from_db()
    assert household.householder.branch == "02"
    relations = dict(household.members.values_list("branch", "relation"))
    assert relations == {"01": "other", "02": "householder", "03": "child"}
    events = LifeEvent.objects.filter(kind="householder_change")
    assert events.count() == 3
    assert events[0].details["new_householder_id"] == household.householder_id
    assert engine.import_file("master", write(tmp_path, "again.csv", lines)).updated == 0


@pytest.mark.django_db
def test_a_withdrawal_ends_the_period_and_voids_the_certificate(
    tmp_path: Path, household: Household
) -> None:
    person = household.members.get(branch="02")
    certificate = CertificateFactory(person=person, issued_on=date(2025, 9, 1))
    lines = [
        MASTER_HEADER,
        person_line(
            "000001",
            "02",
            name=("押上", "花子", "オシアゲ", "ハナコ"),
            sex="2",
            withdrawn="2026-10-01",
            withdrawal_reason="転出",
        ),
    ]
    run = run_master(write(tmp_path, "leave.csv", lines))
    assert (run.status, run.updated) == ("committed", 1)
    period = person.enrolments.get()
    assert (period.withdrawn_on, period.withdrawal_reason) == (date(2026, 10, 1), "move_out")
    certificate.refresh_from_db()
    assert (certificate.voided_on, certificate.void_reason) == (date(2026, 10, 1), "withdrawn")


@pytest.mark.django_db
def test_a_new_period_after_a_withdrawal_is_added_and_an_overlapping_one_refused(
    tmp_path: Path, household: Household
) -> None:
    person = household.members.get(branch="01")
    person.enrolments.update(withdrawn_on=date(2024, 4, 1), withdrawal_reason="employment")
    later = [MASTER_HEADER, person_line("000001", "01", enrolled="2026-04-01")]
    assert run_master(write(tmp_path, "back.csv", later)).status == "committed"
    assert person.enrolments.count() == 2
    overlapping = [MASTER_HEADER, person_line("000001", "01", enrolled="2023-04-01")]
    run = run_master(write(tmp_path, "overlap.csv", overlapping))
    assert errors_of(run) == {(2, "enrolled_on", "overlap")}


@pytest.mark.django_db
def test_changed_names_are_updated_with_their_search_columns(
    tmp_path: Path, household: Household
) -> None:
    lines = [
        MASTER_HEADER,
        person_line("000001", "01", name=("押上", "一朗", "オシアゲ", "ｲﾁﾛｳ")),
    ]
    run = run_master(write(tmp_path, "rename.csv", lines))
    assert (run.updated, run.changes[0]["code"]) == (1, "person_changed")
    person = household.members.get(branch="01")
    assert (person.given_name, person.given_name_kana) == ("一朗", "イチロウ")
    assert person.name_search == "オシアゲイチロウ"


# --- all or nothing, or the good lines -----------------------------------------------------------


@pytest.mark.django_db
def test_commit_good_lines_imports_whole_good_households_and_returns_the_rest(
    tmp_path: Path,
) -> None:
    bad_bytes = (person_line("000003", "01") + "\n").encode("cp932")
    lines = [
        MASTER_HEADER,
        person_line("000001", "01"),
        person_line("000002", "01"),
        person_line("000002", "02", born="S99.1.1"),  # 昭和 ended in its 64th year
    ]
    path = write(tmp_path, "partial.csv", lines)
    with path.open("ab") as handle:
        handle.write(bad_bytes)
    run = run_master(path, mode=ImportRun.Mode.GOOD_LINES)
    assert (run.status, run.created, run.rejected) == ("partial", 1, 3)
    assert list(Household.objects.values_list("number", flat=True)) == ["000001"]
    assert errors_of(run) == {
        (3, "", "group_rejected"),
        (4, "birth_date", "date_outside_era"),
        (5, "", "wrong_encoding"),
    }
    rejected = Path(run.rejects_file).read_bytes().splitlines(keepends=True)
    assert rejected[0].rstrip() == MASTER_HEADER.encode()
    assert rejected[1:] == [
        (lines[2] + "\n").encode(),
        (lines[3] + "\n").encode(),
        bad_bytes,
    ]


@pytest.mark.django_db
def test_a_failure_while_writing_rolls_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "CHUNK_LINES", 2)
    kind = engine.KINDS["master"]
    applied = []
    original = type(kind).apply

    def apply_then_fail(self, plans, ctx):  # type: ignore[no-untyped-def]
        original(self, plans, ctx)
        applied.append(len(plans))
        if len(applied) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(type(kind), "apply", apply_then_fail)
    lines = [MASTER_HEADER, *(person_line(f"{n:06d}") for n in range(1, 8))]
    before = counts()
    run = run_master(write(tmp_path, "big.csv", lines))
    assert run.status == "failed"
    assert "disk full" in run.message
    assert len(applied) == 2  # two chunks were written before the failure…
    assert counts() == before  # …and rolled back with the rest


# --- My Number card status -----------------------------------------------------------------------


@pytest.fixture
def samples(db: None) -> None:
    for kind, name in (("master", "master.csv"), ("myna_status", "myna_status.csv")):
        assert engine.import_file(kind, SAMPLES / name, as_of=AS_OF).status == "committed"


MYNA_HEADER = "insured_number,registered,registered_on,card_status,e_cert_valid_until,changed_on"


def run_myna(tmp_path: Path, *lines: str) -> ImportRun:
    path = write(tmp_path, "myna.csv", [MYNA_HEADER, *lines])
    return engine.import_file("myna_status", path, as_of=AS_OF)


@pytest.mark.django_db
def test_a_cancelled_registration_is_a_dated_event_the_rules_read(
    tmp_path: Path, samples: None
) -> None:
    run = run_myna(tmp_path, "9300-000001-01,0,,valid,2028-05-10,2026-11-02")
    assert (run.status, run.updated) == ("committed", 1)
    person = InsuredPerson.objects.get(household__number="000001", branch="01")
    event = person.events.get()
    assert (event.kind, event.occurred_on) == ("myna_registration_cancelled", date(2026, 11, 2))
    assert person.myna_card.registered_on == date(2023, 5, 10)  # kept, as the service keeps it
    facts = build_person_facts(persons_for_assessment().get(pk=person.pk), AS_OF)
    assert not assess(facts, AS_OF).proofs.myna.usable
    again = run_myna(tmp_path, "9300-000001-01,0,,valid,2028-05-10,2026-11-02")
    assert (again.unchanged, person.events.count()) == (1, 1)
    # Registering again must come after the cancellation.
    early = run_myna(tmp_path, "9300-000001-01,1,2026-11-02,valid,2028-05-10,")
    assert errors_of(early) == {(2, "registered_on", "registration_not_after_cancellation")}
    later = run_myna(tmp_path, "9300-000001-01,1,2026-11-20,valid,2028-05-10,")
    assert later.updated == 1
    facts = build_person_facts(persons_for_assessment().get(pk=person.pk), AS_OF)
    assert assess(facts, AS_OF).proofs.myna.usable


@pytest.mark.django_db
def test_a_lost_card_and_its_reissue_are_events(tmp_path: Path, samples: None) -> None:
    person = InsuredPerson.objects.get(household__number="000003", branch="01")
    assert run_myna(tmp_path, "9300-000003-01,1,2022-12-01,lost,2027-11-30,2026-10-05").updated
    assert run_myna(tmp_path, "9300-000003-01,1,2022-12-01,valid,2027-11-30,2026-11-20").updated
    assert list(person.events.values_list("kind", "occurred_on")) == [
        ("myna_card_lost", date(2026, 10, 5)),
        ("myna_card_reissued", date(2026, 11, 20)),
    ]
    person.myna_card.refresh_from_db()
    assert (person.myna_card.card_status, person.myna_card.status_changed_on) == (
        "valid",
        date(2026, 11, 20),
    )


@pytest.mark.django_db
def test_myna_status_lines_that_cannot_hold(tmp_path: Path, samples: None) -> None:
    run = run_myna(
        tmp_path,
        "9300-000099-01,1,2023-01-01,valid,,",  # line 2: no such person
        "9300-000001-01,1,,valid,,",  # line 3: registered without a date
        "9300-000001-02,0,2023-01-01,valid,,",  # line 4: a date without registration
        "9300-000002-03,1,2024-01-01,,,",  # line 5: registered without a card
        "9300-000002-01,1,R5.10.2,lost,2030-03-01,",  # line 6: status change without a date
        "9300-000004-01,1,2027-01-01,valid,,",  # line 7: after today
        "9300-000006-01,1,2023-11-20,valid,2028-11-19,",
        "9300-000006-01,1,2023-11-20,valid,2028-11-19,",  # line 9: duplicate
    )
    assert errors_of(run) == {
        (2, "insured_number", "unknown_person"),
        (3, "registered_on", "registered_without_date"),
        (4, "registered_on", "date_without_registration"),
        (5, "card_status", "registered_without_card"),
        (6, "changed_on", "status_changed_on_required"),
        (7, "registered_on", "date_in_future"),
        (9, "", "duplicate_row"),
    }


# --- income ------------------------------------------------------------------------------------

INCOME_HEADER = (
    "fiscal_year,insured_number,taxable_income,old_proviso_income,income,base_income_application"
)


def run_income(tmp_path: Path, *lines: str) -> ImportRun:
    path = write(tmp_path, "income.csv", [INCOME_HEADER, *lines])
    return engine.import_file("income", path, as_of=AS_OF)


@pytest.mark.django_db
def test_income_decides_the_household_category_from_1_august(tmp_path: Path, samples: None) -> None:
    run = run_income(
        tmp_path,
        "R8,9300-000001-01,1850000,2350000,3550000,0",
        "R8,9300-000001-02,0,310000,810000,0",
    )
    assert (run.status, run.created) == ("committed", 2), run.errors
    determination = BurdenDetermination.objects.get(household__number="000001")
    assert (determination.effective_from, determination.category) == (date(2026, 8, 1), "active")
    assert determination.rule_ids == ["R-RATIO"]
    person = persons_for_assessment().get(household__number="000001", branch="02")
    assert assess(build_person_facts(person, AS_OF), AS_OF).burden_ratio == 30
    # With the application and a 収入 total under 520万円 the household is 2割 again.
    run = run_income(
        tmp_path,
        "2026,9300-000001-01,1850000,2350000,3550000,1",
        "2026,9300-000001-02,0,310000,810000,1",
    )
    assert (run.updated, run.unchanged) == (1, 1)
    determination.refresh_from_db()
    assert (determination.category, determination.base_income_application) == ("general", True)
    person = persons_for_assessment().get(pk=person.pk)
    assert assess(build_person_facts(person, AS_OF), AS_OF).burden_ratio == 20


@pytest.mark.django_db
def test_income_lines_that_cannot_hold(tmp_path: Path, samples: None) -> None:
    run = run_income(
        tmp_path,
        "R8,9300-000001-01,1850000,2350000,3550000,0",  # line 2: member 02 has no figures
        "R8,9300-000002-01,100000,200000,300000,0",  # line 3: 41 years old
        "R8,9300-000003-01,920000,1220000,2420000,1",
        "R8,9300-000003-02,0,0,790000,0",  # line 5: a different answer
        "R8,9300-000006-01,-5,2050000,2900000,0",  # line 6
        "R99,9300-000007-01,1,1,1,0",  # line 7: no such fiscal year
    )
    assert errors_of(run) == {
        (2, "insured_number", "member_without_income"),
        (3, "insured_number", "not_elderly"),
        (5, "base_income_application", "application_mismatch"),
        (6, "taxable_income", "amount"),
        (7, "fiscal_year", "fiscal_year"),
    }


# --- the run, the audit trail and the command -----------------------------------------------


@pytest.mark.django_db
def test_every_run_is_recorded_with_an_import_audit_event() -> None:
    run = engine.import_file("master", SAMPLES / "master.csv", as_of=AS_OF)
    assert run.sha256 and run.finished_at and run.lines == 15
    event = AuditEvent.objects.get(action="import")
    assert (event.object_type, event.object_id) == ("notices.importrun", str(run.pk))
    assert event.detail["status"] == "committed"
    assert event.detail["created"] == 15


@pytest.mark.django_db
def test_progress_is_reported_for_large_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "PROGRESS_EVERY", 10)
    monkeypatch.setattr(engine, "CHUNK_LINES", 10)
    lines = [MASTER_HEADER, *(person_line(f"{n:06d}") for n in range(1, 61))]
    calls: list[tuple[str, int, int]] = []
    run = run_master(write(tmp_path, "big.csv", lines), progress=lambda *a: calls.append(a))
    assert run.created == 60
    assert [c for c in calls if c[0] == "importing"][-1] == ("importing", 61, 61)
    assert len(calls) >= 6


@pytest.mark.django_db
def test_the_command_imports_and_prints_a_summary() -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import", "master", str(SAMPLES / "master.csv"), "--as-of", "R8.11.26",
        "--language", "en", stdout=out, stderr=err,
    )  # fmt: skip
    assert "created 15, updated 0, unchanged 0, rejected 0" in out.getvalue()
    assert "imported" in out.getvalue()
    assert "lines/s" in err.getvalue()


@pytest.mark.django_db
def test_the_command_lists_every_bad_line_and_fails(tmp_path: Path) -> None:
    lines = [MASTER_HEADER, person_line(born="2025-02-30"), person_line("000002", sex="x")]
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import", "master", str(write(tmp_path, "bad.csv", lines)), "--language", "en",
            "--no-progress", stdout=out,
        )  # fmt: skip
    assert "line 2 [birth_date]: bad date: There is no such day in the calendar." in out.getvalue()
    assert "line 3 [sex]: bad value: Unknown value." in out.getvalue()
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_the_command_can_commit_the_good_lines_and_write_the_rejects(tmp_path: Path) -> None:
    lines = [MASTER_HEADER, person_line("000001"), person_line("000002", sex="x")]
    rejects = tmp_path / "rejected.csv"
    call_command(
        "import", "master", str(write(tmp_path, "bad.csv", lines)), "--commit-good-lines",
        "--rejects", str(rejects), "--no-progress", stdout=io.StringIO(),
    )  # fmt: skip
    assert Household.objects.count() == 1
    assert rejects.read_text().splitlines() == [MASTER_HEADER, lines[2]]


@pytest.mark.django_db
def test_a_dry_run_checks_without_importing() -> None:
    out = io.StringIO()
    call_command(
        "import", "master", str(SAMPLES / "master.csv"), "--dry-run", "--no-progress",
        "--language", "en", stdout=out,
    )  # fmt: skip
    assert not Household.objects.exists()
    assert ImportRun.objects.get().status == "checked"


# --- the data pages ------------------------------------------------------------------------------


def upload(client: Client, path: Path, kind: str = "master") -> object:
    with path.open("rb") as handle:
        return client.post("/data/imports/", {"kind": kind, "file": handle})


@pytest.fixture
def admin_staff(client: Client) -> Client:
    sign_in_staff(client, staff_in_role(Role.ADMIN))
    return client


@pytest.mark.django_db
def test_an_administrator_uploads_previews_and_confirms_a_file(admin_staff: Client) -> None:
    response = upload(admin_staff, SAMPLES / "master.csv")
    run = ImportRun.objects.get()
    assert response["Location"] == f"/data/imports/{run.pk}/"
    assert run.status == "previewed" and Path(run.stored_file).exists()
    assert not Household.objects.exists()

    page = admin_staff.get(f"/data/imports/{run.pk}/", headers={"accept-language": "en"})
    html = page.content.decode()
    assert "Checked, waiting for confirmation" in html
    assert "New household 9300-000001." in html
    assert 'name="sha256"' in html and run.sha256 in html

    response = admin_staff.post(f"/data/imports/{run.pk}/confirm/", {"sha256": run.sha256})
    run.refresh_from_db()
    assert (run.status, run.created) == ("committed", 15)
    assert run.stored_file == ""
    assert Household.objects.filter(symbol="9300").count() == 7
    # A second confirmation is refused: the run is no longer waiting.
    admin_staff.post(f"/data/imports/{run.pk}/confirm/", {"sha256": run.sha256})
    assert ImportRun.objects.count() == 1


@pytest.mark.django_db
def test_the_preview_shows_the_errors_and_offers_the_good_lines(
    admin_staff: Client, tmp_path: Path
) -> None:
    lines = [MASTER_HEADER, person_line("000001"), person_line("000002", born="2025-02-30")]
    upload(admin_staff, write(tmp_path, "bad.csv", lines))
    run = ImportRun.objects.get()
    html = admin_staff.get(f"/data/imports/{run.pk}/", headers={"accept-language": "en"})
    assert "There is no such day in the calendar." in html.content.decode()
    assert 'name="good_lines"' in html.content.decode()
    report = admin_staff.get(f"/data/imports/{run.pk}/errors.csv")
    assert b"".join(report.streaming_content).decode().splitlines()[1].startswith("3,")

    admin_staff.post(f"/data/imports/{run.pk}/confirm/", {"sha256": run.sha256, "good_lines": "on"})
    run.refresh_from_db()
    assert (run.status, run.created, run.rejected) == ("partial", 1, 1)
    download = admin_staff.get(f"/data/imports/{run.pk}/rejected-lines.csv")
    assert b"".join(download.streaming_content).decode().splitlines()[1] == lines[2]
    assert AuditEvent.objects.filter(action="download").count() == 1


@pytest.mark.django_db
def test_a_changed_stored_file_cannot_be_confirmed(admin_staff: Client) -> None:
    upload(admin_staff, SAMPLES / "master.csv")
    run = ImportRun.objects.get()
    with open(run.stored_file, "ab") as handle:
        handle.write(b"tampered\n")
    admin_staff.post(f"/data/imports/{run.pk}/confirm/", {"sha256": run.sha256})
    run.refresh_from_db()
    assert run.status == "failed"
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_a_previewed_file_can_be_discarded(admin_staff: Client) -> None:
    upload(admin_staff, SAMPLES / "master.csv")
    run = ImportRun.objects.get()
    stored = Path(run.stored_file)
    admin_staff.post(f"/data/imports/{run.pk}/discard/")
    run.refresh_from_db()
    assert run.status == "discarded" and not stored.exists()


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_unread(admin_staff: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_IMPORT_MAX_BYTES = 100
    response = upload(admin_staff, SAMPLES / "master.csv")
    assert response.status_code == 413  # stopped while reading, at the limit
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_counter_clerks_cannot_import(client: Client) -> None:
    sign_in_staff(client, staff_in_role(Role.COUNTER))
    assert client.get("/data/imports/").status_code == 403
    assert upload(client, SAMPLES / "master.csv").status_code == 403  # type: ignore[attr-defined]
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_the_admin_lists_import_runs_with_a_link_to_the_upload_page(admin_client: Client) -> None:
    engine.import_file("master", SAMPLES / "master.csv", as_of=AS_OF)
    html = admin_client.get("/admin/notices/importrun/").content.decode()
    assert "/data/imports/" in html
    assert "master.csv" in html


def test_the_samples_are_at_least_ten_lines_and_the_sjis_one_is_cp932() -> None:
    for name in ("master.csv", "myna_status.csv", "income.csv"):
        lines = (SAMPLES / name).read_text(encoding="utf-8").splitlines()
        assert len(lines) >= 11, name
    raw = (SAMPLES / "master_sjis.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("cp932").startswith("記号,番号,枝番")


@pytest.mark.django_db
def test_an_upload_far_over_the_limit_is_refused_before_it_is_read(
    admin_staff: Client,
    settings,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    settings.DATA_IMPORT_MAX_BYTES = 1000
    big = write(
        tmp_path, "big.csv", [MASTER_HEADER] + [person_line(f"{n:06d}") for n in range(500)]
    )
    response = upload(admin_staff, big)
    assert response.status_code == 413  # type: ignore[attr-defined]
    assert not ImportRun.objects.exists()
    assert not any((tmp_path / "imports").glob("runs/*/upload.csv"))


@pytest.mark.django_db(transaction=True)
def test_a_web_import_runs_in_the_background_and_the_page_follows_it(
    admin_staff: Client,
    settings,  # type: ignore[no-untyped-def]
) -> None:

    import threading

    def wait_for_the_import_thread() -> None:
        # Joined rather than polled: the test database is an in-memory SQLite one, in which a
        # read by this thread while the import writes fails the import ("table is locked")
        # instead of waiting as a file database or PostgreSQL would.
        for thread in threading.enumerate():
            if thread.name.startswith("import-run-"):
                thread.join(timeout=10)

    settings.DATA_IMPORTS_IN_BACKGROUND = True
    upload(admin_staff, SAMPLES / "master.csv")
    wait_for_the_import_thread()
    run = ImportRun.objects.get()
    assert run.status == "previewed"
    admin_staff.post(f"/data/imports/{run.pk}/confirm/", {"sha256": run.sha256})
    wait_for_the_import_thread()
    run.refresh_from_db()
    assert (run.status, run.created) == ("committed", 15)
    assert (
        'http-equiv="refresh"' not in admin_staff.get(f"/data/imports/{run.pk}/").content.decode()
    )


@pytest.mark.django_db
def test_a_run_that_stopped_making_progress_is_shown_as_failed(admin_staff: Client) -> None:
    from datetime import timedelta

    from django.utils import timezone

    run = engine.start_run(kind="master", file_name="lost.csv", by=None)
    ImportRun.objects.filter(pk=run.pk).update(
        status="running", started_at=timezone.now() - timedelta(hours=1)
    )
    html = admin_staff.get(f"/data/imports/{run.pk}/", headers={"accept-language": "en"})
    assert "Failed: nothing imported" in html.content.decode()
    run.refresh_from_db()
    assert run.status == "failed"


@pytest.mark.django_db
def test_a_running_import_shows_its_progress_and_refreshes(admin_staff: Client) -> None:
    from notices.imports import storage

    run = engine.start_run(kind="master", file_name="big.csv", by=None)
    ImportRun.objects.filter(pk=run.pk).update(status="running")
    storage.write_progress(run.pk, "importing", 25_000, 100_000)
    html = admin_staff.get(f"/data/imports/{run.pk}/", headers={"accept-language": "en"})
    text = html.content.decode()
    assert '<meta http-equiv="refresh" content="2">' in text
    assert '<progress id="progress" max="100" value="25">' in text
    assert "25000 of 100000 lines" in text


# --- large files: read by a worker process -------------------------------------------------------


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every file is read by a forked worker process (as files of PROCESS_MIN_LINES lines or
    more are), in chunks of a few lines; the list collects one entry per process started."""
    if not engine._can_fork():
        pytest.skip("this system cannot fork a reader process")
    monkeypatch.setattr(engine, "PROCESS_MIN_LINES", 0)
    monkeypatch.setattr(engine, "CHUNK_LINES", 3)
    started: list[int] = []
    original = engine._read_in_process

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        started.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "_read_in_process", counting)
    return started


def mixed_master(tmp_path: Path) -> Path:
    """Good households, bad values, a duplicate, a split household and an undecodable line."""
    lines = [
        MASTER_HEADER,
        person_line("000001", "01"),
        person_line("000001", "02", name=("押上", "花子", "オシアゲ", "ハナコ"), sex="2"),
        person_line("000002", "01", born="2025-02-30"),
        person_line("000003", "01"),
        person_line("000003", "02"),
        person_line("000003", "02"),
        person_line("000004", "01", withdrawn="2026-10-01", withdrawal_reason="employment"),
        person_line("000005", "01"),
        person_line("000003", "03"),
        *(person_line(f"{n:06d}", "01") for n in range(6, 16)),
    ]
    path = write(tmp_path, "mixed.csv", lines)
    with path.open("ab") as handle:
        handle.write((person_line("000099", "01") + "\n").encode("cp932"))
    return path


@pytest.mark.django_db
def test_a_worker_process_reads_the_file_as_the_thread_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[int]
) -> None:
    path = mixed_master(tmp_path)
    by_process = run_master(path, dry_run=True)
    assert forked == [1]
    monkeypatch.setattr(engine, "PROCESS_MIN_LINES", 10**9)
    by_thread = run_master(path, dry_run=True)
    assert forked == [1]  # the second run read in a thread
    assert errors_of(by_process) == errors_of(by_thread)
    assert {(4, "birth_date", "date_no_such_day"), (7, "", "duplicate_row")} <= errors_of(
        by_process
    )
    assert (10, "", "household_split") in errors_of(by_process)
    assert (21, "", "wrong_encoding") in errors_of(by_process)
    for field in ("lines", "created", "updated", "unchanged", "rejected", "error_count"):
        assert getattr(by_process, field) == getattr(by_thread, field), field
    assert by_process.changes == by_thread.changes


@pytest.mark.django_db
def test_a_file_read_by_a_worker_process_is_all_or_nothing(
    tmp_path: Path, forked: list[int]
) -> None:
    before = counts()
    run = run_master(mixed_master(tmp_path))
    assert forked == [1]
    assert run.status == "rejected"
    assert counts() == before
    assert (4, "birth_date", "date_no_such_day") in errors_of(run)


@pytest.mark.django_db
def test_good_lines_read_by_a_worker_process_come_back_byte_for_byte(
    tmp_path: Path, forked: list[int]
) -> None:
    path = mixed_master(tmp_path)
    run = run_master(path, mode=ImportRun.Mode.GOOD_LINES)
    assert forked == [1, 1]  # the check pass and the writing pass
    assert run.status == "partial"
    raw = path.read_bytes().splitlines(keepends=True)
    bad = {4, 5, 6, 7, 10, 21}  # household 3 goes whole: its duplicate and split lines
    assert Path(run.rejects_file).read_bytes().splitlines(keepends=True) == [
        raw[0],
        *(raw[n - 1] for n in sorted(bad)),
    ]
    stored = set(Household.objects.filter(symbol="9500").values_list("number", flat=True))
    assert stored == {"000001", "000004", "000005", *(f"{n:06d}" for n in range(6, 16))}
    assert run.created == InsuredPerson.objects.filter(household__symbol="9500").count() == 14


@pytest.mark.django_db
def test_a_file_read_by_a_worker_process_imports_once(forked: list[int]) -> None:
    first = run_master(SAMPLES / "master.csv")
    after_first = counts()
    second = run_master(SAMPLES / "master.csv")
    assert forked == [1, 1]
    assert first.status == second.status == "committed"
    assert first.created > 0
    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
    assert counts() == after_first


@pytest.mark.django_db
def test_a_my_number_found_by_the_worker_process_refuses_the_file(
    tmp_path: Path, forked: list[int]
) -> None:
    lines = [
        MASTER_HEADER,
        *(person_line(f"{n:06d}") for n in range(1, 8)),
        person_line("000008", address="1234 5678 9018"),
    ]
    before = counts()
    run = run_master(write(tmp_path, "mynumber.csv", lines), mode=ImportRun.Mode.GOOD_LINES)
    assert forked == [1]
    assert run.status == "rejected"
    assert errors_of(run) == {(9, "address", "my_number")}
    assert counts() == before and run.rejects_file == ""


@pytest.mark.django_db
def test_a_failure_in_the_worker_process_fails_the_run_and_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[int]
) -> None:
    import multiprocessing

    kind = engine.KINDS["master"]
    original = type(kind).parser

    def failing_parser(self, header, ctx):  # type: ignore[no-untyped-def]
        parse = original(self, header, ctx)

        def parse_or_fail(fields, line):  # type: ignore[no-untyped-def]
            if line == 7:
                raise RuntimeError("disk read error")
            return parse(fields, line)

        return parse_or_fail

    monkeypatch.setattr(type(kind), "parser", failing_parser)
    lines = [MASTER_HEADER, *(person_line(f"{n:06d}") for n in range(1, 10))]
    before = counts()
    run = run_master(write(tmp_path, "failing.csv", lines))
    assert forked == [1]
    assert run.status == "failed"
    assert "disk read error" in run.message
    assert counts() == before
    assert not multiprocessing.active_children()


# --- the upload limit ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "limit"), [("en", "100\xa0bytes"), ("ja", "100\xa0バイト")])
def test_an_upload_over_the_limit_is_refused_with_the_limit_named(
    admin_staff: Client,
    settings,  # type: ignore[no-untyped-def]
    language: str,
    limit: str,
) -> None:
    settings.DATA_IMPORT_MAX_BYTES = 100
    admin_staff.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = upload(admin_staff, SAMPLES / "master.csv")
    assert response.status_code == 413  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    expected = {
        "en": f"The file is larger than the limit of {limit}.",
        "ja": f"ファイルが上限の{limit}を超えています。",
    }[language]
    assert expected in page
    assert not ImportRun.objects.exists()


@pytest.mark.django_db
def test_the_page_names_the_default_limit(admin_staff: Client, settings) -> None:  # type: ignore[no-untyped-def]
    admin_staff.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = admin_staff.get("/data/imports/").content.decode()
    assert "At most 200.0\xa0MB." in page  # filesizeformat keeps number and unit together


@pytest.mark.django_db
def test_a_large_upload_streams_to_disk_not_memory(
    admin_staff: Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from django.conf import settings as django_settings
    from django.core.files.uploadedfile import TemporaryUploadedFile

    from notices import data_views

    # With the project's settings, a file over FILE_UPLOAD_MAX_MEMORY_SIZE goes to a temporary
    # file while it arrives; the limit of imports is far above that size.
    in_memory_limit = django_settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    assert in_memory_limit <= 10 * 1024 * 1024 < engine.storage.max_upload_bytes()
    count = in_memory_limit // 150 + 100
    big = write(
        tmp_path, "big.csv", [MASTER_HEADER] + [person_line(f"{n:06d}") for n in range(count)]
    )
    assert big.stat().st_size > in_memory_limit
    seen: list[type] = []
    original = data_views._store_and_check

    def spying(request, form):  # type: ignore[no-untyped-def]
        seen.append(type(form.cleaned_data["file"]))
        return original(request, form)

    monkeypatch.setattr(data_views, "_store_and_check", spying)
    response = upload(admin_staff, big)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert seen == [TemporaryUploadedFile]


@pytest.mark.django_db
def test_a_second_import_finds_households_whose_numbers_differ_in_length(tmp_path: Path) -> None:
    """The chunk lookup bounds the numbers only when they have one length (a collation with
    numeric ordering would put "9" before "10"); either way every household is found again."""
    from notices.imports.master import _number_bounds

    assert _number_bounds(["000010", "000009"]).children == [
        ("number__gte", "000009"),
        ("number__lte", "000010"),
    ]
    assert not _number_bounds(["9", "10"]).children
    lines = [MASTER_HEADER, *(person_line(number) for number in ("9", "10", "0011", "100"))]
    first = run_master(write(tmp_path, "master.csv", lines))
    assert (first.status, first.created) == ("committed", 4)
    again = run_master(write(tmp_path, "master.csv", lines))
    assert (again.status, again.unchanged, again.created) == ("committed", 4, 0)
