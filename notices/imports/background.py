"""Running an import after the upload request has answered, so the page can show progress.

A thread in the web process, not a task queue: imports are rare (a few files a month, started by
an administrator), and a thread needs nothing else running. If the process dies mid-import the
transaction is rolled back by the database and the run, no longer making progress, is marked
failed the next time its page is opened (`mark_if_stalled`). Tests and the demo can run imports
inline with `DATA_IMPORTS_IN_BACKGROUND = False` (ADR 0009).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone, translation

from notices.imports import storage
from notices.models import ImportRun

logger = logging.getLogger(__name__)

# A run that has written no progress for this long is taken as interrupted.
STALLED_AFTER = timedelta(minutes=10)
_PROGRESS_EVERY_SECONDS = 0.5


def in_background() -> bool:
    return bool(getattr(settings, "DATA_IMPORTS_IN_BACKGROUND", True))


def progress_writer(run_id: int) -> Callable[[str, int, int], None]:
    """A progress callback that writes the run's progress file at most twice a second."""
    last = [0.0]

    def write(phase: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] >= _PROGRESS_EVERY_SECONDS or done >= total:
            last[0] = now
            storage.write_progress(run_id, phase, done, total)

    return write


def start(run_id: int, job: Callable[[], object]) -> None:
    """Run `job` (which finishes the run itself) now or in a thread, in the current language."""
    language = translation.get_language()

    def target() -> None:
        try:
            with translation.override(language):
                job()
                if in_background():
                    count_statistics_after(run_id)
        except Exception:
            logger.exception("import run %s failed", run_id)
            ImportRun.objects.filter(pk=run_id).exclude(status__in=_FINISHED).update(
                status=ImportRun.Status.FAILED, finished_at=timezone.now()
            )
        finally:
            if in_background():
                connections.close_all()

    if not in_background():
        target()
        return
    close_old_connections()
    threading.Thread(target=target, name=f"import-run-{run_id}", daemon=True).start()


def count_statistics_after(run_id: int) -> None:
    """After an import that changed records, count the statistics page's figures again (the
    import dropped the kept ones), so that the next visitor does not wait for the count. A
    failure here is logged; the import stays as it finished."""
    from notices.stats.tables import counted_tables  # the statistics need the full app

    finished = ImportRun.objects.filter(pk=run_id).values_list("status", "created", "updated")
    row = finished.first()
    if row is None or row[0] not in (ImportRun.Status.COMMITTED, ImportRun.Status.PARTIAL):
        return
    if not (row[1] or row[2]):
        return
    try:
        counted_tables(timezone.localdate())
    except Exception:
        logger.exception("statistics not counted after import run %s", run_id)


_FINISHED = (
    ImportRun.Status.PREVIEWED,
    ImportRun.Status.CHECKED,
    ImportRun.Status.COMMITTED,
    ImportRun.Status.PARTIAL,
    ImportRun.Status.REJECTED,
    ImportRun.Status.FAILED,
    ImportRun.Status.DISCARDED,
)


def mark_if_stalled(run: ImportRun) -> ImportRun:
    """A checking or running run with no progress for STALLED_AFTER is marked failed."""
    if run.is_finished:
        return run
    progress = storage.read_progress(run.pk)
    last = progress["at"] if progress else run.started_at.timestamp()
    if time.time() - last < STALLED_AFTER.total_seconds():
        return run
    updated = ImportRun.objects.filter(pk=run.pk, status=run.status).update(
        status=ImportRun.Status.FAILED,
        finished_at=timezone.now(),
        message="interrupted: no progress for 10 minutes",
    )
    if updated:
        run.refresh_from_db()
    return run
