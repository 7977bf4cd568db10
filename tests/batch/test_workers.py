"""Many workers and killed workers, on PostgreSQL with real processes.

- race: two `db_worker` processes (django-tasks-db) share one run through row locks, and
  threads claiming at the same moment never get the same chunk.
- crash: a worker process is killed with SIGKILL at random points (a seeded loop) and
  restarted until the run is done; then every invariant is checked.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cards.models import Certificate, DocumentCounter
from notices.batch.claiming import claim_chunk
from notices.batch.handover import hand_over
from notices.batch.planning import approve_run, plan_run
from notices.batch.tasks import start_run
from notices.models import IssuanceChunk, IssuanceItem, IssuanceRun, IssuedFile, Notice
from sumida_kokuho.models import AuditEvent
from tests.batch.conftest import AS_OF, PERIOD, make_population

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            f"needs worker processes sharing a database with row locks (PostgreSQL); this run "
            f"uses {connection.vendor}: set DATABASE_URL=postgres://…"
        )


def worker_env(**extra: str) -> dict[str, str]:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "test-only-insecure-key-never-used-outside-pytest",
        "TASKS_BACKEND": "database",
        "BATCH_DIR": str(settings.BATCH_DIR),
        "LOG_LEVEL": "WARNING",
    }
    env.update(extra)
    return env


def manage(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *args]


def approved_run(households: int, chunk_size: int) -> IssuanceRun:
    from tests.factories import StaffUserFactory

    make_population(households)
    planner, approver = StaffUserFactory(), StaffUserFactory()
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner, chunk_size=chunk_size).run
    return approve_run(run=run, by=approver)


def check_invariants(run: IssuanceRun) -> None:
    run.refresh_from_db()
    items = IssuanceItem.objects.filter(run=run)
    assert run.status == IssuanceRun.Status.EXECUTED
    assert items.count() == run.planned
    assert not items.exclude(status=IssuanceItem.Status.DONE).exists()
    assert not IssuanceChunk.objects.filter(run=run).exclude(status="done").exists()
    # Exactly one document per item: no second certificate or notice, one "issue" event each.
    for item in items:
        if item.document == "certificate":
            assert Certificate.objects.filter(person=item.person, issued_on=AS_OF).count() == 1
            assert item.certificate_id is not None
        else:
            assert Notice.objects.filter(person=item.person, issued_on=AS_OF).count() == 1
            assert item.notice_id is not None
    assert AuditEvent.objects.filter(action="issue").count() == run.planned
    # Numbers stay gapless: killed transactions gave theirs back.
    ours = Certificate.objects.filter(number__startswith="2026-").count()
    counter = DocumentCounter.objects.get(kind="certificate", fiscal_year=2026)
    assert counter.last_value == ours == items.filter(document="certificate").count()
    # Print files: every item in exactly one file, every checksum matching the database.
    prints = IssuedFile.objects.filter(run=run, kind=IssuedFile.Kind.PRINT)
    assert sum(prints.values_list("documents", flat=True)) == run.planned
    result = hand_over(run=run, by=None)
    on_disk = {p.name for p in result.directory.iterdir()}
    assert on_disk == set(IssuedFile.objects.filter(run=run).values_list("name", flat=True))
    for file in IssuedFile.objects.filter(run=run):
        data = (result.directory / file.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == file.sha256


@pytest.mark.race
def test_threads_claiming_at_once_never_share_a_chunk() -> None:
    run = approved_run(households=8, chunk_size=1)
    start_run(run=run, by=None, enqueue=False)
    barrier = threading.Barrier(4)
    claimed: list[int] = []
    lock = threading.Lock()

    def claim_all(name: str) -> None:
        try:
            barrier.wait()
            while (claim := claim_chunk(run_id=run.pk, worker=name)) is not None:
                with lock:
                    claimed.append(claim.chunk_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim_all, args=(f"t{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(claimed) == sorted(
        IssuanceChunk.objects.filter(run=run).values_list("pk", flat=True)
    )
    assert len(set(claimed)) == len(claimed)


@pytest.mark.race
def test_two_db_workers_share_a_run_and_issue_everything_once() -> None:
    run = approved_run(households=12, chunk_size=2)
    enqueued = start_run(run=run, by=None)  # database backend: rows for db_worker
    assert enqueued == IssuanceChunk.objects.filter(run=run).count()
    command = manage(
        "db_worker",
        "--queue-name",
        "issuance",
        "--batch",
        "--no-startup-delay",
        "--interval",
        "0.1",
    )
    workers = [
        subprocess.Popen(
            command, cwd=ROOT, env=worker_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=180)[0].decode() for w in workers]
    assert all(w.returncode == 0 for w in workers), outputs
    workers_used = set(IssuanceChunk.objects.filter(run=run).values_list("worker", flat=True))
    check_invariants(run)
    assert len(workers_used) >= 1


@pytest.mark.crash
def test_killing_workers_at_random_points_loses_and_duplicates_nothing() -> None:
    # Enough chunks that the run outlasts several kills however fast the machine is (with 15
    # households a quiet machine finished it after two).
    run = approved_run(households=40, chunk_size=2)
    start_run(run=run, by=None, enqueue=False)
    rng = random.Random(7)  # noqa: S311
    kills = 0
    for round_ in range(80):
        run.refresh_from_db()
        if run.status == IssuanceRun.Status.EXECUTED:
            break
        last = round_ >= 60
        env = worker_env(
            BATCH_LEASE_SECONDS="0",  # one worker at a time: a dead worker's chunk is free at once
            BATCH_CRASH_RATE="0" if last or round_ % 2 else "0.04",
            BATCH_CRASH_SEED=str(round_),
        )
        worker = subprocess.Popen(
            manage("execute_run", str(run.pk), "--inline", "--no-progress"),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if round_ % 2 and not last:
            # Every other round: SIGKILL from outside after a random moment.
            time.sleep(rng.uniform(0.8, 2.5))
            if worker.poll() is None:
                os.kill(worker.pid, signal.SIGKILL)
        _, err = worker.communicate(timeout=120)
        if worker.returncode == -signal.SIGKILL:
            kills += 1
        else:
            assert worker.returncode in (0, 1), err.decode()
    assert kills >= 3, "the loop should have killed workers several times"
    check_invariants(run)
