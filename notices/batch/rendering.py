"""Execute a claimed chunk: issue each document (one commit per person, through the same
services as the counter), then write the chunk's print file, then — only then — mark the chunk
and its items done in one transaction with the file's checksum.

Re-running is safe at every point: issuing is idempotent per person, day and reason (ADR 0006)
and an item that is already issued is skipped; the print file is rendered from the items' stored
snapshots with ReportLab's invariant mode, so a retry writes the same bytes to the same name.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from reportlab import rl_config

from cards.services import issue_certificate, reserve_certificate_numbers
from notices.batch.claiming import Claim, crash_point, still_mine
from notices.batch.issuing import block_numbers, issue_items
from notices.batch.snapshots import document_from_json, document_to_json, from_json
from notices.documents import render_many
from notices.documents.builders import certificate_snapshot, notice_snapshot
from notices.documents.snapshots import DocumentSnapshot
from notices.models import IssuanceChunk, IssuanceItem, IssuanceRun, IssuedFile
from notices.services import hand_out_notice

logger = logging.getLogger(__name__)
RENEW_LEASE_EVERY = 25


@dataclass(frozen=True, slots=True)
class ChunkOutcome:
    chunk_id: int
    issued: int
    failed: int
    documents: int
    finished: bool  # False: the chunk was taken over by another worker


def run_dir(run: IssuanceRun) -> Path:
    path = Path(settings.BATCH_DIR) / f"{run.period:%Y-%m}-{run.kind}-{run.pk}"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def print_file_name(chunk: IssuanceChunk) -> str:
    return f"{chunk.document}-{chunk.volume:03d}.pdf"


def process_chunk(claim: Claim) -> ChunkOutcome:
    """Issue, print and finish a claimed chunk: in bulk, in one transaction (below); person by
    person through the services if the bulk path fails for a reason it cannot put on one item
    (the database refusing a write, say), so one odd record cannot stop a run."""
    chunk = IssuanceChunk.objects.select_related("run", "run__run_by").get(pk=claim.chunk_id)
    run = chunk.run
    crash_point("claimed")
    try:
        outcome = _process_in_bulk(claim, chunk, run)
    except Exception:
        logger.exception("chunk %s: bulk issuing failed; issuing person by person", chunk.pk)
        outcome = _process_per_person(claim, chunk, run)
    if outcome.finished:
        finish_run_if_complete(run.pk)
    return outcome


def _process_in_bulk(claim: Claim, chunk: IssuanceChunk, run: IssuanceRun) -> ChunkOutcome:
    """The chunk as one unit of work: its documents issued, the print file written and the
    chunk marked done commit together, or none of it does (a crash anywhere leaves the chunk
    as it was, to be done again). The chunk row stays locked meanwhile, so no other worker
    takes it even when the lease runs out. The plain activation codes exist only in memory
    until they are printed; the file is in place before the commit."""
    block = _reserve_numbers(claim, chunk, run)
    if block is None:
        return ChunkOutcome(chunk.pk, 0, 0, 0, False)
    crash_point("reserved")
    path = run_dir(run) / print_file_name(chunk)
    with transaction.atomic():
        mine = IssuanceChunk.objects.select_for_update().filter(
            pk=chunk.pk, status=IssuanceChunk.Status.PROCESSING, attempts=claim.attempt
        )
        if not mine.exists():
            return ChunkOutcome(chunk.pk, 0, 0, 0, False)
        items = list(IssuanceItem.objects.filter(chunk=chunk).order_by("position", "pk"))
        numbers = block_numbers(
            block[0], block[1], run.as_of, [i.pk for i in items if i.document == "certificate"]
        )
        was_printable = {
            i.pk
            for i in items
            if i.status in (IssuanceItem.Status.ISSUED, IssuanceItem.Status.DONE)
            and "document" in i.snapshot
        }
        pending = [i for i in items if i.status == IssuanceItem.Status.PENDING]
        issued = issue_items(run=run, items=pending, numbers=numbers)
        crash_point("issued")
        snapshots = [
            issued.snapshots[i.pk]
            if i.pk in issued.snapshots
            else document_from_json(chunk.document, i.snapshot["document"])
            for i in items
            if i.pk in issued.snapshots or i.pk in was_printable
        ]
        documents = pages = 0
        if snapshots:
            with _invariant():
                rendered = render_many(snapshots, path)
            documents, pages = rendered.documents, rendered.pages
            crash_point("rendered")
        mine.update(status=IssuanceChunk.Status.DONE, finished_at=timezone.now(), lease_until=None)
        _record_file(run, chunk, path, documents, pages)
        IssuanceItem.objects.filter(chunk=chunk, status=IssuanceItem.Status.ISSUED).update(
            status=IssuanceItem.Status.DONE
        )
        crash_point("before_commit")
    crash_point("committed")
    return ChunkOutcome(chunk.pk, issued.issued, issued.failed, documents, True)


def _reserve_numbers(
    claim: Claim, chunk: IssuanceChunk, run: IssuanceRun
) -> tuple[int | None, int] | None:
    """The chunk's block of certificate numbers (first, count), reserved on its first attempt
    in a short transaction of its own and reused by every later one; None if the chunk is no
    longer this worker's."""
    with transaction.atomic():
        row = (
            IssuanceChunk.objects.select_for_update()
            .filter(pk=chunk.pk, status=IssuanceChunk.Status.PROCESSING, attempts=claim.attempt)
            .values_list("numbers_from", "numbers_count")
            .first()
        )
        if row is None:
            return None
        if row[0] is not None or chunk.document != "certificate":
            return row
        count = IssuanceItem.objects.filter(chunk=chunk, document="certificate").count()
        if not count:
            return row
        first = reserve_certificate_numbers(count, run.as_of)
        IssuanceChunk.objects.filter(pk=chunk.pk).update(numbers_from=first, numbers_count=count)
        return first, count


