"""On PostgreSQL the application's database role can add to and read the audit trail, but cannot
change, delete or truncate it (grants from `manage.py setup_db_roles`), and the append-only
trigger refuses it even to a role that was wrongly granted those rights.

The test creates two throwaway roles (cluster-wide, so with random names, dropped afterwards),
runs the command as the test database's owner, then opens a real connection as the application
role.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sumida_kokuho.management.commands.setup_db_roles import problems
from sumida_kokuho.models import AuditEvent

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="database roles and grants exist only on PostgreSQL (set DATABASE_URL)",
    ),
    pytest.mark.django_db(transaction=True),
]

TABLE = AuditEvent._meta.db_table


def _drop(role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is not None:
            cursor.execute(f'DROP OWNED BY "{role}"')
            cursor.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def roles() -> Iterator[tuple[str, str]]:
    suffix = secrets.token_hex(4)
    app, other = f"sumida_test_app_{suffix}", f"sumida_test_misgranted_{suffix}"
    password = secrets.token_hex(16)
    with connection.cursor() as cursor:
        for role in (app, other):
            cursor.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
    try:
        yield app, password
    finally:
        connection.close()  # end any session state before the roles go
        for role in (app, other):
            _drop(role)


def connect_as(role: str, password: str):  # type: ignore[no-untyped-def]
    import psycopg

    params = connection.get_connection_params()
    params.update(user=role, password=password)
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    return psycopg.connect(
        **{k: v for k, v in params.items() if k in {"dbname", "host", "port", "user", "password"}},
        autocommit=True,
    )


def insert_event(cursor, action: str = "view") -> int:  # type: ignore[no-untyped-def]
    cursor.execute(
        f"INSERT INTO {TABLE} (at, action, object_type, object_id, counter, detail) "
        "VALUES (now(), %s, 'eligibility.insuredperson', '1', 'honcho-1', '{}') RETURNING id",
        [action],
    )
    return cursor.fetchone()[0]


def test_the_application_role_can_insert_and_read_but_not_change_the_trail(roles):
    import psycopg

    app, password = roles
    call_command("setup_db_roles", app_role=app, stdout=io.StringIO())
    with connect_as(app, password) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == app
        event_id = insert_event(cursor)
        cursor.execute(f"SELECT action FROM {TABLE} WHERE id = %s", [event_id])
        assert cursor.fetchone()[0] == "view"
        for statement in (
            f"UPDATE {TABLE} SET action = 'forged' WHERE id = {event_id}",
            f"DELETE FROM {TABLE} WHERE id = {event_id}",
            f"TRUNCATE {TABLE}",
            f"ALTER TABLE {TABLE} DISABLE TRIGGER ALL",
            f"DROP TRIGGER {TABLE}_append_only ON {TABLE}",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                cursor.execute(statement)
        # Normal tables keep normal DML: the session table, for one.
        cursor.execute(
            "INSERT INTO django_session (session_key, session_data, expire_date) "
            "VALUES ('k', 'd', now())"
        )
        cursor.execute("UPDATE django_session SET session_data = 'e' WHERE session_key = 'k'")
        cursor.execute("DELETE FROM django_session WHERE session_key = 'k'")
    assert AuditEvent.objects.filter(pk=event_id, action="view").exists()


def test_the_command_lets_imports_check_references_set_based(roles):
    """Run by a superuser (the test database's role), the command grants SET on
    session_replication_role (ADR 0014); the role then may use the set-based path."""
    app, password = roles
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_parameter_privilege(%s, 'session_replication_role', 'SET')", [app]
        )
        assert cursor.fetchone()[0] is False
    out = io.StringIO()
    call_command("setup_db_roles", app_role=app, stdout=out)
    assert "SET on session_replication_role" in out.getvalue()
    with connect_as(app, password) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        assert cursor.fetchone()[0] is True
        cursor.execute("SET session_replication_role = replica")


def test_the_trigger_refuses_even_a_role_granted_update_and_delete(roles):
    import psycopg

    app, password = roles
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {TABLE} TO "{app}"')
    with connect_as(app, password) as conn, conn.cursor() as cursor:
        event_id = insert_event(cursor)
        for statement in (
            f"UPDATE {TABLE} SET action = 'forged' WHERE id = {event_id}",
            f"DELETE FROM {TABLE} WHERE id = {event_id}",
            f"TRUNCATE {TABLE}",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                cursor.execute(statement)
    assert AuditEvent.objects.filter(pk=event_id).exists()


def test_the_command_is_idempotent_and_check_reports_a_wrong_grant(roles):
    app, _password = roles
    with connection.cursor() as cursor:
        cursor.execute(f'GRANT UPDATE, DELETE ON {TABLE} TO "{app}"')
        assert problems(cursor, app)  # the wrong grant is seen
    with pytest.raises(CommandError, match="has UPDATE"):
        call_command("setup_db_roles", app_role=app, check=True)
    for _ in range(2):
        call_command("setup_db_roles", app_role=app, stdout=io.StringIO())
    with connection.cursor() as cursor:
        assert problems(cursor, app) == []
    call_command("setup_db_roles", app_role=app, check=True, stdout=io.StringIO())


def test_the_owner_may_still_purge():
    # The owner (here the test database's owner) keeps the right, for the retention purge the
    # ward decides and for the test runner's flush.
    with connection.cursor() as cursor:
        event_id = insert_event(cursor)
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [event_id])
        assert cursor.rowcount == 1
