#!/usr/bin/env bash
# Run every test: set up, run pytest (extra arguments are passed to it), then the shared worked
# examples through `manage.py assess -`. Uses SQLite unless DATABASE_URL is set. Exits non-zero
# on any failure, and also when pytest collected no tests at all.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_setup.sh"

ensure_venv
mkdir -p var
# No compilemessages here: the committed .mo files are what a machine without gettext serves,
# and tests/test_i18n.py checks that they match the .po files.

say "pytest (database: ${DATABASE_URL:-SQLite})"
status=0
.venv/bin/pytest "$@" || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure here" >&2
    exit 1
elif [ "$status" -ne 0 ]; then
    exit "$status"
fi

CASES_TOOL="$ROOT/../shared/tools/check_cases.py"
# The commands below read the settings like any manage.py call; give them a key if none is set.
export SECRET_KEY="${SECRET_KEY:-local-test-run-only-not-secret}"
if [ ! -f "$CASES_TOOL" ]; then
    say "No ../shared/tools/check_cases.py here: shared worked examples skipped"
elif ! .venv/bin/python manage.py help assess >/dev/null 2>&1; then
    say "No 'manage.py assess' command yet: shared worked examples skipped"
else
    say "Shared worked examples (../shared/cases through manage.py assess -)"
    .venv/bin/python "$CASES_TOOL" "$ROOT/../shared/cases"
fi
