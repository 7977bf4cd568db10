"""Where a run stands (for the command's progress bar and the admin page), and retrying the
failed items."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max
from django.utils.translation import gettext as _

from notices.models import IssuanceChunk, IssuanceItem, IssuanceRun
from sumida_kokuho import audit


@dataclass(frozen=True, slots=True)
class Progress:
    status: str
    planned: int
    done: int
    issued: int  # issued, waiting for the chunk's print file
    failed: int
    pending: int
    chunks: int
    chunks_done: int
    chunks_processing: int

    @property
    def percent(self) -> int:
        finished = self.done + self.failed
        return 100 if not self.planned else int(100 * finished / self.planned)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "percent": self.percent}


def run_progress(run: IssuanceRun) -> Progress:
    items = dict(
        IssuanceItem.objects.filter(run_id=run.pk)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    chunks = dict(
        IssuanceChunk.objects.filter(run_id=run.pk)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    status = IssuanceRun.objects.filter(pk=run.pk).values_list("status", flat=True).get()
    return Progress(
        status=status,
        planned=sum(items.values()),
        done=items.get(IssuanceItem.Status.DONE, 0),
        issued=items.get(IssuanceItem.Status.ISSUED, 0),
        failed=items.get(IssuanceItem.Status.FAILED, 0),
        pending=items.get(IssuanceItem.Status.PENDING, 0),
        chunks=sum(chunks.values()),
        chunks_done=chunks.get(IssuanceChunk.Status.DONE, 0),
        chunks_processing=chunks.get(IssuanceChunk.Status.PROCESSING, 0),
    )


def failures(run: IssuanceRun, limit: int = 200) -> list[IssuanceItem]:
    return list(
        IssuanceItem.objects.filter(run=run, status=IssuanceItem.Status.FAILED)
        .select_related("person")
        .order_by("pk")[:limit]
    )


def retry_failed(*, run: IssuanceRun, by: Any) -> int:
    """Put the failed items back as pending, in new chunks (new print-file volumes), and mark
    the run running again; returns how many. The caller then starts the run (enqueues)."""
    with transaction.atomic():
        run = IssuanceRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in (IssuanceRun.Status.RUNNING, IssuanceRun.Status.EXECUTED):
            raise ValidationError(
                _("Only a run that has been executed can retry its failures."), code="status"
            )
        failed = IssuanceItem.objects.filter(run=run, status=IssuanceItem.Status.FAILED)
        documents = sorted(set(failed.values_list("document", flat=True)))
        if not documents:
            return 0
        top = IssuanceChunk.objects.filter(run=run).aggregate(seq=Max("seq"))["seq"] or 0
        retried = 0
        for offset, document in enumerate(documents, start=1):
            volume = (
                IssuanceChunk.objects.filter(run=run, document=document).aggregate(v=Max("volume"))[
                    "v"
                ]
                or 0
            ) + 1
            chunk = IssuanceChunk.objects.create(
                run=run, document=document, seq=top + offset, volume=volume
            )
            n = failed.filter(document=document).update(
                status=IssuanceItem.Status.PENDING, chunk=chunk
            )
            IssuanceChunk.objects.filter(pk=chunk.pk).update(items_count=n)
            retried += n
        run.status = IssuanceRun.Status.RUNNING
        run.finished_at = None
        run.save(update_fields=["status", "finished_at"])
        audit.record(actor=by, action="retry", obj=run, detail={"items": retried})
    return retried
