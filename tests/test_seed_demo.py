"""`manage.py seed_demo`: showcase outcomes, the generated population, idempotence, scale habits."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.utils import timezone

from cards.models import Certificate, MyNumberCard
from eligibility.assess_api import assessment_json, read_request
from eligibility.demo import (
    EXAMPLE_SYMBOL,
    IMPORT_SAMPLE_SYMBOL,
    POPULATION_SYMBOL,
    SHOWCASE_SYMBOL,
)
from eligibility.demo.history import facts_at
from eligibility.demo.population import chunks
from eligibility.demo.seeding import seed_population
from eligibility.demo.showcase import (
    WORKED_EXAMPLES,
    differences,
    relative_showcase,
    showcase,
)
from eligibility.demo.store import plan_signature, stored_households, stored_signature
from eligibility.facts_builder import build_person_facts, persons_for_assessment
from eligibility.models import Household, IncomeRecord, InsuredPerson, LifeEvent
from eligibility.rules.engine import assess
from eligibility.rules.facts import DocumentKind
from eligibility.search import search_columns_for
from eligibility.stored import assess_stored_person
from eligibility.sumida_addresses import PREFECTURE_AND_WARD, TOWNS_BY_POSTAL_CODE
from sumida_kokuho.models import ApiToken, AuditEvent
from tests.factories import CertificateFactory, EnrolmentFactory, InsuredPersonFactory

AS_OF = date(2026, 11, 26)
PASSWORD = "a-test-only-passphrase-2026"  # noqa: S105
SHOWCASE_DOC = Path(__file__).resolve().parent.parent / "docs" / "showcase.md"


def seed(*options: str) -> str:
    out = StringIO()
    call_command("seed_demo", *options, stdout=out, stderr=StringIO())
    return out.getvalue()


def seed_on(as_of: date, persons: int = 0, *more: str) -> str:
    return seed(f"--as-of={as_of}", f"--persons={persons}", f"--admin-password={PASSWORD}", *more)


def showcase_persons() -> dict[tuple[str, str, str], InsuredPerson]:
    return {
        (p.household.symbol, p.household.number, p.branch): p
        for p in InsuredPerson.objects.select_related("household").filter(
            household__symbol__in=(SHOWCASE_SYMBOL, EXAMPLE_SYMBOL)
        )
    }


# --- idempotence, reset, refusals ---------------------------------------------------------------


@pytest.mark.django_db
def test_seeding_twice_is_idempotent():
    first = seed_on(AS_OF, 120)
    ids = sorted(InsuredPerson.objects.values_list("pk", flat=True))
    households = Household.objects.count()

    second = seed_on(AS_OF, 120)

    assert sorted(InsuredPerson.objects.values_list("pk", flat=True)) == ids
    assert Household.objects.count() == households
    assert len(ids) == 120
    assert "新規 28 / 更新 0 / 変更なし 0" in first
    assert "新規 0 / 更新 0 / 変更なし 28" in second
    assert "追加なし" in second
    numbers = Household.objects.values("symbol", "number")
    duplicates = numbers.annotate(n=Count("pk")).filter(n__gt=1)
    assert not duplicates.exists()


@pytest.mark.django_db
def test_a_larger_target_tops_the_population_up_where_it_ended():
    seed_on(AS_OF, 120)
    last = Household.objects.filter(symbol=POPULATION_SYMBOL).order_by("number").last()

    output = seed_on(AS_OF, 200)

    assert InsuredPerson.objects.count() == 200
    assert f"{POPULATION_SYMBOL}-{int(last.number) + 1:07d} から" in output


@pytest.mark.django_db
def test_seeding_for_another_day_brings_the_showcase_to_that_day():
    seed_on(AS_OF)
    before = showcase_persons()
    later = AS_OF + timedelta(days=40)

    output = seed_on(later)

    assert set(showcase_persons()) == set(before)
    assert "更新 0 " not in output
    cases = showcase(later)
    stored = stored_households((c.household.symbol, c.household.number) for c in cases)
    for case in cases:
        key = (case.household.symbol, case.household.number)
        assert stored_signature(stored[key]) == plan_signature(case.household), key


@pytest.mark.django_db
def test_a_showcase_household_changed_during_a_demo_is_restored():
    seed_on(AS_OF)
    person = InsuredPerson.objects.get(
        household__symbol=SHOWCASE_SYMBOL, household__number="0009", branch="01"
    )
    CertificateFactory(
        person=person,
        number="DEMO-EDIT",
        issued_on=AS_OF,
        valid_until=date(2027, 9, 30),
        reason="new_enrolment",
    )

    output = seed_on(AS_OF)

    assert "更新 1" in output
    assert not Certificate.objects.filter(number="DEMO-EDIT").exists()


@pytest.mark.django_db
def test_reset_deletes_the_demo_households_and_nothing_else():
    other = InsuredPersonFactory()
    EnrolmentFactory(person=other)
    CertificateFactory(person=other)
    seed_on(AS_OF, 150)
    events = AuditEvent.objects.count()

    output = seed_on(AS_OF, 150, "--reset")

    assert "--reset" in output and "その他のデータはそのままです" in output
    assert InsuredPerson.objects.filter(pk=other.pk).exists()
    assert Certificate.objects.filter(person=other).count() == 1
    assert InsuredPerson.objects.count() == 150  # the population was made again to the target
    # The trail is only appended to: the run itself and the demo resident's new letter.
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))[events:] == [
        "seed_demo",
        "issue",
    ]


@pytest.mark.django_db
def test_reset_deletes_the_import_sample_households_too():
    other = InsuredPersonFactory()
    EnrolmentFactory(person=other)
    samples = Path(__file__).resolve().parent.parent / "docs" / "samples"
    for kind in ("master", "myna_status", "income"):
        call_command(
            "import",
            kind,
            str(samples / f"{kind}.csv"),
            "--no-progress",
            "--as-of=2026-11-26",
            stdout=StringIO(),
            stderr=StringIO(),
        )
    imported = Household.objects.filter(symbol=IMPORT_SAMPLE_SYMBOL)
    assert imported.count() >= 5
    assert IncomeRecord.objects.filter(person__household__symbol=IMPORT_SAMPLE_SYMBOL).exists()
    assert MyNumberCard.objects.filter(person__household__symbol=IMPORT_SAMPLE_SYMBOL).exists()
    sample_ids = list(
        InsuredPerson.objects.filter(household__in=imported).values_list("pk", flat=True)
    )

    output = seed_on(AS_OF, 0, "--reset")

    assert IMPORT_SAMPLE_SYMBOL in output
    assert not imported.exists()
    assert not InsuredPerson.objects.filter(household__symbol=IMPORT_SAMPLE_SYMBOL).exists()
    assert not IncomeRecord.objects.filter(person_id__in=sample_ids).exists()
    assert not MyNumberCard.objects.filter(person_id__in=sample_ids).exists()
    assert InsuredPerson.objects.filter(pk=other.pk).exists()  # not demo data: left alone
    # The samples import again into the emptied database.
    call_command(
        "import",
        "master",
        str(samples / "master.csv"),
        "--no-progress",
        "--as-of=2026-11-26",
        stdout=StringIO(),
        stderr=StringIO(),
    )
    assert imported.exists()


@pytest.mark.django_db
def test_without_debug_the_default_admin_password_is_refused_before_anything_is_written():
    with pytest.raises(CommandError, match="DEBUG"):
        seed(f"--as-of={AS_OF}", "--persons=50")
    assert not Household.objects.exists()
    assert not get_user_model().objects.exists()


@pytest.mark.django_db
def test_a_weak_admin_password_is_refused():
    with pytest.raises(CommandError, match="admin password"):
        seed(f"--as-of={AS_OF}", "--persons=0", "--admin-password=admin")
    assert not Household.objects.exists()


@pytest.mark.django_db
def test_an_as_of_date_before_the_last_paper_cards_expired_is_refused():
    with pytest.raises(CommandError, match="too early"):
        seed("--as-of=2025-03-15", "--no-admin")


@pytest.mark.django_db
def test_the_demo_superuser_signs_in_and_the_token_is_printed_once():
    output = seed_on(AS_OF)
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(PASSWORD)
    plain = re.search(r"API トークン（この一度だけ表示します）: (\S+)", output)
    assert plain is not None
    assert ApiToken.authenticate(plain.group(1)) is not None

    again = seed(f"--as-of={AS_OF}", "--persons=0")
    assert plain.group(1) not in again and "--new-token" in again

    renewed = seed(f"--as-of={AS_OF}", "--persons=0", "--new-token")
    new_plain = re.search(r"API トークン（この一度だけ表示します）: (\S+)", renewed)
    assert new_plain is not None
    assert ApiToken.authenticate(plain.group(1)) is None
    assert ApiToken.authenticate(new_plain.group(1)) is not None


# --- the showcase -------------------------------------------------------------------------------


SHOWCASE_DATES = [date(2026, 11, 26), date(2027, 2, 15), date(2028, 2, 10)]


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", SHOWCASE_DATES, ids=str)
def test_each_showcase_person_gets_the_documented_assessment(as_of):
    seed_on(as_of)
    stored = showcase_persons()
    problems = []
    for case in showcase(as_of):
        h = case.household
        for branch, expected in case.expects.items():
            person = stored[(h.symbol, h.number, branch)]
            result = assess_stored_person(person.pk, case.check_on, via="test")
            diffs = differences(expected, result)
            if diffs:
                problems.append(f"{person.insured_number} {person.full_name}: {diffs}")
    assert not problems, "\n".join(problems)


def _month_edges(first: date, last: date) -> list[date]:
    days, month = [], first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        days += [month, month + timedelta(days=14), following - timedelta(days=1)]
        month = following
    return days


def test_the_as_of_relative_showcase_holds_on_month_edges_for_years():
    # Plans only (no database): the stored rows are the plans, as the next tests show.
    problems = []
    for as_of in _month_edges(date(2025, 10, 1), date(2030, 3, 31)):
        for case in relative_showcase(as_of):
            for person in case.household.members:
                expected = case.expects.get(person.branch)
                if expected is None:
                    continue
                result = assessment_json(assess(facts_at(person, case.household, as_of), as_of))
                if diffs := differences(expected, result):
                    problems.append(
                        f"{as_of} {case.household.insured_number}-{person.branch}: {diffs}"
                    )
    assert not problems, "\n".join(problems[:20])


@pytest.mark.django_db
def test_the_worked_examples_people_are_stored_exactly_as_their_requests():
    seed_on(AS_OF)
    stored = showcase_persons()
    examples = [case for case in showcase(AS_OF) if not case.relative]
    assert len(examples) == len(WORKED_EXAMPLES)
    for case, example in zip(examples, WORKED_EXAMPLES, strict=True):
        request_as_of, request_facts = read_request(example.request)
        (branch,) = case.expects
        stored_person = stored[(EXAMPLE_SYMBOL, example.number, branch)]
        person = persons_for_assessment().get(pk=stored_person.pk)
        facts = build_person_facts(person, request_as_of)
        # The current certificate is also listed among the documents given; requests need not.
        current = facts.certificate
        issued = tuple(
            d
            for d in facts.documents_issued
            if not (
                current
                and d.document is DocumentKind.CERTIFICATE
                and d.issued_on == current.issued_on
            )
        )
        assert replace(facts, documents_issued=issued) == request_facts, example.case


def test_the_presenters_table_lists_every_showcase_person():
    text = SHOWCASE_DOC.read_text(encoding="utf-8")
    for case in showcase(AS_OF):
        for person in case.household.members:
            assert f"{case.household.insured_number}-{person.branch}" in text
            assert f"{person.family_name} {person.given_name}" in text


# --- the generated population --------------------------------------------------------------------


@pytest.mark.django_db
def test_two_hundred_persons_come_in_sumida_households_of_one_to_six():
    seed_on(AS_OF, 200)

    assert InsuredPerson.objects.count() == 200
    population = Household.objects.filter(symbol=POPULATION_SYMBOL).annotate(size=Count("members"))
    assert population.count() > 30
    assert {h.size for h in population} <= set(range(1, 7))
    assert max(h.size for h in population) >= 4
    for household in Household.objects.select_related("householder"):
        town = TOWNS_BY_POSTAL_CODE[household.postal_code]
        assert household.address.startswith(f"{PREFECTURE_AND_WARD}{town.name}")
        assert household.householder is not None
        assert household.householder.household_id == household.pk
        household.full_clean(validate_constraints=False)
    # Rows written by COPY / executemany read back as the ORM writes them.
    for certificate in Certificate.objects.filter(person__household__symbol=POPULATION_SYMBOL):
        assert certificate.rule_ids and all(isinstance(r, str) for r in certificate.rule_ids)
        assert abs((timezone.now() - certificate.created_at).total_seconds()) < 600
    assert all(isinstance(e.details, dict) for e in LifeEvent.objects.all())
    for person in InsuredPerson.objects.all():
        person.full_clean(validate_unique=False, validate_constraints=False)
        assert {
            "name_search": person.name_search,
            "name_kanji_search": person.name_kanji_search,
        } == search_columns_for(person)


@pytest.mark.django_db
def test_every_person_is_stored_as_generated_and_can_be_assessed():
    report = seed_population(as_of=AS_OF, seed=7, persons=600, chunk_households=100)
    planned = {
        (h.number, m.branch): (m, h)
        for chunk in chunks(7, AS_OF, 1, 600, 100)
        for h in chunk
        for m in h.members
    }
    persons = list(persons_for_assessment())
    assert len(persons) == len(planned) == report.persons == 600
    for person in persons:
        member, household = planned[(person.household.number, person.branch)]
        facts = build_person_facts(person, AS_OF)
        assert facts == facts_at(member, household, AS_OF), person.insured_number
        assess(facts, AS_OF)
    stored = stored_households((h.symbol, h.number) for _, h in list(planned.values())[:40])
    for key, household in stored.items():
        plan = next(h for _, h in planned.values() if (h.symbol, h.number) == key)
        assert stored_signature(household) == plan_signature(plan)


REQUIRED_DUE = {
    "new_enrolment",
    "contents_changed",
    "turns_70",
    "certificate_expiry",
    "paper_card_lost",
    "myna_cert_expired",
    "needs_support",
}
REQUIRED_APPLYING = REQUIRED_DUE | {"myna_card_lost", "myna_registration_cancelled"}
REQUIRED_NOTES = {
    "limit_category_unconfirmable",
    "special_medical_expenses",
    "ready_in_about_a_week",
    "myna_cert_grace",
}


# Mid-month: the month's 70-year-olds are still waiting for the batch of the 18th–26th.
COVERAGE_AS_OF = date(2026, 11, 12)


@pytest.mark.django_db
def test_the_population_covers_every_rule_path_for_the_default_seed():
    seed_population(as_of=COVERAGE_AS_OF, seed=2026, persons=2000)
    due, applying, notes, insured = Counter(), Counter(), Counter(), 0
    for person in persons_for_assessment():
        result = assess(build_person_facts(person, COVERAGE_AS_OF), COVERAGE_AS_OF)
        insured += result.insured
        due.update(d.reason for d in result.documents_due)
        applying.update(d.reason for d in result.applying_reasons)
        notes.update(n.code for n in result.notes)
    assert REQUIRED_DUE <= set(due), REQUIRED_DUE - set(due)
    assert REQUIRED_APPLYING <= set(applying), REQUIRED_APPLYING - set(applying)
    assert REQUIRED_NOTES <= set(notes), REQUIRED_NOTES - set(notes)
    # Realistic: most documents were given already, so only a few people are on the due list.
    assert 0.01 < sum(due.values()) / insured < 0.10


def test_the_population_does_not_depend_on_chunks_or_worker_processes():
    def signatures(size, workers):
        return [plan_signature(h) for c in chunks(2026, AS_OF, 1, 157, size, workers) for h in c]

    one_by_one = signatures(1, 0)
    assert signatures(40, 0) == one_by_one
    assert signatures(25, 1) == one_by_one
    assert sum(len(s[-1]) for s in one_by_one) == 157


@pytest.mark.django_db
def test_writing_the_population_takes_a_fixed_number_of_queries_per_chunk(
    django_assert_max_num_queries,
):
    # 1 to find where to start; per chunk of any size: 11 inserts, 2 reads of the new ids,
    # 1 update and the savepoint around it.
    with django_assert_max_num_queries(1 + 16):
        seed_population(as_of=AS_OF, seed=2026, persons=200, chunk_households=10_000)
    with django_assert_max_num_queries(1 + 16 * 4):
        seed_population(as_of=AS_OF, seed=2026, persons=1000, chunk_households=150)
    assert InsuredPerson.objects.count() == 1200


@pytest.mark.django_db
def test_seeding_again_after_a_batch_run_removes_the_runs_of_the_demo(settings, tmp_path):
    """`scripts/run.sh` seeds on every start: after a demo of the monthly run, the showcase
    households that run changed are restored, and the runs that reached them go (an issuance
    item protects its person, so deleting those households used to fail)."""
    from notices.models import IssuanceItem, IssuanceRun
    from tests.factories import StaffUserFactory

    settings.BATCH_DIR = tmp_path / "batch"
    settings.BATCH_FOUR_EYES = True
    seed_on(AS_OF)
    StaffUserFactory(username="planner")
    StaffUserFactory(username="approver")
    out = StringIO()
    for command in (
        ("plan_run", "--period", "2026-12", "--as-of", AS_OF.isoformat(), "--by", "planner"),
        ("approve_run", "--period", "2026-12", "--by", "approver"),
        ("execute_run", "--period", "2026-12", "--by", "approver", "--inline"),
    ):
        call_command(*command, "--no-progress", stdout=out)
    run = IssuanceRun.objects.get()
    assert run.status == IssuanceRun.Status.EXECUTED and run.items.count() > 0
    issued = Certificate.objects.filter(issued_on=AS_OF, number__startswith="2026-").count()
    assert issued > 0

    output = seed_on(AS_OF)

    assert "更新" in output
    assert not IssuanceRun.objects.exists() and not IssuanceItem.objects.exists()
    assert not Certificate.objects.filter(issued_on=AS_OF, number__startswith="2026-").exists()
    seed_on(AS_OF, 0, "--reset")  # and a full reset after that still works
