"""How fast `seed_demo` generates its population, on the configured database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sumida_bench \\
        .venv/bin/python bench/seed.py --persons 100000

Migrates the database, deletes the generated population (記号 9200 only) unless --keep, then
times `seed_population` for N persons and prints persons/s with an estimate for a million.
Showcase households, users and tokens are not touched. Use a database of its own: the run
deletes and rewrites the demo population.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNK_HOUSEHOLDS = 5000  # as eligibility.demo.seeding


def main() -> None:
    # Django is set up here, not on import: the generating worker processes import this module
    # too (multiprocessing "spawn") and need none of it.
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sumida_kokuho.settings")
    os.environ.setdefault("DEBUG", "true")  # a bench is a development run: no SECRET_KEY needed
    import django

    django.setup()
    run()


def run() -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from eligibility.demo import POPULATION_SYMBOL
    from eligibility.demo.seeding import PopulationReport, default_workers, seed_population
    from eligibility.demo.store import delete_households
    from eligibility.models import Household

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--chunk-size", type=int, default=CHUNK_HOUSEHOLDS)
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="generating processes besides the writer (default as seed_demo)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="add to the existing population instead of replacing it"
    )
    args = parser.parse_args()
    as_of = args.as_of or timezone.localdate()
    workers = default_workers(args.persons) if args.workers is None else args.workers
    settings = connection.settings_dict
    print(
        f"database: {connection.vendor} {settings.get('NAME')} "
        f"({settings.get('HOST') or 'local'}); cpus: {os.cpu_count()}"
    )

    call_command("migrate", verbosity=0)
    if not args.keep:
        started = time.perf_counter()
        with transaction.atomic():
            counts = delete_households(Household.objects.filter(symbol=POPULATION_SYMBOL))
        print(
            f"deleted the previous population ({counts.get('eligibility.InsuredPerson', 0):,} "
            f"persons) in {time.perf_counter() - started:.1f} s"
        )

    def progress(report: PopulationReport, total: int) -> None:
        print(
            f"  {report.persons:>10,} / {total:,} persons  {report.seconds:7.1f} s  "
            f"{report.persons_per_second:8,.0f} persons/s",
            file=sys.stderr,
        )

    report = seed_population(
        as_of=as_of,
        seed=args.seed,
        persons=args.persons,
        chunk_households=args.chunk_size,
        workers=workers,
        progress=progress,
    )
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    cpu = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    rate = report.persons_per_second
    print(
        f"{report.persons:,} persons in {report.households:,} households, as of {as_of}, "
        f"seed {args.seed}, chunk {args.chunk_size} households, {workers} worker(s)"
    )
    print(
        f"{report.seconds:.1f} s -> {rate:,.0f} persons/s; "
        f"1,000,000 persons ≈ {1_000_000 / rate / 60:.1f} min; "
        f"Python CPU {cpu:.0f} s ({cpu / report.persons * 1e6:.0f} µs/person, database server "
        "not included)"
        if rate
        else "nothing written"
    )


if __name__ == "__main__":
    main()
