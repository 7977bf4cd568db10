"""Every CSV export escapes cells that a spreadsheet would run as formulas (sumida_kokuho.csvsafe):
the batch's mailing list, the statistics, the import error report (the audit trail and the access
review are tested with their pages). The import's rejected lines are the exception: byte for byte
what was uploaded, so that they can be corrected and imported again.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from notices.batch.handover import hand_over
from notices.batch.planning import approve_run, plan_run
from notices.batch.tasks import start_run, work_inline
from sumida_kokuho import csvsafe
from sumida_kokuho.roles import Role
from tests.factories.staff import sign_in_staff, staff_in_role

FORMULA = '=HYPERLINK("http://evil.example","x")'


def unescaped_formulas(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row if csvsafe.escape_cell(cell) != cell]


# --- the mailing list of the batch hand-over -----------------------------------------------------


@pytest.fixture
def batch_dir(settings: Any, tmp_path: Any) -> Any:
    settings.BATCH_DIR = tmp_path / "batch"
    settings.BATCH_FOUR_EYES = True
    return settings.BATCH_DIR


def test_the_mailing_list_escapes_a_name_that_looks_like_a_formula(db, batch_dir):
    from tests.batch.conftest import AS_OF, PERIOD, make_population
    from tests.factories import StaffUserFactory

    due = make_population(households=1)
    head = due["notice"][0]
    head.family_name = FORMULA
    head.save()
    planner = StaffUserFactory(username="planner")
    approver = StaffUserFactory(username="approver")
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    run.refresh_from_db()
    result = hand_over(run=run, by=approver)
    text = (result.directory / "mailing.csv").read_text("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    addressees = [row[3] for row in rows[1:]]
    assert len(addressees) == 1
    assert addressees[0].startswith("'=HYPERLINK(")
    assert unescaped_formulas(rows) == []


# --- statistics ------------------------------------------------------------------------------


@pytest.fixture
def supervisor(client: Client, db: Any) -> Client:
    sign_in_staff(client, staff_in_role(Role.SUPERVISOR, username="boss"))
    return client


def test_the_statistics_csv_goes_through_the_escaping_helper(supervisor, monkeypatch):
    import notices.data_views

    seen: list[list[Any]] = []
    real = csvsafe.stream_lines

    def spy(header, rows, **kwargs):  # type: ignore[no-untyped-def]
        rows = list(rows)
        seen.extend(rows)
        return real([FORMULA, *header], [[FORMULA, *row] for row in rows], **kwargs)

    monkeypatch.setattr(notices.data_views.csvsafe, "stream_lines", spy)
    response = supervisor.get("/data/stats/age-bands.csv", {"as_of": "2026-11-26"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "'" + FORMULA
    assert unescaped_formulas(rows) == []


def test_plain_negative_numbers_stay_numbers_in_the_statistics():
    assert csvsafe.escape_row([-3, "-12", "−3"]) == ["-3", "-12", "−3"]


# --- the import's error report and rejected lines ----------------------------------------------


@pytest.fixture
def admin_staff(client: Client, db: Any) -> Client:
    sign_in_staff(client, staff_in_role(Role.ADMIN, username="importer"))
    return client


def test_the_import_error_report_escapes_a_column_named_like_a_formula(admin_staff, tmp_path):
    from notices.imports.errors import LineError
    from notices.imports.storage import ErrorReport
    from notices.models import ImportRun

    report_path = tmp_path / "errors.jsonl"
    report = ErrorReport(report_path, keep=10)
    # The column label comes from the uploaded file's header, so it is the sender's text.
    report.add([LineError(1, FORMULA, "malformed_csv"), LineError(2, "@SUM(A1)", "malformed_csv")])
    report.close()
    run = ImportRun.objects.create(
        kind="master", file_name="x.csv", sha256="", report_file=str(report_path)
    )
    response = admin_staff.get(f"/data/imports/{run.pk}/errors.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[1] for row in rows[1:]] == ["'" + FORMULA, "'@SUM(A1)"]
    assert unescaped_formulas(rows) == []


def test_the_rejected_lines_come_back_byte_for_byte(admin_staff, tmp_path):
    # Not escaped on purpose: the file is corrected and imported again, and a quote added here
    # would become part of the value (README "Personal data").
    from notices.models import ImportRun

    raw = f'header\r\n"{FORMULA.replace(chr(34), chr(34) * 2)}",x\r\n'.encode()
    path = tmp_path / "rejected-lines.csv"
    path.write_bytes(raw)
    run = ImportRun.objects.create(
        kind="master", file_name="x.csv", sha256="", rejects_file=str(path), encoding="UTF-8"
    )
    response = admin_staff.get(f"/data/imports/{run.pk}/rejected-lines.csv")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == raw
