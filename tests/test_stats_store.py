"""Statistics figures kept in the database once counted (notices/stats/store.py): read back
exactly as counted, shared by every request, dropped by an import and by "count again", counted
each night by `manage.py count_statistics`."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cards.models import CertificateApplication
from notices.models import Notice, StatisticsFigures
from notices.stats import queries, store
from notices.stats.tables import TABLES, counted_tables
from tests.test_imports import MASTER_HEADER, person_line, run_master, write
from tests.test_stats import AS_OF, insured, population  # noqa: F401 (a fixture)

NAMES = {"insured", "certificates-by-month", "notices-by-month", "applications", "due"}


@pytest.fixture(autouse=True)
def _figures_kept(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.STATISTICS_CACHE_SECONDS = 3600
    settings.DATA_IMPORT_DIR = str(tmp_path / "imports")
    settings.DATA_IMPORTS_IN_BACKGROUND = False


def shown(as_of: date) -> list[list[list[object]]]:
    return [table.raw for table in counted_tables(as_of)[0]]


def queries_on_periods(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "eligibility_enrolment" in q["sql"]]


@pytest.mark.django_db
def test_every_figure_reads_back_as_counted(population) -> None:  # noqa: F811
    from tests.factories import CertificateFactory, InsuredPersonFactory, NoticeFactory

    CertificateFactory(issued_on=date(2026, 10, 5))
    NoticeFactory(issued_on=date(2026, 11, 2))
    CertificateApplication.objects.create(
        person=InsuredPersonFactory(), reason="myna_card_lost", channel="online"
    )
    counted = {
        "insured": queries.insured_and_holders(AS_OF),
        "due": queries.documents_due_next_month(AS_OF),
        "applications": queries.open_applications(),
        "issued": queries.issued_by_month(Notice, AS_OF),
    }
    for name, figures in counted.items():
        stored = json.loads(json.dumps(store.encode(figures)))  # as the JSON column keeps it
        assert store.decode(stored) == figures, name
    assert any(row.total for row in counted["issued"])
    assert counted["applications"] and counted["applications"][0].oldest is not None


@pytest.mark.django_db
def test_the_page_counts_once_and_then_reads_the_kept_figures(population) -> None:  # noqa: F811
    first = shown(AS_OF)
    assert set(StatisticsFigures.objects.values_list("name", flat=True)) == NAMES
    insured(date(1980, 1, 1))  # not counted until the figures are counted again
    with CaptureQueriesContext(connection) as captured:
        again, counted_at = counted_tables(AS_OF)
    assert queries_on_periods(captured) == []
    assert len(captured.captured_queries) == len(NAMES)  # one indexed read per kept figure
    assert [table.raw for table in again] == first
    assert counted_at <= timezone.now()
    call_command("count_statistics", as_of=AS_OF, stdout=io.StringIO())
    assert shown(AS_OF) != first  # the new person is counted now


@pytest.mark.django_db
def test_figures_older_than_the_keeping_time_are_counted_again(population, settings) -> None:  # noqa: F811
    shown(AS_OF)
    StatisticsFigures.objects.update(counted_at=timezone.now() - timedelta(hours=2))
    with CaptureQueriesContext(connection) as captured:
        shown(AS_OF)
    assert queries_on_periods(captured)  # counted afresh
    assert StatisticsFigures.objects.filter(
        counted_at__gte=timezone.now() - timedelta(minutes=1)
    ).count() == len(NAMES)  # noqa: E501


@pytest.mark.django_db
def test_unreadable_kept_figures_are_counted_again(population) -> None:  # noqa: F811
    shown(AS_OF)
    StatisticsFigures.objects.filter(name="insured").update(figures={"row": "Evil", "fields": {}})
    with CaptureQueriesContext(connection) as captured:
        shown(AS_OF)
    assert queries_on_periods(captured)
    with pytest.raises(store.UnknownFigures):
        store.decode({"row": "Evil", "fields": {}})
    with pytest.raises(TypeError):
        store.encode({1: "keyed by a number"})


@pytest.mark.django_db
def test_an_import_that_changes_records_drops_the_kept_figures(population, tmp_path: Path) -> None:  # noqa: F811
    shown(AS_OF)
    lines = [MASTER_HEADER, person_line("000001")]
    run = run_master(write(tmp_path, "master.csv", lines))
    assert run.status == "committed" and run.created == 1
    assert not StatisticsFigures.objects.exists()
    shown(AS_OF)
    again = run_master(write(tmp_path, "master.csv", lines))  # changes nothing: figures stay
    assert again.unchanged == 1
    assert StatisticsFigures.objects.count() == len(NAMES)


@pytest.mark.django_db
def test_count_statistics_keeps_every_table_of_the_day(population) -> None:  # noqa: F811
    out = io.StringIO()
    call_command("count_statistics", as_of=AS_OF, stdout=out)
    assert f"counted {len(TABLES)} tables for {AS_OF.isoformat()}" in out.getvalue()
    kept = StatisticsFigures.objects.filter(as_of=AS_OF)
    assert set(kept.values_list("name", flat=True)) == NAMES
    assert all(isinstance(at, datetime) for at in kept.values_list("counted_at", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "created", "counted"),
    [("committed", 1, True), ("partial", 1, True), ("committed", 0, False), ("rejected", 1, False)],
)
def test_an_import_that_changed_records_is_followed_by_a_count(
    population,  # noqa: F811
    status: str,
    created: int,
    counted: bool,
) -> None:
    from notices.imports import background
    from notices.models import ImportRun

    run = ImportRun.objects.create(
        kind="master", file_name="m.csv", sha256="", status=status, created=created
    )
    background.count_statistics_after(run.pk)
    today = timezone.localdate()
    assert StatisticsFigures.objects.filter(as_of=today).exists() is counted


@pytest.mark.django_db(transaction=True)
def test_a_background_import_counts_the_figures_once_it_has_committed(settings) -> None:
    import threading

    from notices.imports import background
    from notices.models import ImportRun

    settings.DATA_IMPORTS_IN_BACKGROUND = True
    run = ImportRun.objects.create(kind="master", file_name="m.csv", sha256="")

    def job() -> None:
        ImportRun.objects.filter(pk=run.pk).update(status="committed", created=3)

    background.start(run.pk, job)
    for thread in threading.enumerate():
        if thread.name == f"import-run-{run.pk}":
            thread.join(timeout=60)
    today = timezone.localdate()
    assert (
        set(StatisticsFigures.objects.filter(as_of=today).values_list("name", flat=True)) == NAMES
    )


@pytest.mark.django_db
def test_document_figures_are_counted_again_after_minutes_the_insured_after_hours(
    population,  # noqa: F811
) -> None:
    from tests.factories import CertificateFactory

    first = shown(AS_OF)
    StatisticsFigures.objects.update(counted_at=timezone.now() - timedelta(minutes=10))
    CertificateFactory(issued_on=date(2026, 11, 20))  # issued at the counter meanwhile
    insured(date(1980, 1, 1))  # enrolled meanwhile: counted with the insured figures, later
    with CaptureQueriesContext(connection) as captured:
        again = shown(AS_OF)
    assert not [sql for sql in queries_on_periods(captured) if "GROUP BY" in sql]  # insured kept
    assert again[0] == first[0]  # the age bands: as counted ten minutes ago
    assert again[2] != first[2]  # certificates by month: counted again, with the new one


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2026-11-26T04:59:00+09:00", "2026-11-26T05:00:00+09:00"),  # later today
        ("2026-11-26T05:00:00+09:00", "2026-11-27T05:00:00+09:00"),  # just done: tomorrow
        ("2026-11-26T23:30:00+09:00", "2026-11-27T05:00:00+09:00"),
        ("2026-12-31T20:00:00+00:00", "2027-01-02T05:00:00+09:00"),  # 05:00 JST 1 Jan has passed
    ],
)
def test_the_nightly_count_wakes_at_the_next_local_time(now: str, expected: str) -> None:
    from datetime import time as clock

    from notices.management.commands.count_statistics import next_run

    assert next_run(datetime.fromisoformat(now), clock(5, 0)) == datetime.fromisoformat(expected)


def test_a_nightly_time_that_is_not_a_time_is_refused() -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="--nightly"):
        call_command("count_statistics", nightly="5 o'clock", stdout=io.StringIO())


@pytest.mark.django_db
def test_counting_afresh_is_limited_per_staff_member_reading_kept_figures_is_not(
    client,
    population,  # noqa: F811
    monkeypatch,
) -> None:
    from django.core.cache import cache

    from sumida_kokuho.roles import Role
    from tests.factories.staff import sign_in_staff, staff_in_role

    cache.clear()
    from sumida_kokuho.security import RateLimit

    limited = RateLimit("statistics_count_user_test", limit=2, window=3600)
    monkeypatch.setattr("notices.data_views.STATISTICS_COUNTS_BY_USER", limited)
    sign_in_staff(client, staff_in_role(Role.SUPERVISOR))
    day = {"as_of": AS_OF.isoformat()}
    assert client.get("/data/stats/", day).status_code == 200  # counts (1)
    for _ in range(3):  # kept figures: no count, no limit
        assert client.get("/data/stats/", day).status_code == 200
        assert client.get("/data/stats/age-bands.csv", day).status_code == 200
    assert client.get("/data/stats/", {**day, "fresh": "1"}).status_code == 200  # counts (2)
    refused = client.get("/data/stats/", {**day, "fresh": "1"})  # a third count within the hour
    assert refused.status_code == 429
    other_day = client.get("/data/stats/age-bands.csv", {"as_of": "2026-10-01"})
    assert other_day.status_code == 429  # nothing kept for that day: it would count
    assert client.get("/data/stats/", day).status_code == 200  # the kept figures still show
    cache.clear()