def _record_file(
    run: IssuanceRun, chunk: IssuanceChunk, path: Path, documents: int, pages: int
) -> None:
    IssuedFile.objects.filter(chunk=chunk).delete()
    if not documents:
        return
    data = path.read_bytes()
    IssuedFile.objects.create(
        run=run,
        chunk=chunk,
        kind=IssuedFile.Kind.PRINT,
        name=path.name,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        documents=documents,
        pages=pages,
    )


def _process_per_person(claim: Claim, chunk: IssuanceChunk, run: IssuanceRun) -> ChunkOutcome:
    """The fallback: one commit per person through the services (no activation codes), then
    the print file from the stored snapshots, then the chunk marked done."""
    issued = failed = 0
    pending = list(
        IssuanceItem.objects.filter(chunk=chunk, status=IssuanceItem.Status.PENDING)
        .select_related("person")
        .order_by("position")
    )
    for n, item in enumerate(pending):
        if n % RENEW_LEASE_EVERY == 0 and not still_mine(claim):
            return ChunkOutcome(chunk.pk, issued, failed, 0, False)
        if _issue(run, item):
            issued += 1
        else:
            failed += 1
        crash_point("issued")
    if not still_mine(claim):
        return ChunkOutcome(chunk.pk, issued, failed, 0, False)
    printable = IssuanceItem.objects.filter(
        chunk=chunk, status__in=[IssuanceItem.Status.ISSUED, IssuanceItem.Status.DONE]
    )
    path = run_dir(run) / print_file_name(chunk)
    documents = pages = 0
    if printable.exists():
        result = _render(chunk.document, printable.order_by("position"), path)
        documents, pages = result.documents, result.pages
        crash_point("rendered")
    with transaction.atomic():
        # The fence: only the holder of the latest claim finishes the chunk.
        mine = IssuanceChunk.objects.filter(
            pk=chunk.pk, status=IssuanceChunk.Status.PROCESSING, attempts=claim.attempt
        ).update(status=IssuanceChunk.Status.DONE, finished_at=timezone.now(), lease_until=None)
        if not mine:
            return ChunkOutcome(chunk.pk, issued, failed, 0, False)
        IssuedFile.objects.filter(chunk=chunk).delete()
        if documents:
            data = path.read_bytes()
            IssuedFile.objects.create(
                run=run,
                chunk=chunk,
                kind=IssuedFile.Kind.PRINT,
                name=path.name,
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                documents=documents,
                pages=pages,
            )
        printable.filter(status=IssuanceItem.Status.ISSUED).update(status=IssuanceItem.Status.DONE)
        crash_point("before_commit")
    crash_point("committed")
    return ChunkOutcome(chunk.pk, issued, failed, documents, True)


