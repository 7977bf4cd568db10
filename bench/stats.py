"""How long the statistics page's queries take on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sumida_imports \\
        .venv/bin/python manage.py seed_demo --persons 1000000 --no-admin
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sumida_imports \\
        .venv/bin/python bench/stats.py

Times each table of /data/stats/ (its queries, and the wording and chart around them) a few
times and prints the query count, the best and the median time. Nothing is written. Run it on
a database holding the population you care about (a million persons is the target: every figure
must stay an aggregate query, not a loop over persons).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sumida_kokuho.settings")
os.environ.setdefault("DEBUG", "true")  # a bench is a development run: no SECRET_KEY needed

import django  # noqa: E402 (after the environment above)

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from eligibility.models import InsuredPerson  # noqa: E402
from notices.stats.tables import (  # noqa: E402
    DEFAULT_CACHE_SECONDS,
    TABLES,
    all_tables,
    counted_tables,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    as_of = args.as_of or timezone.localdate()
    # Measure the queries themselves, not the page's few minutes of kept figures.
    settings.STATISTICS_CACHE_SECONDS = 0
    persons = InsuredPerson.objects.count()
    print(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
    print(f"persons: {persons:,}  as of {as_of}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total_best = 0.0
    with translation.override("en"):
        for slug, build in TABLES.items():
            times = []
            for _ in range(args.repeat):
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    build(as_of)
                    times.append(time.perf_counter() - started)
            best = min(times)
            total_best += best
            queries = len(captured.captured_queries)
            print(
                f"{slug:<24} {queries:>3} queries  best {best * 1000:8.0f} ms"
                f"  median {statistics.median(times) * 1000:8.0f} ms"
            )
    print(f"{'sum of the tables (best)':<24} {'':>11} {total_best * 1000:8.0f} ms")
    timings: list[tuple[str, float, float | None]] = []
    database = database_cpu()
    with (
        translation.override("en"),
        CaptureQueriesContext(connection) as captured,
        connection.execute_wrapper(timing(timings)),
    ):
        started = time.perf_counter()
        all_tables(as_of)  # the page: the two insured-person tables share one query
        page = time.perf_counter() - started
    database_after = database_cpu()
    queries = len(captured.captured_queries)
    print("the page's queries, each (clock ms, database CPU ms):")
    for sql, seconds, cpu in timings:
        shown = " ".join(sql.split())
        shown = shown if len(shown) <= 90 else f"{shown[:87]}..."
        cpu_text = f"{cpu * 1000:6.0f}" if cpu is not None else "     -"
        print(f"  {seconds * 1000:7.0f} {cpu_text}  {shown}")
    cpu_total = (
        f", database CPU {(database_after - database) * 1000:.0f} ms"
        if database is not None and database_after is not None
        else ""
    )
    print(
        f"{'the whole page':<24} {queries:>3} queries  {page * 1000:19.0f} ms{cpu_total}"
        f"  (load average {os.getloadavg()[0]:.1f})"
    )
    # What a visitor meets: the figures as counted by `count_statistics` (each night) or by the
    # first visit after an import, read back from the database. Restores what was kept before.
    settings.STATISTICS_CACHE_SECONDS = DEFAULT_CACHE_SECONDS
    with transaction.atomic():
        started = time.perf_counter()
        with translation.override("en"):
            counted_tables(as_of)  # counts and keeps
        counting = time.perf_counter() - started
        kept = []
        for _ in range(max(args.repeat, 5)):
            with translation.override("en"), CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                counted_tables(as_of)
                kept.append(time.perf_counter() - started)
        transaction.set_rollback(True)
    print(
        f"{'counting and keeping':<24} {'':>11} {counting * 1000:19.0f} ms\n"
        f"{'the page, figures kept':<24} {len(captured.captured_queries):>3} queries  "
        f"{statistics.median(kept) * 1000:19.1f} ms (median of {len(kept)})"
    )


def database_cpu() -> float | None:
    """CPU seconds of this connection's PostgreSQL backend when it runs on this machine (None
    otherwise): on a shared machine the clock depends on the others' load, CPU time much less."""
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


def timing(into: list[tuple[str, float, float | None]]):  # type: ignore[no-untyped-def]
    """An execute wrapper noting each query's clock time and its backend's CPU time."""

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        pid = (
            context["connection"].connection.info.backend_pid
            if connection.vendor == "postgresql"
            else 0
        )
        before = _cpu_of(pid)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seconds = time.perf_counter() - started
            after = _cpu_of(pid)
            cpu = after - before if before is not None and after is not None else None
            into.append((sql, seconds, cpu))

    return wrapper


def _cpu_of(pid: int) -> float | None:
    if not pid:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
