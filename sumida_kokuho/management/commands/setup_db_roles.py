"""`manage.py setup_db_roles`: the PostgreSQL grants that make the audit trail unalterable.

Two roles (README, "Database roles"):

- the **owner** role owns the schema and the tables; `migrate` runs as it (its URL is given only
  to the migration step) and so does this command;
- the **application** role is what the web and worker processes use: normal DML on every
  table, but on the audit table only SELECT and INSERT — no UPDATE, DELETE or TRUNCATE — and it
  owns nothing, so it cannot drop the table's triggers or grant itself more.

Idempotent: run it after every `migrate` (docker-compose.yml does). Default privileges make the
owner's future tables and sequences usable by the application role; the audit table's
restriction is re-applied each run. `--create` also creates missing roles (needs CREATEROLE; the
passwords come from DB_OWNER_PASSWORD / DB_APP_PASSWORD, never from the command line).
`--check` only reports whether the application role's rights on the audit table are right,
and fails if not.
"""

from __future__ import annotations

import os
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from sumida_kokuho.models import AuditEvent

# Tables the application may add to and read, never change: the audit trail.
APPEND_ONLY_TABLES = (AuditEvent._meta.db_table,)
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def _ident(name: str) -> str:
    """A role or schema name as an SQL identifier (checked, then quoted)."""
    if not _ROLE_NAME.fullmatch(name):
        raise CommandError(f"Not a plain lower-case PostgreSQL name: {name!r}")
    return f'"{name}"'


def _create_role(cursor: Any, role: str, password: str | None) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cursor.fetchone() is not None:
        return False
    cursor.execute(f"CREATE ROLE {_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    if password:
        # ALTER ROLE takes no bind parameters; format_literal-style quoting by the server.
        cursor.execute("SELECT quote_literal(%s)", [password])
        literal = cursor.fetchone()[0]
        cursor.execute(f"ALTER ROLE {_ident(role)} PASSWORD {literal}")
    return True


def grant_statements(app: str, owner: str, schema: str, database: str) -> list[str]:
    """The statements, in order; each is idempotent."""
    quoted_database = database.replace('"', '""')
    a, o, s, d = _ident(app), _ident(owner), _ident(schema), f'"{quoted_database}"'
    statements = [
        f"GRANT CONNECT ON DATABASE {d} TO {a}",
        f"GRANT USAGE ON SCHEMA {s} TO {a}",
        f"REVOKE CREATE ON SCHEMA {s} FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA {s} FROM {a}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO {a}",
        f"GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {s} TO {a}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {a}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} "
        f"GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO {a}",
    ]
    for table in APPEND_ONLY_TABLES:
        t = f"{s}.{_ident(table)}"
        statements += [
            f"REVOKE ALL ON {t} FROM PUBLIC",
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {t} FROM {a}",
            f"GRANT SELECT, INSERT ON {t} TO {a}",
        ]
    return statements


PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")
EXPECTED = {"SELECT": True, "INSERT": True, "UPDATE": False, "DELETE": False, "TRUNCATE": False}


def audit_privileges(cursor: Any, role: str, schema: str = "public") -> dict[str, dict[str, bool]]:
    """Per append-only table, which privileges `role` holds (directly, by membership or PUBLIC)."""
    result = {}
    for table in APPEND_ONLY_TABLES:
        rights = {}
        for privilege in PRIVILEGES:
            cursor.execute(
                "SELECT has_table_privilege(%s, %s, %s)", [role, f"{schema}.{table}", privilege]
            )
            rights[privilege] = bool(cursor.fetchone()[0])
        result[table] = rights
    return result


def problems(cursor: Any, app: str, schema: str = "public") -> list[str]:
    """What is wrong with the application role for an unalterable trail (empty: all right)."""
    found = []
    cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [app])
    row = cursor.fetchone()
    if row is None:
        return [f"role {app} does not exist"]
    if row[0]:
        found.append(f"{app} is a superuser")
    for table, rights in audit_privileges(cursor, app, schema).items():
        for privilege, wanted in EXPECTED.items():
            if rights[privilege] != wanted:
                found.append(f"{app} {'lacks' if wanted else 'has'} {privilege} on {table}")
        if rights["TRIGGER"]:
            found.append(f"{app} has TRIGGER on {table}")
        cursor.execute(
            "SELECT pg_has_role(%s, c.relowner, 'MEMBER') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
            [app, schema, table],
        )
        owner = cursor.fetchone()
        if owner is not None and owner[0]:
            found.append(f"{app} owns {table} (or is a member of its owner)")
    return found


class Command(BaseCommand):
    help = (
        "Grant the application database role normal DML, but only SELECT and INSERT on the audit "
        "table. Run as the owner role after migrate. PostgreSQL only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--app-role",
            default=os.environ.get("DB_APP_ROLE", "kokuho_app"),
            help="The role the web and worker processes connect as (default: kokuho_app).",
        )
        parser.add_argument(
            "--owner-role",
            default=os.environ.get("DB_OWNER_ROLE", ""),
            help="The role that owns the tables and runs migrate (default: the current user).",
        )
        parser.add_argument("--schema", default="public")
        parser.add_argument("--database", default="default", help="Database alias.")
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create missing roles (passwords from DB_OWNER_PASSWORD / DB_APP_PASSWORD).",
        )
        parser.add_argument(
            "--check", action="store_true", help="Only check the application role; no changes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError("setup_db_roles needs PostgreSQL (SQLite has no roles).")
        app, schema = options["app_role"], options["schema"]
        _ident(app)
        with connection.cursor() as cursor:
            if not options["check"]:
                self._apply(cursor, options)
            found = problems(cursor, app, schema)
        if found:
            raise CommandError("; ".join(found))
        self.stdout.write(
            f"{app}: SELECT and INSERT only on {', '.join(APPEND_ONLY_TABLES)}; "
            "no UPDATE, DELETE or TRUNCATE."
        )

    def _apply(self, cursor: Any, options: dict[str, Any]) -> None:
        app, schema = options["app_role"], options["schema"]
        cursor.execute("SELECT current_user, current_database()")
        current, database = cursor.fetchone()
        owner = options["owner_role"] or current
        if options["create"]:
            for role, variable in ((owner, "DB_OWNER_PASSWORD"), (app, "DB_APP_PASSWORD")):
                if _create_role(cursor, role, os.environ.get(variable)):
                    self.stdout.write(f"created role {role}")
        if app == owner:
            raise CommandError("The application role must not be the owner role.")
        for statement in grant_statements(app, owner, schema, database):
            cursor.execute(statement)
        self.stdout.write(f"granted {app} its rights (owner {owner}, schema {schema})")
        self._grant_replication_role(cursor, app)

    def _grant_replication_role(self, cursor: Any, app: str) -> None:
        """Let imports check the references they write set-based (ADR 0014): SET on
        session_replication_role (PostgreSQL 15+; only a superuser may grant it). The audit
        table's triggers fire whatever that parameter says (ENABLE ALWAYS)."""
        cursor.execute(
            "SELECT current_setting('is_superuser') = 'on', "
            "current_setting('server_version_num')::int >= 150000"
        )
        superuser, recent = cursor.fetchone()
        if superuser and recent:
            cursor.execute(f"GRANT SET ON PARAMETER session_replication_role TO {_ident(app)}")
            self.stdout.write(f"granted {app} SET on session_replication_role (imports)")
        else:
            self.stdout.write(
                f"{app} may not set session_replication_role: imports check references row "
                "by row (slower; a superuser can grant it on PostgreSQL 15+, ADR 0014)"
            )
