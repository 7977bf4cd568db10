"""Imports check the references they write set-based (ADR 0014, PostgreSQL): bulk.insert skips the
row triggers for its COPY, and check_references() finds a reference to a missing row, locks the
referenced rows that existed before (so no one can delete them before the import commits), and
the audit table's append-only triggers fire all the same."""

from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from eligibility.demo.bulk import COLUMNS
from eligibility.models import Enrolment, Household, InsuredPerson
from notices.imports import bulk
from tests.test_imports import MASTER_HEADER, person_line, run_master, write

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="session_replication_role is PostgreSQL's"
)

PERSON_COLUMNS = COLUMNS[InsuredPerson]  # the order person_row() follows


@pytest.fixture(autouse=True)
def _imports_inline(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_IMPORT_DIR = str(tmp_path / "imports")
    settings.DATA_IMPORTS_IN_BACKGROUND = False


def person_row(household_id: int, branch: str = "01") -> tuple[object, ...]:
    now = timezone.now()
    return (household_id, branch, "墨田", "太郎", "スミダ", "タロウ", date(1960, 1, 2), "1",
            "householder", False, now, now, "スミダ タロウ", "墨田 太郎")  # fmt: skip


def missing_household_id() -> int:
    return (Household.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 10_000


def connect(**changes: str) -> psycopg.Connection:
    """A second connection to the test database (autocommit), as another role if given."""
    params = connection.get_connection_params() | changes
    wanted = {"dbname", "host", "port", "user", "password"}
    return psycopg.connect(**{k: v for k, v in params.items() if k in wanted}, autocommit=True)


def pending_triggers_fire() -> None:
    """Fire the deferred reference checks queued so far (none, if the triggers were skipped)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_a_reference_to_a_missing_row_is_found_by_the_set_based_check() -> None:
    with pytest.raises(bulk.BrokenReference, match="InsuredPerson.household"):
        with transaction.atomic(), bulk.references_checked_in_bulk() as set_based:
            assert set_based  # the test database's role is a superuser
            bulk.insert(InsuredPerson, PERSON_COLUMNS, [person_row(missing_household_id())])
            pending_triggers_fire()  # nothing queued: PostgreSQL's row check was skipped
            with connection.cursor() as cursor:
                cursor.execute("SHOW session_replication_role")
                assert cursor.fetchone()[0] == "origin"  # only the COPY ran without triggers
            bulk.check_references()
    assert not InsuredPerson.objects.exists()


@pytest.mark.django_db
def test_rows_inserted_together_refer_to_each_other_without_a_lookup() -> None:
    household_id, person_id = (
        bulk.reserve_ids(Household, 1)[0],
        bulk.reserve_ids(InsuredPerson, 1)[0],
    )  # type: ignore[index]
    now = timezone.now()
    with transaction.atomic(), bulk.references_checked_in_bulk():
        bulk.insert(
            Household,
            ("id", "symbol", "number", "postal_code", "address", "householder", "created_at",
             "updated_at"),
            [(household_id, "9600", "000001", "131-0045", "押上一丁目", person_id, now, now)],
        )  # fmt: skip
        bulk.insert(
            InsuredPerson, ("id", *PERSON_COLUMNS), [(person_id, *person_row(household_id))]
        )
        bulk.insert(
            Enrolment,
            ("person", "enrolled_on", "reason", "withdrawn_on", "withdrawal_reason"),
            [(person_id, date(2020, 4, 1), "job_loss", None, "")],
        )
        bulk.check_references()
    person = InsuredPerson.objects.get(pk=person_id)
    assert person.household.householder_id == person_id
    assert person.enrolments.count() == 1


@pytest.mark.django_db
def test_with_the_setting_off_postgresql_checks_each_row(settings) -> None:
    settings.IMPORTS_BULK_REFERENCE_CHECKS = False
    with pytest.raises(IntegrityError, match="foreign key"):
        with transaction.atomic(), bulk.references_checked_in_bulk() as set_based:
            assert not set_based
            bulk.insert(InsuredPerson, PERSON_COLUMNS, [person_row(missing_household_id())])
            bulk.check_references()  # nothing pending: a no-op
            pending_triggers_fire()


@pytest.mark.django_db
@pytest.mark.parametrize("set_based", [True, False])
def test_a_master_import_gives_the_same_records_either_way(
    settings, tmp_path: Path, set_based: bool
) -> None:
    settings.IMPORTS_BULK_REFERENCE_CHECKS = set_based
    lines = [MASTER_HEADER, *(person_line(f"{n:06d}") for n in range(1, 31))]
    lines.append(person_line("000030", "02", relation="child"))
    run = run_master(write(tmp_path, "master.csv", lines))
    assert (run.status, run.created) == ("committed", 31)
    household = Household.objects.get(number="000030")
    assert household.householder is not None and household.householder.branch == "01"
    assert household.members.count() == 2
    assert Enrolment.objects.filter(person__household=household).count() == 2
    again = run_master(write(tmp_path, "master.csv", lines))
    assert (again.status, again.unchanged, again.created) == ("committed", 31, 0)


@pytest.mark.race
@pytest.mark.django_db(transaction=True)
def test_a_row_referred_to_stays_locked_until_the_import_commits() -> None:
    now = timezone.now()
    household = Household.objects.create(
        symbol="9601", number="000001", postal_code="131-0045", address="押上一丁目"
    )
    other = connect()
    try:
        with transaction.atomic(), bulk.references_checked_in_bulk():
            bulk.insert(InsuredPerson, PERSON_COLUMNS, [person_row(household.pk)])
            bulk.check_references()
            with other.cursor() as cursor:
                cursor.execute("SET lock_timeout = '300ms'")
                with pytest.raises(psycopg.errors.LockNotAvailable):
                    cursor.execute(
                        "DELETE FROM eligibility_household WHERE id = %s", [household.pk]
                    )
        assert now <= InsuredPerson.objects.get(household=household).created_at
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_the_audit_triggers_fire_in_replica_mode_too() -> None:
    """A role wrongly granted UPDATE on the trail, and allowed to set the parameter, is still
    refused: the append-only triggers are ENABLE ALWAYS."""
    role = f"sumida_test_replica_{secrets.token_hex(4)}"
    password = secrets.token_hex(16)
    table = "sumida_kokuho_auditevent"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        cursor.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO "{role}"')
        cursor.execute(f'GRANT USAGE ON SEQUENCE {table}_id_seq TO "{role}"')
        cursor.execute(f'GRANT SET ON PARAMETER session_replication_role TO "{role}"')
    try:
        with connect(user=role, password=password) as conn, conn.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(
                f"INSERT INTO {table} (at, action, object_type, object_id, counter, detail) "
                "VALUES (now(), 'view', 'eligibility.insuredperson', '1', 'honcho-1', '{}') "
                "RETURNING id"
            )
            event_id = cursor.fetchone()[0]
            for statement in (
                f"UPDATE {table} SET action = 'forged' WHERE id = {event_id}",
                f"DELETE FROM {table} WHERE id = {event_id}",
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                    cursor.execute(statement)
    finally:
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')
