"""The writes behind `manage.py seed_demo`: showcase, population, reset (and bench/seed.py)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Max

from eligibility.demo import DEMO_SYMBOLS, EXAMPLE_SYMBOL, POPULATION_SYMBOL, SHOWCASE_SYMBOL
from eligibility.demo.bulk import check_columns, insert_population
from eligibility.demo.population import chunks
from eligibility.demo.showcase import Showcase, showcase
from eligibility.demo.store import (
    delete_households,
    plan_signature,
    stored_households,
    stored_signature,
    write_households,
)
from eligibility.models import Household, InsuredPerson

# Households written per transaction: big enough for fast inserts, small enough for flat memory.
CHUNK_HOUSEHOLDS = 5000


@dataclass
class ShowcaseReport:
    cases: list[Showcase]
    created: int = 0
    refreshed: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass
class PopulationReport:
    households: int = 0
    persons: int = 0
    seconds: float = 0.0
    first_number: str = ""

    @property
    def persons_per_second(self) -> float:
        return self.persons / self.seconds if self.seconds else 0.0


def reset_demo_data() -> dict[str, int]:
    """Delete every demo household (the reserved 記号) and all rows that hang on them."""
    with transaction.atomic():
        return delete_households(Household.objects.filter(symbol__in=DEMO_SYMBOLS))


def seed_showcase(as_of: date) -> ShowcaseReport:
    """Create the showcase households for `as_of`, or bring them back to it; others untouched.

    A stored showcase household identical to its plan is left as it is (ids stay); one that
    differs (seeded for another day, or changed during a demo) is replaced.
    """
    report = ShowcaseReport(showcase(as_of))
    wanted = {(c.household.symbol, c.household.number): c for c in report.cases}
    with transaction.atomic():
        stored = stored_households(wanted)
        stale = Household.objects.filter(symbol__in=(SHOWCASE_SYMBOL, EXAMPLE_SYMBOL)).exclude(
            pk__in=[h.pk for h in stored.values()]
        )
        if stale.exists():
            report.removed = stale.count()
            delete_households(stale)
        outdated, plans = [], []
        for key, case in wanted.items():
            existing = stored.get(key)
            if existing is None:
                report.created += 1
            elif stored_signature(existing) == plan_signature(case.household):
                report.unchanged += 1
                continue
            else:
                outdated.append(existing.pk)
                report.refreshed += 1
            plans.append(case.household)
        if outdated:
            delete_households(Household.objects.filter(pk__in=outdated))
        write_households(plans)
    return report


def persons_to_add(target: int) -> int:
    """How many generated persons bring the database to `target` insured persons."""
    return max(0, target - InsuredPerson.objects.count())


def next_population_index() -> int:
    highest = Household.objects.filter(symbol=POPULATION_SYMBOL).aggregate(n=Max("number"))["n"]
    return int(highest) + 1 if highest else 1


def seed_population(
    *,
    as_of: date,
    seed: int,
    persons: int,
    chunk_households: int = CHUNK_HOUSEHOLDS,
    workers: int = 0,
    progress: Callable[[PopulationReport, int], None] | None = None,
) -> PopulationReport:
    """Add `persons` generated persons, `chunk_households` households per transaction.

    Memory stays flat: chunks are generated as they are written (by `workers` processes
    alongside this one, if any) and dropped once committed. The result does not depend on
    `workers` or `chunk_households`.
    """
    check_columns()
    report = PopulationReport()
    first = next_population_index()
    report.first_number = f"{POPULATION_SYMBOL}-{first:07d}"
    started = time.perf_counter()
    with closing(chunks(seed, as_of, first, persons, chunk_households, workers)) as planned:
        for chunk in planned:
            with transaction.atomic():
                report.persons += insert_population(chunk)
            report.households += len(chunk)
            report.seconds = time.perf_counter() - started
            if progress is not None:
                progress(report, persons)
    report.seconds = time.perf_counter() - started
    return report


def default_workers(persons: int) -> int:
    """Processes generating households besides this one: none for a demo-sized population.

    One per CPU up to three: this process mostly waits for the database, and generating (the
    rules run for every document) is what takes the time.
    """
    if persons < 20_000:
        return 0
    return min(3, os.cpu_count() or 1)
