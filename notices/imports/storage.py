"""Where an import's files live: var/imports/runs/<id>/ holds the uploaded file while a preview
waits for confirmation, the rejected lines, the full error report and the progress of a run.

The folder is `settings.DATA_IMPORT_DIR` when set (the tests point it at a temporary folder),
else var/imports/ in the project, which is not committed and not served.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

from notices.imports.errors import LineError

# The upload limit (ward files are a few MB per 10,000 lines; a million-line master is ~150 MB).
DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024
_BLOCK = 1 << 20


def max_upload_bytes() -> int:
    return int(getattr(settings, "DATA_IMPORT_MAX_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


def root() -> Path:
    configured = getattr(settings, "DATA_IMPORT_DIR", None)
    return Path(configured) if configured else Path(settings.BASE_DIR) / "var" / "imports"


def run_dir(run_id: int) -> Path:
    folder = root() / "runs" / str(run_id)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def store_chunks(chunks: Iterable[bytes], run_id: int) -> tuple[Path, str, int]:
    """Write an uploaded file into the run's folder; returns (path, sha256, size)."""
    path = run_dir(run_id) / "upload.csv"
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as handle:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            handle.write(chunk)
    os.chmod(path, 0o600)
    return path, digest.hexdigest(), size


def remove(path_text: str) -> None:
    if path_text:
        Path(path_text).unlink(missing_ok=True)


# --- the error report: every error of a run, one JSON object per line -----------------------


class ErrorReport:
    """Appends errors to runs/<id>/errors.jsonl while keeping the first ones in memory."""

    def __init__(self, path: Path | None, keep: int) -> None:
        self.path = path
        self.keep = keep
        self.first: list[LineError] = []
        self.count = 0
        self._handle = path.open("w", encoding="utf-8") if path is not None else None

    def add(self, errors: Iterable[LineError]) -> None:
        for error in errors:
            self.count += 1
            if len(self.first) < self.keep:
                self.first.append(error)
            if self._handle is not None:
                self._handle.write(json.dumps(error.as_json(), ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read_report(path_text: str) -> Iterator[LineError]:
    if not path_text or not Path(path_text).exists():
        return
    with Path(path_text).open(encoding="utf-8") as handle:
        for line in handle:
            yield LineError.from_json(json.loads(line))


# --- progress, for the admin page while a run works in the background ------------------------


def write_progress(run_id: int, phase: str, done: int, total: int) -> None:
    folder = run_dir(run_id)
    data = {"phase": phase, "done": done, "total": total, "at": time.time()}
    # Written beside and renamed over: a reader never sees half a file.
    with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp") as handle:
        json.dump(data, handle)
    os.replace(handle.name, folder / "progress.json")


def read_progress(run_id: int) -> dict[str, Any] | None:
    path = root() / "runs" / str(run_id) / "progress.json"
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError):
        return None
