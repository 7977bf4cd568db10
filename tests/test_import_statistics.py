"""The import refreshes the planner statistics of the tables it fills (PostgreSQL, ADR 0009):
after a bulk load the lookups of the next chunks must be planned from what is there now."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from django.db import connection

from eligibility.models import Household, InsuredPerson
from notices.imports import bulk, engine
from tests.test_imports import MASTER_HEADER, person_line, run_master, write

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="planner statistics are PostgreSQL's"
)


@pytest.fixture(autouse=True)
def _imports_inline(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_IMPORT_DIR = str(tmp_path / "imports")
    settings.DATA_IMPORTS_IN_BACKGROUND = False


@pytest.fixture
def small_chunks(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(engine, "CHUNK_LINES", 10)
    monkeypatch.setattr(bulk, "ANALYZE_MIN_ROWS", 5)
    monkeypatch.setattr(bulk, "ANALYZE_GROWTH", 0.0)


def symbols_in_statistics() -> list[str] | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT most_common_vals::text FROM pg_stats "
            "WHERE tablename = 'eligibility_household' AND attname = 'symbol'"
        )
        row = cursor.fetchone()
    return None if row is None or row[0] is None else row[0].strip("{}").split(",")


def households(tmp_path: Path, count: int) -> Path:
    return write(
        tmp_path,
        "master.csv",
        [MASTER_HEADER, *(person_line(f"{n:06d}") for n in range(1, count + 1))],
    )


@pytest.mark.django_db
def test_the_tables_filled_are_analysed_during_the_import(tmp_path: Path, small_chunks) -> None:  # type: ignore[no-untyped-def]
    assert "9500" not in (symbols_in_statistics() or [])
    run = run_master(households(tmp_path, 40))
    assert (run.status, run.created) == ("committed", 40)
    assert symbols_in_statistics() == ["9500"]
    assert Household.objects.count() == InsuredPerson.objects.count() == 40
    again = run_master(households(tmp_path, 40))
    assert (again.created, again.unchanged) == (0, 40)


@pytest.mark.django_db
def test_a_table_another_session_is_analysing_is_skipped_not_waited_for(
    tmp_path: Path, small_chunks
) -> None:  # type: ignore[no-untyped-def]
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    try:
        # What VACUUM or ANALYZE holds; the import must neither wait for it nor fail.
        other.execute("LOCK TABLE eligibility_household IN SHARE UPDATE EXCLUSIVE MODE")
        other.execute("SET statement_timeout = '1s'")
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '5s'")
        run = run_master(households(tmp_path, 40))
    finally:
        other.rollback()
        other.close()
    assert (run.status, run.created) == ("committed", 40)
    assert "9500" not in (symbols_in_statistics() or [])
    assert InsuredPerson.objects.count() == 40
