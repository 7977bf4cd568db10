"""The batch's row path builds exactly the facts of the ORM path, and plans the same items.

`iter_person_rows` (plain rows, blocks of persons by key) and `build_person_facts` (model
instances) share `facts_from_records`; these tests hold them equal on a varied population: the
demo generator's households and showcase cases, plus hand-made edge cases (several enrolments,
rows dated after the assessment day, voided certificates, settled arrears, no enrolment at all).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from eligibility.facts_builder import (
    NoEnrolment,
    build_person_facts,
    facts_from_records,
    iter_person_rows,
    person_rows,
    persons_for_assessment,
)
from eligibility.models import InsuredPerson
from notices.batch.planning import plan_run
from notices.models import IssuanceItem, IssuanceRun
from tests.batch.conftest import AS_OF, PERIOD

DAYS = (date(2024, 12, 1), date(2025, 9, 30), date(2025, 10, 1), AS_OF, date(2027, 3, 31))


def edge_cases(seed: int) -> None:
    from tests.factories import (
        BurdenDeterminationFactory,
        CertificateFactory,
        EnrolmentFactory,
        InsuredPersonFactory,
        LifeEventFactory,
        MyNumberCardFactory,
        NoticeFactory,
        PaperCardFactory,
        PremiumArrearsFactory,
    )

    rng = random.Random(seed)  # noqa: S311 (test data)

    def day(lo: date, hi: date) -> date:
        return lo + timedelta(days=rng.randrange((hi - lo).days + 1))

    for _ in range(25):
        person = InsuredPersonFactory(birth_date=day(date(1950, 1, 1), date(2024, 1, 1)))
        InsuredPersonFactory(household=person.household)  # a member whose letters go to him
        if rng.random() < 0.1:
            continue  # no enrolment at all
        first = day(date(2015, 1, 1), date(2026, 12, 31))
        withdrawn = rng.random() < 0.3
        EnrolmentFactory(
            person=person,
            enrolled_on=first,
            reason=rng.choice(["job_loss", "move_in", "birth", "welfare_ended", "other"]),
            withdrawn_on=first + timedelta(days=400) if withdrawn else None,
            withdrawal_reason="move_out" if withdrawn else "",
        )
        if withdrawn and rng.random() < 0.5:
            EnrolmentFactory(person=person, enrolled_on=first + timedelta(days=800))
        for _event in range(rng.randrange(3)):
            LifeEventFactory(
                person=person,
                kind=rng.choice(
                    [
                        "address_change",
                        "householder_change",
                        "paper_card_lost",
                        "myna_card_lost",
                        "myna_card_reissued",
                        "myna_registration_cancelled",
                    ]
                ),
                occurred_on=day(date(2024, 1, 1), date(2027, 1, 1)),
            )
        if rng.random() < 0.6:
            MyNumberCardFactory(
                person=person,
                card_status=rng.choice(["valid", "valid", "lost", "suspended", "returned"]),
                registered_on=rng.choice([None, day(date(2021, 1, 1), date(2026, 11, 1))]),
                e_cert_valid_until=day(date(2025, 1, 1), date(2030, 1, 1)),
            )
        if rng.random() < 0.5:
            issued = day(date(2020, 1, 1), date(2024, 11, 30))
            PaperCardFactory(person=person, issued_on=issued, valid_until=date(2025, 9, 30))
        for _certificate in range(rng.randrange(3)):
            issued = day(date(2024, 12, 2), date(2027, 1, 1))
            voided = rng.random() < 0.5
            CertificateFactory(
                person=person,
                issued_on=issued,
                valid_until=issued + timedelta(days=700),
                voided_on=issued + timedelta(days=30) if voided else None,
                void_reason="reissued" if voided else "",
            ) if voided or not person.certificates.filter(voided_on__isnull=True).exists() else None
        if rng.random() < 0.4:
            NoticeFactory(person=person, issued_on=day(date(2024, 12, 2), date(2027, 1, 1)))
        if rng.random() < 0.3:
            BurdenDeterminationFactory(
                household=person.household,
                effective_from=rng.choice([date(2025, 8, 1), date(2026, 8, 1)]),
                category=rng.choice(["general", "active"]),
            )
        if rng.random() < 0.3:
            since = day(date(2023, 1, 1), date(2026, 6, 1))
            PremiumArrearsFactory(
                household=person.household,
                since=since,
                settled_on=rng.choice([None, since + timedelta(days=200)]),
            )


def orm_facts(as_of: date) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for person in persons_for_assessment().order_by("pk"):
        try:
            out[person.pk] = build_person_facts(person, as_of)
        except NoEnrolment:
            out[person.pk] = None
    return out


def row_facts(as_of: date, **kwargs: Any) -> dict[int, Any]:
    out: dict[int, Any] = {}
    for row in iter_person_rows(**kwargs):
        try:
            out[row.pk] = facts_from_records(row.records, as_of)
        except NoEnrolment:
            out[row.pk] = None
    return out


@pytest.mark.django_db
def test_rows_and_model_instances_give_the_same_facts_on_every_day() -> None:
    call_command(
        "seed_demo", "--persons", "250", "--as-of", AS_OF.isoformat(), "--no-admin", verbosity=0
    )
    edge_cases(seed=3)
    assert InsuredPerson.objects.count() >= 300
    for as_of in DAYS:
        expected = orm_facts(as_of)
        # Small blocks: many block boundaries, households split across them.
        assert row_facts(as_of, block=7) == expected, as_of
    assert None in expected.values(), "the population should include a person without enrolment"


@pytest.mark.django_db
def test_rows_by_key_range_and_by_key_list_cover_the_same_persons() -> None:
    edge_cases(seed=11)
    pks = list(InsuredPerson.objects.order_by("pk").values_list("pk", flat=True))
    middle = pks[len(pks) // 2]
    below = row_facts(AS_OF, pk_to=middle, block=5)
    above = row_facts(AS_OF, pk_from=middle, block=5)
    assert set(below).isdisjoint(above)
    assert {**below, **above} == orm_facts(AS_OF)
    chosen = pks[::3]
    rows = person_rows(chosen)
    assert sorted(rows) == chosen
    for pk in chosen:
        person = persons_for_assessment().get(pk=pk)
        try:
            expected = build_person_facts(person, AS_OF)
        except NoEnrolment:
            expected = None
        try:
            got = facts_from_records(rows[pk].records, AS_OF)
        except NoEnrolment:
            got = None
        assert got == expected


@pytest.mark.django_db
def test_planning_from_rows_lists_what_the_rules_say_for_each_person() -> None:
    call_command(
        "seed_demo", "--persons", "200", "--as-of", AS_OF.isoformat(), "--no-admin", verbosity=0
    )
    edge_cases(seed=5)
    run = plan_run(period=PERIOD, as_of=AS_OF, by=None).run
    from eligibility.rules.engine import assess

    expected = {}
    for person in persons_for_assessment().select_related("household__householder"):
        try:
            due = assess(build_person_facts(person, AS_OF), AS_OF).documents_due
        except NoEnrolment:
            continue
        if due:
            expected[person.pk] = (due[0].document.value, due[0].reason, due[0].trigger_on)
    got = {
        pk: (document, reason, trigger)
        for pk, document, reason, trigger in IssuanceItem.objects.filter(run=run).values_list(
            "person_id", "document", "reason", "trigger_on"
        )
    }
    assert got == expected and got
    assert run.assessed == InsuredPerson.objects.count()


@pytest.mark.django_db(transaction=True)
def test_planning_in_worker_processes_gives_the_same_run_as_in_one() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("worker processes read committed rows of a shared database (PostgreSQL)")
    from notices.batch import planning

    call_command(
        "seed_demo", "--persons", "300", "--as-of", AS_OF.isoformat(), "--no-admin", verbosity=0
    )
    edge_cases(seed=8)

    def items(kind: str, workers: int) -> list[tuple[Any, ...]]:
        run = plan_run(period=PERIOD, kind=kind, as_of=AS_OF, by=None, workers=workers).run
        return list(
            IssuanceItem.objects.filter(run=run)
            .order_by("person_id")
            .values_list(
                "person_id",
                "document",
                "reason",
                "trigger_on",
                "due_by",
                "rule_ids",
                "snapshot",
                "envelope",
                "postal_code",
            )
        )

    old_slice = planning.PLAN_SLICE
    planning.PLAN_SLICE = 60  # several ranges for the processes to share
    try:
        one = items(IssuanceRun.Kind.MONTHLY, 1)
        two = items(IssuanceRun.Kind.ON_DEMAND, 2)
    finally:
        planning.PLAN_SLICE = old_slice
    assert one == two and one


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_that_cannot_start_fails_the_planning_instead_of_hanging(
    monkeypatch: Any,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("worker processes read committed rows of a shared database (PostgreSQL)")
    from concurrent.futures.process import BrokenProcessPool

    call_command(
        "seed_demo", "--persons", "50", "--as-of", AS_OF.isoformat(), "--no-admin", verbosity=0
    )
    # The spawned workers set Django up from this settings module: one that does not exist makes
    # every worker fail at start. The planning must raise and leave no run behind.
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "no_such_settings_module")
    with pytest.raises(BrokenProcessPool):
        plan_run(period=PERIOD, as_of=AS_OF, by=None, workers=2)
    assert not IssuanceRun.objects.exists()
