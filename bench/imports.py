"""How fast `manage.py import master` takes a large file, on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sumida_imports \\
        .venv/bin/python bench/imports.py --lines 1000000

Migrates the database, deletes the bench households (記号 9400 only), writes a master file of N
lines (households of 1 to 4 persons, 和暦 and ISO dates mixed) and imports it three times:
1. into an empty 記号: every line creates a person (and its household and period of coverage);
2. the same file again: every line is unchanged (the idempotent re-run);
3. a copy in which every 10th household has moved (address change with its 異動日) and every
   50th person has left (withdrawal): the change path with its life events.
Each run prints lines/s for the whole command path, and the CPU time per line of the importing
process, of its reader process (files of 20,000 lines or more are read by a forked process) and
of the PostgreSQL backend (when it runs on this machine): on a shared machine the clock depends
on the others' load, the CPU time much less. The goal for the first run on PostgreSQL is at
least 20,000 lines/s. Use a database of its own.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sumida_kokuho.settings")
os.environ.setdefault("DEBUG", "true")  # a bench is a development run: no SECRET_KEY needed

import django  # noqa: E402 (after the environment above)

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import translation  # noqa: E402

from eligibility.sumida_addresses import TOWNS  # noqa: E402
from notices.imports.engine import import_file  # noqa: E402
from notices.models import ImportRun  # noqa: E402
from sumida_kokuho.wareki import era_of  # noqa: E402

SYMBOL = "9400"
HEADER = (
    "symbol,number,branch,postal_code,address,householder_branch,family_name,given_name,"
    "family_name_kana,given_name_kana,birth_date,sex,relation,enrolled_on,enrolment_reason,"
    "withdrawn_on,withdrawal_reason,changed_on\n"
)
FAMILY = [("墨田", "スミダ"), ("押上", "オシアゲ"), ("両国", "リョウゴク"), ("向島", "ムコウジマ")]
GIVEN = [("太郎", "タロウ"), ("花子", "ハナコ"), ("健", "ケン"), ("陽菜", "ヒナ"), ("翔", "ショウ")]


def short_wareki(day: date) -> str:
    era = era_of(day)
    return f"{era.letter}{era.year_of(day)}.{day.month}.{day.day}"


def write_master(
    path: Path, lines: int, *, seed: int, moved_every: int = 0, leave_every: int = 0
) -> None:
    rng = random.Random(seed)  # noqa: S311 (test data)
    written = 0
    household = 0
    person = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        while written < lines:
            household += 1
            size = min(rng.choice((1, 1, 2, 2, 3, 4)), lines - written)
            town = TOWNS[household % len(TOWNS)]
            moved = moved_every and household % moved_every == 0
            chome = 1 + (household + (1 if moved else 0)) % town.chome
            address = town.address(chome, 1 + household % 30, 1 + household % 20)
            changed_on = "R8.10.1" if moved else ""
            family = FAMILY[household % len(FAMILY)]
            for branch in range(1, size + 1):
                person += 1
                given = GIVEN[person % len(GIVEN)]
                born = date(1955, 1, 1) + timedelta(days=rng.randrange(365 * 60))
                enrolled = max(born, date(2015, 4, 1)) + timedelta(days=rng.randrange(900))
                birth = born.isoformat() if person % 3 else short_wareki(born)
                withdrawn, reason = "", ""
                if leave_every and person % leave_every == 0 and branch > 1:
                    withdrawn, reason = "2026-10-01", "employment"
                out.write(
                    f"{SYMBOL},{household:07d},{branch:02d},{town.postal_code},{address},01,"
                    f"{family[0]},{given[0]},{family[1]},{given[1]},{birth},{1 + person % 2},"
                    f"{'householder' if branch == 1 else 'child'},{enrolled.isoformat()},job_loss,"
                    f"{withdrawn},{reason},{changed_on}\n"
                )
                written += 1


def delete_bench_households() -> None:
    """Remove what earlier runs wrote under 記号 9400 (raw SQL: millions of rows)."""
    persons = (
        "SELECT p.id FROM eligibility_insuredperson p JOIN eligibility_household h "
        f"ON h.id = p.household_id WHERE h.symbol = '{SYMBOL}'"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for table in ("eligibility_lifeevent", "eligibility_enrolment", "cards_papercard"):
            cursor.execute(f"DELETE FROM {table} WHERE person_id IN ({persons})")  # noqa: S608
        cursor.execute(
            f"UPDATE eligibility_household SET householder_id = NULL WHERE symbol = '{SYMBOL}'"  # noqa: S608
        )
        cursor.execute(f"DELETE FROM eligibility_insuredperson WHERE id IN ({persons})")  # noqa: S608
        cursor.execute(f"DELETE FROM eligibility_household WHERE symbol = '{SYMBOL}'")  # noqa: S608
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def client_cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the reader process)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def database_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend, when it runs on this machine and
    /proc shows it (None otherwise): with the machine shared, CPU time says more than the
    clock."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(label: str, path: Path, lines: int) -> ImportRun:
    own, children = client_cpu()
    database = database_cpu()
    started = time.perf_counter()
    run = import_file("master", path, as_of=date(2026, 11, 26))
    seconds = time.perf_counter() - started
    own_after, children_after = client_cpu()
    database_after = database_cpu()
    with translation.override("en"):
        status = str(run.get_status_display())
    print(
        f"{label:<34} {status:<12} created {run.created:>9,} "
        f"updated {run.updated:>9,} unchanged {run.unchanged:>9,} rejected {run.rejected:>6,} "
        f"{seconds:7.1f} s  {lines / seconds:>9,.0f} lines/s"
    )
    cpu = (
        f"{'':<34} CPU µs per line: importing process {(own_after - own) / lines * 1e6:.0f}, "
        f"reader process {(children_after - children) / lines * 1e6:.0f}"
    )
    if database is not None and database_after is not None:
        cpu += f", PostgreSQL backend {(database_after - database) / lines * 1e6:.0f}"
    print(f"{cpu}  (load average {os.getloadavg()[0]:.1f})")
    if run.error_count:
        print(f"  first errors: {run.errors[:3]}")
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep-files", action="store_true")
    parser.add_argument(
        "--row-checks",
        action="store_true",
        help="let PostgreSQL check every reference row by row (as a role without SET on "
        "session_replication_role does; ADR 0014)",
    )
    args = parser.parse_args()
    if args.row_checks:
        settings.IMPORTS_BULK_REFERENCE_CHECKS = False
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    delete_bench_households()
    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    original, changed = folder / "master.csv", folder / "master-changed.csv"
    started = time.perf_counter()
    write_master(original, args.lines, seed=args.seed)
    write_master(changed, args.lines, seed=args.seed, moved_every=10, leave_every=50)
    size = original.stat().st_size / 1e6
    print(
        f"files: {args.lines:,} lines, {size:.0f} MB each ({time.perf_counter() - started:.1f} s)"
    )
    timed("1. new file (all created)", original, args.lines)
    timed("2. same file again (unchanged)", original, args.lines)
    timed("3. moves and withdrawals", changed, args.lines)
    if not args.keep_files:
        for path in (original, changed):
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
