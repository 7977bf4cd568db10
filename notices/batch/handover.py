"""Hand a run over to the print vendor: check every print file against its checksum, write the
mailing list (one envelope per household, to the householder) and the manifest, and mark the
run handed over. Idempotent: handing over twice returns what the first wrote."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.batch.rendering import run_dir
from notices.models import IssuanceItem, IssuanceRun, IssuedFile
from sumida_kokuho import audit

logger = logging.getLogger(__name__)

MAILING_NAME = "mailing.csv"
MANIFEST_NAME = "manifest.json"
DOCUMENT_TITLES = {"certificate": "資格確認書", "notice": "資格情報のお知らせ"}
MAILING_COLUMNS = [
    "envelope",
    "postal_code",
    "address",
    "addressee",
    "enclosures",
    "enclosure_list",
]


@dataclass(frozen=True, slots=True)
class Handover:
    run: IssuanceRun
    directory: Path
    files: list[IssuedFile]
    envelopes: int


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_files(run: IssuanceRun) -> list[str]:
    """Problems with the run's files: missing, or a checksum that is not the recorded one."""
    directory = run_dir(run)
    problems = []
    for file in run.files.all():
        path = directory / file.name
        if not path.exists():
            problems.append(_("%(name)s is missing.") % {"name": file.name})
        elif sha256_of(path) != file.sha256:
            problems.append(_("%(name)s does not match its checksum.") % {"name": file.name})
    return problems


def remove_orphans(run: IssuanceRun) -> list[str]:
    """Delete files in the run's directory that no IssuedFile names (half-written temporary
    files of a killed worker); returns their names, which are logged."""
    directory = run_dir(run)
    known = set(run.files.values_list("name", flat=True))
    removed = []
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.name not in known:
            path.unlink()
            removed.append(path.name)
    if removed:
        logger.warning("run %s: removed %d orphaned files: %s", run.pk, len(removed), removed)
    return removed


def hand_over(*, run: IssuanceRun, by: Any) -> Handover:
    with transaction.atomic():
        run = IssuanceRun.objects.select_for_update().get(pk=run.pk)
        directory = run_dir(run)
        if run.status == IssuanceRun.Status.HANDED_OVER:
            return _result(run, directory)
        if run.status != IssuanceRun.Status.EXECUTED:
            raise ValidationError(
                _("The run has not finished executing (status: %(status)s).")
                % {"status": run.get_status_display()},
                code="not_executed",
            )
        remove_orphans(run)
        problems = verify_files(run)
        if problems:
            raise ValidationError(problems, code="checksum")
        IssuedFile.objects.filter(
            run=run, kind__in=[IssuedFile.Kind.MAILING, IssuedFile.Kind.MANIFEST]
        ).delete()
        mailing, envelopes = _mailing_csv(run)
        mailing_file = _store(run, directory, MAILING_NAME, mailing, IssuedFile.Kind.MAILING)
        manifest = _manifest(run, envelopes)
        manifest_file = _store(run, directory, MANIFEST_NAME, manifest, IssuedFile.Kind.MANIFEST)
        run.status = IssuanceRun.Status.HANDED_OVER
        run.handed_over_by = by if getattr(by, "is_authenticated", False) else None
        run.handed_over_at = timezone.now()
        run.manifest_sha256 = manifest_file.sha256
        run.save(update_fields=["status", "handed_over_by", "handed_over_at", "manifest_sha256"])
        audit.record(
            actor=by,
            action="hand_over",
            obj=run,
            detail={
                "envelopes": envelopes,
                "documents": run.items.filter(status=IssuanceItem.Status.DONE).count(),
                "files": [f.name for f in run.files.all()],
                "manifest_sha256": manifest_file.sha256,
                "mailing_sha256": mailing_file.sha256,
            },
        )
    return _result(run, directory)


def _result(run: IssuanceRun, directory: Path) -> Handover:
    envelopes = (
        run.items.filter(status=IssuanceItem.Status.DONE).values("envelope").distinct().count()
    )
    return Handover(run, directory, list(run.files.order_by("name")), envelopes)


def _store(run: IssuanceRun, directory: Path, name: str, data: bytes, kind: str) -> IssuedFile:
    path = directory / name
    temp = directory / f".{name}.part"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    return IssuedFile.objects.create(
        run=run, kind=kind, name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data)
    )


def _mailing_csv(run: IssuanceRun) -> tuple[bytes, int]:
    """One line per envelope, in print order (postal code, then household): UTF-8 with a BOM,
    which the vendors' spreadsheet tools open as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MAILING_COLUMNS)
    rows = (
        IssuanceItem.objects.filter(run=run, status=IssuanceItem.Status.DONE)
        .order_by("envelope", "document", "position")
        .values_list("envelope", "document", "snapshot", "chunk__volume")
    )
    envelopes = 0
    for envelope, items in groupby(rows.iterator(chunk_size=2000), key=lambda r: r[0]):
        members = list(items)
        first = members[0][2]
        person = first["person"]
        enclosures = [
            f"{DOCUMENT_TITLES[doc]} {snap['person']['symbol']}-{snap['person']['number']}-"
            f"{snap['person']['branch']} ({doc}-{volume:03d})"
            for _, doc, snap, volume in members
        ]
        writer.writerow(
            [
                envelope,
                person["postal_code"],
                person["address"],
                first["addressee_name"],
                len(members),
                "; ".join(enclosures),
            ]
        )
        envelopes += 1
    return out.getvalue().encode("utf-8-sig"), envelopes


def _manifest(run: IssuanceRun, envelopes: int) -> bytes:
    files = [
        {
            "name": f.name,
            "kind": f.kind,
            "document": f.chunk.document if f.chunk else None,
            "volume": f.chunk.volume if f.chunk else None,
            "documents": f.documents,
            "pages": f.pages,
            "bytes": f.size,
            "sha256": f.sha256,
        }
        for f in run.files.select_related("chunk").order_by("name")
    ]
    manifest = {
        "insurer": "Sumida Kokuho",
        "run": run.pk,
        "period": run.period.isoformat(),
        "kind": run.kind,
        "as_of": run.as_of.isoformat(),
        "envelopes": envelopes,
        "documents": run.items.filter(status=IssuanceItem.Status.DONE).count(),
        "files": files,
    }
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
