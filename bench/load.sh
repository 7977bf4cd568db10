#!/usr/bin/env bash
# Bounded load test on loopback: residents signing in and reading their status and a household
# member's page, and counter clerks (password + TOTP) searching for persons, against gunicorn with
# production settings (DEBUG off, Secure cookies as behind the TLS proxy) on a seeded population.
# Prints requests/s, p95 and p99 per step and overall, and the errors, which must be 0: exits
# non-zero otherwise (a failed request, an exception in the load script, a user who could not
# sign in). Load generator: locust (bench/locustfile.py), from .venv-tools.
#
#   bash bench/load.sh            # PostgreSQL on 127.0.0.1:5432 (database sumida_load) if it
#                                 # answers, else SQLite under var/
#   DURATION=120 RESIDENTS=16 CLERKS=4 bash bench/load.sh
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/sumida_load bash bench/load.sh
#
# Bounded: DURATION seconds of load (default 60, at most 600) by RESIDENTS + CLERKS simulated
# users (default 8 + 2, started SPAWN_RATE a second, default 2; each signs in once, so no
# sign-in throttling is met), waiting LOAD_WAIT_MIN..LOAD_WAIT_MAX seconds between steps
# (default 0.1..0.5). The population is PERSONS insured persons (default 100,000; seed_demo tops
# it up, so a second run starts at once). WORKERS gunicorn workers (default 2, one per core).
# Nothing but 127.0.0.1 is ever addressed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/_setup.sh"

DURATION="${DURATION:-60}"
RESIDENTS="${RESIDENTS:-8}"
CLERKS="${CLERKS:-2}"
PERSONS="${PERSONS:-100000}"
PORT="${PORT:-}"
WORKERS="${WORKERS:-2}"
SPAWN_RATE="${SPAWN_RATE:-2}"  # users started per second: the sign-ins come spread out
OUT=var/bench_load
[ "$DURATION" -le 600 ] || { echo "DURATION is at most 600 seconds" >&2; exit 2; }

ensure_venv
ensure_tools
mkdir -p "$OUT"
# A free loopback port unless one is given (other benches may hold theirs).
PORT="${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"

PG_BASE=postgres://postgres@127.0.0.1:5432
if [ -z "${DATABASE_URL:-}" ]; then
    if command -v psql >/dev/null 2>&1 && psql "$PG_BASE/postgres" -tAc 'select 1' >/dev/null 2>&1; then
        if [ -z "$(psql "$PG_BASE/postgres" -tAc "select 1 from pg_database where datname = 'sumida_load'")" ]; then
            psql "$PG_BASE/postgres" -qc 'create database sumida_load'
        fi
        DATABASE_URL="$PG_BASE/sumida_load"
    else
        DATABASE_URL="sqlite:///$PWD/var/bench_load.sqlite3"
    fi
fi
export DATABASE_URL
# Production settings, as behind the TLS proxy (docker-compose: Caddy terminates TLS).
export DEBUG=false SECRET_KEY=bench-load-only-not-secret ALLOWED_HOSTS=127.0.0.1
export BEHIND_TLS_PROXY=true FAKE_OIDC=false LOG_LEVEL=WARNING

say "Database ${DATABASE_URL%%\?*}: migrating, then seeding up to $PERSONS persons"
.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py seed_demo --persons "$PERSONS" --no-admin >"$OUT/seed.log"

say "Accounts: $RESIDENTS residents (householders of 3 or more), $CLERKS counter clerks"
RESIDENTS="$RESIDENTS" CLERKS="$CLERKS" .venv/bin/python - "$OUT/accounts.json" <<'PYEOF'
import json, os, random, secrets, sys
import django
sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sumida_kokuho.settings")
django.setup()
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Count
from django_otp.plugins.otp_totp.models import TOTPDevice
from eligibility.demo import POPULATION_SYMBOL
from eligibility.models import InsuredPerson
from sumida_kokuho.models import ResidentAccount
from sumida_kokuho.roles import Role
from sumida_kokuho.wareki import to_wareki

User = get_user_model()
rng = random.Random(2026)
householders = list(
    InsuredPerson.objects.filter(household__symbol=POPULATION_SYMBOL, relation="householder")
    .annotate(size=Count("household__members"))
    .filter(size__gte=3)
    .order_by("pk")
    .values_list("pk", flat=True)[:2000]
)
residents = []
for i, pk in enumerate(rng.sample(householders, int(os.environ["RESIDENTS"]))):
    email, password = f"load-resident-{i}@example.invalid", secrets.token_urlsafe(12)
    ResidentAccount.objects.filter(user__username=email).exclude(person_id=pk).delete()
    user, _ = User.objects.get_or_create(username=email, defaults={"email": email})
    user.set_password(password)
    user.save()
    ResidentAccount.objects.get_or_create(user=user, person_id=pk, defaults={"linked_via": "activation"})
    residents.append({"email": email, "password": password})