def _issue(run: IssuanceRun, item: IssuanceItem) -> bool:
    """Issue the item's document and store its final snapshot, in one commit. False (and the
    item marked failed, with why) when the services refuse or the database does."""
    try:
        with transaction.atomic():
            frozen = item.snapshot
            person_fields = from_json(frozen["person"])
            if item.document == "certificate":
                certificate = issue_certificate(
                    person=item.person, by=run.run_by, as_of=run.as_of, reason=item.reason
                )
                snap: DocumentSnapshot = dataclasses.replace(
                    certificate_snapshot(certificate), **person_fields
                )
                links: dict[str, Any] = {"certificate": certificate}
            else:
                notice = hand_out_notice(
                    person=item.person, by=run.run_by, as_of=run.as_of, reason=item.reason
                )
                snap = dataclasses.replace(
                    notice_snapshot(notice),
                    **person_fields,
                    addressee_name=frozen["addressee_name"],
                )
                links = {"notice": notice}
            updated = IssuanceItem.objects.filter(
                pk=item.pk, status=IssuanceItem.Status.PENDING
            ).update(
                status=IssuanceItem.Status.ISSUED,
                snapshot={**frozen, "document": document_to_json(snap)},
                error="",
                **links,
            )
            if not updated:
                raise _AlreadyDone
    except _AlreadyDone:
        return True
    except ValidationError as error:
        _fail(item, "; ".join(error.messages))
        return False
    except IntegrityError:
        _fail(item, "already issued for the same reason and trigger by another run")
        return False
    except Exception as error:  # one person's failure must not stop the chunk
        logger.exception("issuance item %s failed", item.pk)
        _fail(item, f"{type(error).__name__}: {error}")
        return False
    return True


class _AlreadyDone(Exception):
    pass


def _fail(item: IssuanceItem, message: str) -> None:
    IssuanceItem.objects.filter(pk=item.pk, status=IssuanceItem.Status.PENDING).update(
        status=IssuanceItem.Status.FAILED, error=message[:2000]
    )


def _render(document: str, items: Any, path: Path) -> Any:
    def snapshots() -> Iterator[DocumentSnapshot]:
        for values in items.values_list("snapshot", flat=True).iterator(chunk_size=500):
            yield document_from_json(document, values["document"])

    with _invariant():
        return render_many(snapshots(), path)


@contextlib.contextmanager
def _invariant() -> Iterator[None]:
    """ReportLab's invariant mode (fixed dates and ids): the same snapshots give the same bytes,
    so a chunk rendered again after a crash overwrites its file with an identical one."""
    before = rl_config.invariant
    rl_config.invariant = 1
    try:
        yield
    finally:
        rl_config.invariant = before


def finish_run_if_complete(run_id: int) -> bool:
    open_chunks = IssuanceChunk.objects.filter(run_id=run_id).exclude(
        status=IssuanceChunk.Status.DONE
    )
    if open_chunks.exists():
        return False
    return bool(
        IssuanceRun.objects.filter(pk=run_id, status=IssuanceRun.Status.RUNNING).update(
            status=IssuanceRun.Status.EXECUTED, finished_at=timezone.now()
        )
    )
