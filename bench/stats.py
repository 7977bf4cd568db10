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
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from eligibility.models import InsuredPerson  # noqa: E402
from notices.stats.tables import TABLES, all_tables  # noqa: E402


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
    with translation.override("en"), CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        all_tables(as_of)  # the page: the two insured-person tables share one query
        page = time.perf_counter() - started
    queries = len(captured.captured_queries)
    print(f"{'the whole page':<24} {queries:>3} queries  {page * 1000:19.0f} ms")


if __name__ == "__main__":
    main()
