"""Workers claim chunks: SELECT … FOR UPDATE SKIP LOCKED to find one, then a conditional UPDATE
that only succeeds if nobody changed it meanwhile (on SQLite, which has no row locks, the
conditional UPDATE alone decides). A claim carries its attempt number: every later write of that
worker is conditional on it, so a worker whose lease ran out and whose chunk was taken over
cannot mark the chunk done (a fencing token)."""

from __future__ import annotations

import os
import random
import signal
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notices.models import IssuanceChunk


@dataclass(frozen=True, slots=True)
class Claim:
    chunk_id: int
    attempt: int
    worker: str


def _claimable(now: object) -> Q:
    return Q(status=IssuanceChunk.Status.PENDING) | Q(
        status=IssuanceChunk.Status.PROCESSING, lease_until__lt=now
    )


def claim_chunk(*, run_id: int, worker: str, chunk_id: int | None = None) -> Claim | None:
    """Claim the first claimable chunk of the run (or that chunk), or None if there is none."""
    for _attempt in range(5):  # lost a race on SQLite: look again
        now = timezone.now()
        chunks = IssuanceChunk.objects.filter(_claimable(now), run_id=run_id)
        if chunk_id is not None:
            chunks = chunks.filter(pk=chunk_id)
        with transaction.atomic():
            found = (
                chunks.select_for_update(skip_locked=True)
                .order_by("seq")
                .values_list("pk", "attempts")
                .first()
            )
            if found is None:
                return None
            pk, attempts = found
            claimed = IssuanceChunk.objects.filter(
                _claimable(now), pk=pk, attempts=attempts
            ).update(
                status=IssuanceChunk.Status.PROCESSING,
                attempts=attempts + 1,
                worker=worker[:64],
                lease_until=now + timedelta(seconds=settings.BATCH_LEASE_SECONDS),
            )
        if claimed:
            return Claim(pk, attempts + 1, worker)
    return None


def still_mine(claim: Claim) -> bool:
    """Extend the lease; False if the chunk was taken over (then stop working on it)."""
    lease = timezone.now() + timedelta(seconds=settings.BATCH_LEASE_SECONDS)
    return bool(
        IssuanceChunk.objects.filter(
            pk=claim.chunk_id, status=IssuanceChunk.Status.PROCESSING, attempts=claim.attempt
        ).update(lease_until=lease)
    )


def release_leases(run_id: int) -> int:
    """Give every chunk in progress back to the pool, for when no worker is running (after a
    crash, instead of waiting for the leases to run out). The attempt numbers stay, so a worker
    that is in fact still running cannot finish its chunk."""
    return IssuanceChunk.objects.filter(
        run_id=run_id, status=IssuanceChunk.Status.PROCESSING
    ).update(status=IssuanceChunk.Status.PENDING, lease_until=None)


# --- fault injection for the crash tests ------------------------------------------------------

_CRASH_RATE = float(os.environ.get("BATCH_CRASH_RATE", "0") or 0)
_crash_random = random.Random(os.environ.get("BATCH_CRASH_SEED", "0"))  # noqa: S311 (tests only)


def crash_point(step: str) -> None:
    """With BATCH_CRASH_RATE set (tests only), kill this process with SIGKILL at some step
    boundaries, chosen by BATCH_CRASH_SEED: nothing is flushed, nothing rolled back cleanly."""
    if _CRASH_RATE and _crash_random.random() < _CRASH_RATE:
        os.kill(os.getpid(), signal.SIGKILL)
