#!/usr/bin/env bash
# The resident status page (a household of 6, signed in as the householder) against a bare Django
# template page (the public home page), both served by gunicorn on loopback and loaded with wrk.
# Prints requests/s and p99 latency of each and checks the goals: status ≥ 20% of the bare page's
# throughput, p99 ≤ 150 ms. Bounded: DURATION seconds per run (default 10), one minute in all.
# The status page is measured as residents meet it, with the portal's cache (eligibility/portal/
# status.py; filled by the first request of each worker), then with the cache off, for reference.
#
#   bash bench/portal.sh                    # SQLite file under var/ (made afresh)
#   DATABASE_URL=postgres://… bash bench/portal.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10}"
PORT="${PORT:-8765}"
# Two processes for two cores, two threads each: gunicorn's threaded worker keeps connections
# alive (the sync worker closes each one, which cost the status page two thirds of its rate on
# a shared 2-core machine); more threads or workers only lengthened the tail there.
WORKERS="${WORKERS:-2}"
THREADS="${THREADS:-2}"
CONNECTIONS="${CONNECTIONS:-8}"
PY=.venv/bin/python

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

export DEBUG=false SECRET_KEY=bench-only-secret SECURE_SSL_REDIRECT=false
export ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING FAKE_OIDC=false
# Plain HTTP on loopback: the session cookie is then `sessionid` (not `__Host-sessionid`).
export SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/var/bench_portal.sqlite3}"
case "$DATABASE_URL" in sqlite*) rm -f var/bench_portal.sqlite3*;; esac
mkdir -p var

"$PY" manage.py migrate --noinput >/dev/null
"$PY" manage.py collectstatic --noinput >/dev/null 2>&1 || true

# A household of six with a signed-in householder; prints the session cookie.
SESSION=$("$PY" - <<'PYEOF'
import os, sys, time
import django
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sumida_kokuho.settings")
django.setup()
from datetime import date
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from sumida_kokuho.models import ResidentAccount
from tests.factories import CertificateFactory, EnrolmentFactory, HouseholdFactory, InsuredPersonFactory, MyNumberCardFactory

# Numbers of its own, so the bench runs again on a database it used before (PostgreSQL).
run = str(time.time_ns() // 1000)
household = HouseholdFactory(number=run)
people = [InsuredPersonFactory(household=household, birth_date=date(1956 + 8 * i, 11, 15)) for i in range(6)]
for i, person in enumerate(people):
    EnrolmentFactory(person=person)
    if i % 2 == 0:
        MyNumberCardFactory(person=person)
    else:
        CertificateFactory(person=person, number=f"B{run}-{i}")
user = get_user_model().objects.create_user(username=f"bench{household.pk}@example.com", password=None)
ResidentAccount.objects.create(user=user, person=people[0], linked_via="activation")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(session.session_key)
PYEOF
)

GUNICORN=
serve() {  # [settings module]: (re)start gunicorn and wait until it answers
    if [ -n "$GUNICORN" ]; then kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true; fi
    DJANGO_SETTINGS_MODULE="${1:-sumida_kokuho.settings}" PYTHONPATH="$PWD/var/bench_portal" \
        .venv/bin/gunicorn sumida_kokuho.wsgi:application --bind "127.0.0.1:$PORT" \
        --workers "$WORKERS" --threads "$THREADS" --log-level warning &
    GUNICORN=$!
    for _ in $(seq 50); do
        curl -fsS -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null && break
        sleep 0.2
    done
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: sessionid=$SESSION" "http://127.0.0.1:$PORT/portal/")
    [ "$code" = 200 ] || { echo "status page answered $code, not 200" >&2; exit 1; }
}
trap 'if [ -n "$GUNICORN" ]; then kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true; fi' EXIT
# The same settings with the portal's cache off (a timeout of 0 stores nothing): every request
# assesses the household afresh. Shown for information; the goals are for the normal settings.
mkdir -p var/bench_portal
printf 'from sumida_kokuho.settings import *  # noqa: F403\nPORTAL_STATUS_CACHE_SECONDS = 0\n' \
    > var/bench_portal/bench_portal_nocache.py
serve

measure() {  # name url [header]
    local out rps p99
    if [ -n "${3:-}" ]; then
        out=$(timeout $((DURATION + 15)) wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -H "$3" "$2")
    else
        out=$(timeout $((DURATION + 15)) wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency "$2")
    fi
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    printf '%-28s %10s req/s   p99 %s\n' "$1" "$rps" "$p99" >&2
    echo "$rps $p99"
}

to_ms() {  # wrk prints 850.00us, 12.34ms or 1.20s
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}

# The machine may be shared: the load says how far the figures can be trusted.
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores; gunicorn $WORKERS workers × $THREADS threads" >&2
read -r bare_rps _bare_p99 < <(measure "bare template page (/)" "http://127.0.0.1:$PORT/")
read -r status_rps status_p99 < <(measure "status page, household of 6" "http://127.0.0.1:$PORT/portal/" "Cookie: sessionid=$SESSION")
serve bench_portal_nocache
measure "status page, cache off" "http://127.0.0.1:$PORT/portal/" "Cookie: sessionid=$SESSION" >/dev/null

echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)" >&2
ratio=$(awk -v s="$status_rps" -v b="$bare_rps" 'BEGIN { printf "%.1f", 100 * s / b }')
p99_ms=$(to_ms "$status_p99")
echo "status page throughput: ${ratio}% of the bare page (goal ≥ 20%); p99 ${p99_ms} ms (goal ≤ 150 ms)"
awk -v r="$ratio" -v p="$p99_ms" 'BEGIN { exit !(r >= 20 && p <= 150) }' \
    && echo "goals met" || { echo "goals NOT met"; exit 1; }
