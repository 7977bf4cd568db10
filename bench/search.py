"""How fast the person search answers, on PostgreSQL with many insured persons.

    createdb -h 127.0.0.1 -U postgres sumida_search_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sumida_search_bench \\
        .venv/bin/python bench/search.py --persons 1000000

Migrates the database, tops the bench population up to --persons insured persons (households of
1–4 under the 記号 below, written with bulk_create and the search columns filled by
`search_columns_for`), runs ANALYZE, then times --queries mixed searches through
`eligibility.search.search_persons` (parsing, ORM and the round trip; what the search page waits
for): kana prefixes typed as katakana, hiragana or half-width, kanji prefixes, 記号-番号-枝番
(some in full width), birth dates in 西暦 and 和暦 forms, and a name with a birth date. Prints
p50/p95/max per kind and overall, and the EXPLAIN ANALYZE of one query of each kind.
Goal (the issue): at most 50 ms at 1,000,000 persons. The names come from Faker's ja_JP table:
only 50 family names, so a family-name prefix matches tens of thousands of rows, which is
harder for a LIMIT query than real Sumida names would be.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sumida_kokuho.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")

import django  # noqa: E402
import jaconv  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from faker.providers.person.ja_JP import Provider as JaNames  # noqa: E402

from eligibility.models import Household, InsuredPerson  # noqa: E402
from eligibility.search import (  # noqa: E402
    parse_query,
    persons_matching,
    search_columns_for,
    search_persons,
)
from sumida_kokuho.wareki import to_wareki  # noqa: E402

BENCH_SYMBOL = "7700"  # households written by this bench (not a demo or real 記号)
CHUNK_HOUSEHOLDS = 10_000
FIRST_BIRTH, LAST_BIRTH = date(1951, 4, 2), date(2025, 9, 30)
FAMILY = list(JaNames.last_name_pairs)  # (kanji, katakana, romaji)
FAMILY_WEIGHTS = [float(w) for w in JaNames.last_name_pairs.values()]
GIVEN = {"1": JaNames.first_name_male_pairs, "2": JaNames.first_name_female_pairs}
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
HALF_WIDTH_KANA = str.maketrans(
    dict(zip("アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン",
             "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ", strict=True))
)  # fmt: skip


def _birth(rng: random.Random) -> date:
    return FIRST_BIRTH + timedelta(days=rng.randrange((LAST_BIRTH - FIRST_BIRTH).days))


def _person(rng: random.Random, household: Household, branch: int, family: tuple) -> InsuredPerson:
    sex = rng.choice("12")
    given = rng.choice(GIVEN[sex])
    fields = dict(
        family_name=family[0],
        given_name=given[0],
        family_name_kana=family[1],
        given_name_kana=given[1],
    )
    return InsuredPerson(
        household=household,
        branch=f"{branch:02d}",
        birth_date=_birth(rng),
        sex=sex,
        relation="householder" if branch == 1 else "other",
        **fields,
        **search_columns_for(SimpleNamespace(**fields)),
    )


def seed(persons: int, rng: random.Random) -> int:
    """Top the bench population up to `persons`; returns how many were added."""
    have = InsuredPerson.objects.filter(household__symbol=BENCH_SYMBOL).count()
    next_number = Household.objects.filter(symbol=BENCH_SYMBOL).count() + 1
    added, started = 0, time.perf_counter()
    while have + added < persons:
        households = [
            Household(
                symbol=BENCH_SYMBOL,
                number=f"{next_number + i:07d}",
                postal_code="130-0001",
                address=f"東京都墨田区吾妻橋{rng.randint(1, 3)}-{rng.randint(1, 30)}-{i % 20 + 1}",
            )
            for i in range(CHUNK_HOUSEHOLDS)
        ]
        next_number += CHUNK_HOUSEHOLDS
        with transaction.atomic():
            Household.objects.bulk_create(households, batch_size=5_000)
            members = []
            for household in households:
                family = rng.choices(FAMILY, FAMILY_WEIGHTS)[0]
                for branch in range(1, rng.choice((1, 1, 2, 2, 3, 4)) + 1):
                    members.append(_person(rng, household, branch, family))
            members = members[: persons - have - added]
            InsuredPerson.objects.bulk_create(members, batch_size=5_000)
        added += len(members)
        rate = added / (time.perf_counter() - started)
        print(f"  seeded {have + added:,} persons ({rate:,.0f}/s)", end="\r", flush=True)
    if added:
        print()
    return added


def _sample_people(n: int, rng: random.Random) -> list[InsuredPerson]:
    highest = InsuredPerson.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    picks = sorted({rng.randint(1, highest) for _ in range(n * 2)})
    people = list(InsuredPerson.objects.select_related("household").filter(pk__in=picks))
    rng.shuffle(people)
    return people[:n]


def _kana_form(text: str, rng: random.Random) -> str:
    form = rng.choice(("katakana", "hiragana", "half"))
    if form == "hiragana":
        return jaconv.kata2hira(text)
    if form == "half":
        return jaconv.z2h(text, kana=True, ascii=False, digit=False)
    return text


def _date_form(day: date, rng: random.Random) -> str:
    wareki = to_wareki(day)
    letter = {"明治": "M", "大正": "T", "昭和": "S", "平成": "H", "令和": "R"}[wareki[:2]]
    year = wareki[2 : wareki.index("年")].replace("元", "1")
    return rng.choice(
        (day.isoformat(), f"{letter}{year}.{day.month}.{day.day}", wareki, f"{day:%Y/%m/%d}")
    )


def queries(n: int, rng: random.Random) -> list[tuple[str, str]]:
    """`n` (kind, text) pairs, about a fifth of each kind, from persons in the database."""
    kinds = ("kana", "kanji", "number", "birth_date", "name_and_date")
    out = []
    for i, person in enumerate(_sample_people(n, rng)):
        kind = kinds[i % len(kinds)]
        if kind == "kana":
            full = person.family_name_kana + rng.choice(("", " ", "　")) + person.given_name_kana
            text = _kana_form(full[: rng.randint(1, len(full))].strip(), rng)
        elif kind == "kanji":
            full = person.family_name + rng.choice(("", " ")) + person.given_name
            text = full[: rng.randint(1, len(full))].strip()
        elif kind == "number":
            text = f"{person.household.symbol}-{person.household.number}-{person.branch}"
            text = text.translate(FULL_WIDTH) if rng.random() < 0.3 else text
        elif kind == "birth_date":
            text = _date_form(person.birth_date, rng)
        else:
            text = (
                f"{_kana_form(person.family_name_kana, rng)} {_date_form(person.birth_date, rng)}"
            )
        out.append((kind, text))
    return out


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def explain(text: str) -> str:
    return persons_matching(parse_query(text))[:51].explain(analyze=True, buffers=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--allow-sqlite", action="store_true", help="for a smoke run only")
    args = parser.parse_args()
    if connection.vendor != "postgresql" and not args.allow_sqlite:
        sys.exit("Run this on PostgreSQL: set DATABASE_URL (see the docstring).")
    rng = random.Random(args.seed)

    call_command("migrate", verbosity=0)
    added = seed(args.persons, rng)
    total = InsuredPerson.objects.count()
    if added and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE eligibility_household, eligibility_insuredperson")
    print(f"{total:,} insured persons in the database ({added:,} added now); {connection.vendor}")

    mix = queries(args.queries, rng)
    for _kind, text in mix[:20]:  # warm-up: connection, caches
        search_persons(text)
    timings: dict[str, list[float]] = defaultdict(list)
    found: dict[str, list[int]] = defaultdict(list)
    for kind, text in mix:
        started = time.perf_counter()
        result = search_persons(text)
        timings[kind].append((time.perf_counter() - started) * 1000)
        found[kind].append(len(result.persons))

    print(f"\n{'kind':<14}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'rows p50':>10}")
    every = [t for values in timings.values() for t in values]
    for kind, values in [*timings.items(), ("all", every)]:
        rows = statistics.median(found[kind]) if kind in found else ""
        print(
            f"{kind:<14}{len(values):>5}{percentile(values, 0.5):>9.2f}"
            f"{percentile(values, 0.95):>9.2f}{max(values):>9.2f}{rows:>10}"
        )
    goal = percentile(every, 0.95) <= 50 and max(every) <= 50
    print(f"\nGoal (every search ≤ 50 ms): {'met' if goal else 'NOT met'}")

    if connection.vendor == "postgresql":
        examples = {kind: text for kind, text in reversed(mix)}
        examples["kana (1 char)"] = "ス"
        for kind, text in examples.items():
            print(f"\n--- EXPLAIN ANALYZE: {kind}: {text!r}")
            print(explain(text))


if __name__ == "__main__":
    main()
