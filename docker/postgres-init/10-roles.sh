#!/usr/bin/env bash
# Runs once, when the postgres container starts on an empty data volume (as the superuser).
# Creates the two roles of README "Database roles":
#   kokuho_owner  owns the database, its schema and (through migrate) every table;
#   kokuho_app    what the web and worker processes use: no ownership, and on the audit table
#                 only SELECT and INSERT (granted by `manage.py setup_db_roles` after migrate).
# Passwords come from the container's environment (DB_OWNER_PASSWORD, DB_APP_PASSWORD).
set -euo pipefail

: "${DB_OWNER_PASSWORD:?set DB_OWNER_PASSWORD}"
: "${DB_APP_PASSWORD:?set DB_APP_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v owner_password="$DB_OWNER_PASSWORD" -v app_password="$DB_APP_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE kokuho_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kokuho_owner') \gexec
SELECT 'CREATE ROLE kokuho_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE'
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kokuho_app') \gexec
ALTER ROLE kokuho_owner PASSWORD :'owner_password';
ALTER ROLE kokuho_app PASSWORD :'app_password';

-- The owner owns the database and the schema; migrate, run as the owner, creates the tables.
SELECT format('ALTER DATABASE %I OWNER TO kokuho_owner', current_database()) \gexec
ALTER SCHEMA public OWNER TO kokuho_owner;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO kokuho_app;
SELECT format('GRANT CONNECT ON DATABASE %I TO kokuho_app', current_database()) \gexec
-- Imports check the references they write set-based (ADR 0014); the audit triggers fire anyway.
GRANT SET ON PARAMETER session_replication_role TO kokuho_app;
SQL
