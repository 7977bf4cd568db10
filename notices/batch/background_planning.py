"""Planning a run after the request has answered, for wards too large to plan within a page.

Planning is one transaction (ADR 0012): until it commits, nobody sees the run. So the state of a
planning in progress lives in a small JSON file per month and kind under BATCH_DIR/planning/
(status, persons assessed so far, the run once planned, or why it failed), written by a thread of
the web process, as imports are run (ADR 0009), and read by the planning page, which polls it.
If the process dies, the transaction is rolled back and the file stops changing: after
STALLED_AFTER the page says so and planning can be started again. Tests run it inline
(`BATCH_PLAN_IN_BACKGROUND = False`).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connections
from django.utils import translation

from notices.batch.planning import plan_run
from notices.models import IssuanceRun

logger = logging.getLogger(__name__)

STALLED_AFTER = 10 * 60  # seconds without a progress write
_WRITE_EVERY = 0.5  # seconds between progress writes
RUNNING, DONE, FAILED = "running", "done", "failed"


def in_background() -> bool:
    return bool(getattr(settings, "BATCH_PLAN_IN_BACKGROUND", True))


def _path(period: date, kind: str) -> Path:
    if kind not in IssuanceRun.Kind.values:  # the file name comes from the URL
        raise ValueError(kind)
    return Path(settings.BATCH_DIR) / "planning" / f"{period:%Y-%m}-{kind}.json"


@dataclass(frozen=True)
class Planning:
    status: str  # running, done, failed (or stalled: running with no word for too long)
    done: int = 0
    total: int = 0
    run: int | None = None
    created: bool = True
    messages: tuple[str, ...] = ()
    by: str = ""
    at: float = 0.0  # last write, epoch seconds

    @property
    def stalled(self) -> bool:
        return self.status == RUNNING and time.time() - self.at > STALLED_AFTER

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else 0


def read(period: date, kind: str) -> Planning | None:
    try:
        data = json.loads(_path(period, kind).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Planning(
        status=str(data.get("status", FAILED)),
        done=int(data.get("done", 0)),
        total=int(data.get("total", 0)),
        run=data.get("run"),
        created=bool(data.get("created", True)),
        messages=tuple(data.get("messages", ())),
        by=str(data.get("by", "")),
        at=float(data.get("at", 0)),
    )


def _write(period: date, kind: str, **state: Any) -> None:
    """Replace the state file atomically (a reader never sees half of it)."""
    path = _path(period, kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".planning-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump({**state, "at": time.time()}, out, ensure_ascii=False)
    os.replace(temporary, path)


def start(*, period: date, kind: str, as_of: date, by: Any, replan: bool) -> bool:
    """Plan in a thread (or now, when not in the background); False when a planning of that
    month and kind is already running (the caller shows that one)."""
    current = read(period, kind)
    if current is not None and current.status == RUNNING and not current.stalled:
        return False
    username = by.get_username()
    _write(period, kind, status=RUNNING, done=0, total=0, by=username)
    language = translation.get_language()
    user_id = by.pk

    def target() -> None:
        last = [0.0]

        def progress(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] >= _WRITE_EVERY or done >= total:
                last[0] = now
                _write(period, kind, status=RUNNING, done=done, total=total, by=username)

        try:
            with translation.override(language):
                user = get_user_model().objects.get(pk=user_id)
                result = plan_run(
                    period=period,
                    kind=kind,
                    as_of=as_of,
                    by=user,
                    replan=replan,
                    progress=progress,
                )
            run = result.run
            _write(
                period,
                kind,
                status=DONE,
                done=run.assessed,
                total=run.assessed,
                run=run.pk,
                created=result.created,
                by=username,
            )
        except ValidationError as error:
            _write(period, kind, status=FAILED, messages=list(error.messages), by=username)
        except Exception as error:
            logger.exception("planning %s %s failed", f"{period:%Y-%m}", kind)
            _write(period, kind, status=FAILED, messages=[type(error).__name__], by=username)
        finally:
            if in_background():
                connections.close_all()

    if not in_background():
        target()
        return True
    close_old_connections()
    threading.Thread(target=target, name=f"plan-{period:%Y-%m}-{kind}", daemon=True).start()
    return True


def forget(period: date, kind: str) -> None:
    """Drop a finished planning's state (once its page has led to the run)."""
    _path(period, kind).unlink(missing_ok=True)