clerks = []
counter_group = Group.objects.get(name=Role.COUNTER.value)
for i in range(int(os.environ["CLERKS"])):
    username, password = f"load-clerk-{i}", secrets.token_urlsafe(12)
    user, _ = User.objects.get_or_create(username=username, defaults={"is_staff": True})
    user.is_staff = True
    user.set_password(password)
    user.save()
    user.groups.add(counter_group)
    key = secrets.token_hex(20)
    TOTPDevice.objects.update_or_create(
        user=user, name="load test",
        defaults={"key": key, "confirmed": True, "last_t": -1, "throttling_failure_count": 0},
    )
    clerks.append({"username": username, "password": password, "totp_key": key, "counter": "honcho-1"})
AccessAttempt.objects.filter(username__startswith="load-").delete()
queries = []
sample = InsuredPerson.objects.filter(household__symbol=POPULATION_SYMBOL).select_related("household")
for person in rng.sample(list(sample.order_by("pk")[:20000]), 40):
    queries += [
        person.insured_number,
        person.family_name_kana[:2],
        person.family_name,
        person.birth_date.isoformat(),
        to_wareki(person.birth_date),
        f"{person.family_name_kana} {person.birth_date.isoformat()}",
    ]
json.dump({"residents": residents, "clerks": clerks, "queries": queries}, open(sys.argv[1], "w"))
PYEOF

say "gunicorn ($WORKERS workers) on 127.0.0.1:$PORT"
.venv/bin/gunicorn sumida_kokuho.wsgi:application --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
    --log-level warning &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    kill -0 "$GUNICORN" 2>/dev/null || { echo "gunicorn did not start" >&2; exit 1; }
    curl -fsS -o /dev/null -H "X-Forwarded-Proto: https" "http://127.0.0.1:$PORT/portal/sign-in/" \
        2>/dev/null && break
    sleep 0.2
done

USERS=$((RESIDENTS + CLERKS))
say "locust: $USERS users for ${DURATION}s"
rm -f "$OUT"/locust_*.csv
status=0
# Users stop themselves after DURATION seconds and their sign-out; -t is the outer bound.
LOAD_ACCOUNTS="$OUT/accounts.json" LOAD_RESIDENTS="$RESIDENTS" LOAD_CLERKS="$CLERKS" \
    LOAD_SECONDS="$DURATION" timeout $((DURATION + 90)) .venv-tools/bin/locust \
    -f bench/locustfile.py --headless --host "http://127.0.0.1:$PORT" -u "$USERS" -r "$SPAWN_RATE" \
    -t "$((DURATION + 60))s" --stop-timeout 10 \
    --csv "$OUT/locust" --only-summary --loglevel WARNING >"$OUT/locust.log" 2>&1 || status=$?

result=0
.venv-tools/bin/python - "$OUT" "$RESIDENTS" "$CLERKS" "$status" <<'PYEOF' || result=$?
import csv, sys
from pathlib import Path

out, residents, clerks, status = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rows = list(csv.DictReader(open(out / "locust_stats.csv")))
exceptions = list(csv.DictReader(open(out / "locust_exceptions.csv")))
print(f"{'step':<24} {'requests':>9} {'errors':>7} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
for row in rows:
    print(f"{row['Name']:<24} {row['Request Count']:>9} {row['Failure Count']:>7} "
          f"{float(row['Requests/s']):>8.1f} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7}")
by_name = {row["Name"]: row for row in rows}
total = by_name["Aggregated"]
errors = int(total["Failure Count"]) + sum(int(e["Occurrences"]) for e in exceptions)
problems = [f"{e['Occurrences']}x {e['Message']}" for e in exceptions]
for name, expected in (
    ("portal sign-in", residents), ("portal sign-out", residents),
    ("staff sign-in", clerks), ("staff sign-out", clerks),
):
    done = int(by_name.get(name, {}).get("Request Count", 0))
    if done != expected:
        problems.append(f"{name}: {done} for {expected} users")
if int(total["Request Count"]) == 0:
    problems.append("no request was made")
print(f"overall: {float(total['Requests/s']):.1f} requests/s, p95 {total['95%']} ms, "
      f"p99 {total['99%']} ms, {errors} errors (locust exit {status})")
for problem in problems:
    print(f"  problem: {problem}")
sys.exit(1 if errors or problems or status else 0)
PYEOF
echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; load:$(uptime | sed 's/.*load average//')"
exit "$result"
