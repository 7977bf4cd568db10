"""The chunk as a background task, written against Django's tasks API.

On Django 5.2 the API comes from the `django-tasks` backport; on Django 6 it is `django.tasks`,
and this module works unchanged. The backend is settings.TASKS: `django_tasks_db` (rows in the
database that any number of `manage.py db_worker` processes share) or the immediate backend
(the task runs inside enqueue()).

A task carries only ids. The state of the work is in IssuanceChunk rows, not in the task
queue: a task whose chunk is already done or held by a live worker does nothing, and a worker
killed mid-task leaves a task result stuck "running" but a chunk whose lease runs out — resuming
(`execute_run` again) enqueues tasks for every chunk not done.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from django.db import transaction
from django.utils import timezone

try:  # Django 6
    from django.tasks import task  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # Django 5.2 with the backport
    from django_tasks import task

from notices.batch.claiming import claim_chunk
from notices.batch.rendering import ChunkOutcome, finish_run_if_complete, process_chunk
from notices.models import IssuanceChunk, IssuanceRun
from sumida_kokuho import audit

QUEUE = "issuance"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@task(queue_name=QUEUE)
def execute_chunk(run_id: int, chunk_id: int) -> dict[str, Any]:
    """Claim and execute one chunk of a run, if nobody else holds it."""
    claim = claim_chunk(run_id=run_id, worker=worker_name(), chunk_id=chunk_id)
    if claim is None:
        return {"chunk": chunk_id, "claimed": False}
    outcome = process_chunk(claim)
    return {
        "chunk": chunk_id,
        "claimed": True,
        "finished": outcome.finished,
        "issued": outcome.issued,
        "failed": outcome.failed,
    }


def work_inline(
    run_id: int, *, worker: str | None = None, max_chunks: int | None = None
) -> list[ChunkOutcome]:
    """Execute chunks in this process until none is left to claim (the same code the tasks
    run; `execute_run --inline`, the tests and the bench use it)."""
    worker = worker or worker_name()
    outcomes = []
    while max_chunks is None or len(outcomes) < max_chunks:
        claim = claim_chunk(run_id=run_id, worker=worker)
        if claim is None:
            break
        outcomes.append(process_chunk(claim))
    finish_run_if_complete(run_id)
    return outcomes


class NotApproved(Exception):
    pass


def start_run(*, run: IssuanceRun, by: Any, enqueue: bool = True) -> int:
    """Mark an approved run running and enqueue a task for every chunk not done; returns how
    many were enqueued. Starting again (resuming) is safe at any time."""
    with transaction.atomic():
        run = IssuanceRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in (IssuanceRun.Status.APPROVED, IssuanceRun.Status.RUNNING):
            if run.status in (IssuanceRun.Status.EXECUTED, IssuanceRun.Status.HANDED_OVER):
                return 0
            raise NotApproved(run.get_status_display())
        if run.status == IssuanceRun.Status.APPROVED:
            run.status = IssuanceRun.Status.RUNNING
            run.run_by = by if getattr(by, "is_authenticated", False) else None
            run.started_at = timezone.now()
            run.save(update_fields=["status", "run_by", "started_at"])
            audit.record(actor=by, action="execute", obj=run, detail={"planned": run.planned})
    if finish_run_if_complete(run.pk):  # a run with no documents at all
        return 0
    chunk_ids = list(
        IssuanceChunk.objects.filter(run=run)
        .exclude(status=IssuanceChunk.Status.DONE)
        .order_by("seq")
        .values_list("pk", flat=True)
    )
    if enqueue:
        for chunk_id in chunk_ids:
            execute_chunk.enqueue(run.pk, chunk_id)
    return len(chunk_ids)
