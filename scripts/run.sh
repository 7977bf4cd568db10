#!/usr/bin/env bash
# Run the demo: set up, migrate the SQLite database under var/, load the demo households, and
# serve on http://127.0.0.1:8000 with DEBUG on. Safe to run again; the second run is quick.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

export DEBUG=true
ensure_venv
mkdir -p var
compile_messages

say "Migrating the database"
.venv/bin/python manage.py migrate --noinput -v 0

if .venv/bin/python manage.py help seed_demo >/dev/null 2>&1; then
    say "Loading the demo households (seed_demo)"
    .venv/bin/python manage.py seed_demo
else
    say "No seed_demo command yet: starting with an empty database"
    echo "    (create a sign-in with: DEBUG=true .venv/bin/python manage.py createsuperuser)"
fi

HOST="${HOST:-127.0.0.1}"
PORT="${PORT:-8000}"
cat <<MSG

  Sumida Kokuho is running at  http://$HOST:$PORT/
  Staff sign-in:               http://$HOST:$PORT/staff/login/  (also /admin/)
  Demo sign-in:                the user name and password that seed_demo printed above;
                               the 6-digit code: DEBUG=true .venv/bin/python manage.py demo_code admin
  Resident portal:             http://$HOST:$PORT/portal/
  Stop with Ctrl+C.

MSG
exec .venv/bin/python manage.py runserver "$HOST:$PORT"
