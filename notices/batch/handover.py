"""Hand a run over to the print vendor: check every print file against its checksum, merge the
chunks' print files into one print-ready PDF per document kind in postal-code order (streaming,
notices/batch/merging.py), write the mailing list (one envelope per household, to the
householder, with the pages of each enclosure) and the manifest, and mark the run handed over.
Idempotent: handing over twice returns what the first wrote.

The chunk files stay in the run's folder (the manifest lists them as volumes, with checksums):
they are what the merged files are checked against and rebuilt from (docs/adr/0012 §8)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import subprocess
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from notices.batch.merging import MergeError, PageRun, merge
from notices.batch.rendering import run_dir
from notices.models import IssuanceItem, IssuanceRun, IssuedFile
from sumida_kokuho import audit
from sumida_kokuho.csvsafe import SafeWriter

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
        IssuedFile.objects.filter(run=run, kind=IssuedFile.Kind.PRINT, chunk__isnull=True).delete()
        base = {document: _merge_kind(run, directory, document)[1] for document in _documents(run)}
        mailing, envelopes = _mailing_csv(run, base)
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


def merged_name(document: str) -> str:
    return f"{document}.pdf"


def _documents(run: IssuanceRun) -> list[str]:
    return sorted(
        set(
            IssuedFile.objects.filter(run=run, chunk__isnull=False, kind=IssuedFile.Kind.PRINT)
            .values_list("chunk__document", flat=True)
            .distinct()
        )
    )


def _merge_kind(run: IssuanceRun, directory: Path, document: str) -> tuple[IssuedFile, int | None]:
    """One print file for every document of this kind, sorted by postal code then household
    (the items' position): the chunk files' pages, in that order, merged without rendering.
    Returns the file and the pages of a document without a cover sheet (None when the pages
    of each document could not be told apart: the chunk files are then merged whole, in
    volume order, which is postal-code order except for documents retried after a failure)."""
    volumes = list(
        IssuedFile.objects.filter(run=run, chunk__document=document, kind=IssuedFile.Kind.PRINT)
        .select_related("chunk")
        .order_by("chunk__volume")
    )
    documents = sum(f.documents for f in volumes)
    done = IssuanceItem.objects.filter(
        run=run, document=document, status=IssuanceItem.Status.DONE
    ).count()
    if done != documents:
        raise ValidationError(
            _("The print files hold %(n)s documents of %(document)s, the database %(m)s.")
            % {"n": documents, "document": document, "m": done},
            code="volume_count",
        )
    base = _base_pages(run, document, volumes)
    order = _page_order(run, document, volumes, base) if base is not None else None
    if order is None:
        base = None
        order = [PageRun(index, 0, f.pages) for index, f in enumerate(volumes)]
    name = merged_name(document)
    try:
        result = merge([directory / f.name for f in volumes], order, directory / name)
    except MergeError as error:
        raise ValidationError(
            _("The print files of %(document)s could not be merged: %(error)s")
            % {"document": document, "error": error},
            code="merge",
        ) from None
    _check_pdf(directory / name, result.pages)
    merged = IssuedFile.objects.create(
        run=run,
        kind=IssuedFile.Kind.PRINT,
        name=name,
        sha256=result.sha256,
        size=result.size,
        documents=documents,
        pages=result.pages,
    )
    return merged, base


def _covers(document: str, activation_code_id: int | None) -> int:
    """A 資格確認書 mailed with a portal activation code has a cover sheet in front of it."""
    return 1 if document == "certificate" and activation_code_id is not None else 0


def _base_pages(run: IssuanceRun, document: str, volumes: list[IssuedFile]) -> int | None:
    """Pages of one document without a cover, the same in every chunk file; None if not."""
    covers: dict[int, int] = {}
    if document == "certificate":
        covers = dict(
            IssuanceItem.objects.filter(
                run=run,
                document=document,
                status=IssuanceItem.Status.DONE,
                activation_code__isnull=False,
            )
            .values_list("chunk_id")
            .annotate(n=Count("id"))
            .values_list("chunk_id", "n")
        )
    bases = set()
    for f in volumes:
        plain = f.pages - covers.get(f.chunk_id, 0)
        if not f.documents or plain % f.documents:
            return None
        bases.add(plain // f.documents)
    return bases.pop() if len(bases) == 1 else None


def _page_order(
    run: IssuanceRun, document: str, volumes: list[IssuedFile], base: int
) -> list[PageRun] | None:
    """Runs of pages in position order (consecutive pages of one chunk file make one run);
    None when the pages counted per document do not add up to a chunk file's pages."""
    source_of = {file.chunk_id: index for index, file in enumerate(volumes)}
    used: dict[int, int] = {}
    order: list[PageRun] = []
    items = (
        IssuanceItem.objects.filter(run=run, document=document, status=IssuanceItem.Status.DONE)
        .order_by("position")
        .values_list("chunk_id", "activation_code_id")
    )
    for chunk_id, code in items.iterator(chunk_size=5000):
        if chunk_id not in source_of:
            return None
        start = used.get(chunk_id, 0)
        end = used[chunk_id] = start + base + _covers(document, code)
        source = source_of[chunk_id]
        if order and order[-1].source == source and order[-1].end == start:
            order[-1] = PageRun(source, order[-1].start, end)
        else:
            order.append(PageRun(source, start, end))
    if any(used.get(f.chunk_id, 0) != f.pages for f in volumes):
        return None
    return order


def _check_pdf(path: Path, pages: int) -> None:
    """Let poppler's pdfinfo read the merged file, when it is installed: a file it cannot read,
    or with another page count, is not handed over."""
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        logger.warning("pdfinfo (poppler-utils) is not installed: %s is not checked", path.name)
        return
    done = subprocess.run(  # noqa: S603 (a fixed program and our own file)
        [pdfinfo, str(path)], capture_output=True, text=True, timeout=600, check=False
    )
    found = next(
        (line.split()[-1] for line in done.stdout.splitlines() if line.startswith("Pages:")), ""
    )
    if done.returncode != 0 or done.stderr.strip() or found != str(pages):
        path.unlink(missing_ok=True)
        raise ValidationError(
            _("%(name)s is not a valid PDF: %(error)s")
            % {"name": path.name, "error": done.stderr.strip()[:500] or f"{found} pages"},
            code="invalid_pdf",
        )


def _mailing_csv(run: IssuanceRun, base: dict[str, int | None]) -> tuple[bytes, int]:
    """One line per envelope, in print order (postal code, then household): UTF-8 with a BOM,
    which the vendors' spreadsheet tools open as UTF-8. Each enclosure names its pages in the
    merged print file of its kind: within a kind the envelopes come in the file's order."""
    out = io.StringIO()
    writer = SafeWriter(out, lineterminator="\r\n")
    writer.writerow(MAILING_COLUMNS)
    rows = (
        IssuanceItem.objects.filter(run=run, status=IssuanceItem.Status.DONE)
        .order_by("envelope", "document", "position")
        .values_list("envelope", "document", "snapshot", "activation_code_id")
    )
    next_page = dict.fromkeys(base, 1)
    envelopes = 0
    for envelope, items in groupby(rows.iterator(chunk_size=2000), key=lambda r: r[0]):
        members = list(items)
        first = members[0][2]
        person = first["person"]
        enclosures = []
        for _envelope, doc, snap, code in members:
            where = merged_name(doc)
            if base.get(doc) is not None:
                first_page = next_page[doc]
                last_page = first_page + base[doc] + _covers(doc, code) - 1  # type: ignore[operator]
                next_page[doc] = last_page + 1
                where += f" p.{first_page}" + (f"-{last_page}" if last_page > first_page else "")
            enclosures.append(
                f"{DOCUMENT_TITLES[doc]} {snap['person']['symbol']}-{snap['person']['number']}-"
                f"{snap['person']['branch']} ({where})"
            )
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
    """`files`: what the print vendor gets (one merged print file per kind, the mailing list);
    `volumes`: the chunks' print files the merged ones were made from, kept in the folder."""

    def entry(f: IssuedFile) -> dict[str, Any]:
        return {
            "name": f.name,
            "kind": f.kind,
            "document": f.chunk.document if f.chunk else f.name.removesuffix(".pdf"),
            "volume": f.chunk.volume if f.chunk else None,
            "documents": f.documents,
            "pages": f.pages,
            "bytes": f.size,
            "sha256": f.sha256,
        }

    files = run.files.select_related("chunk").exclude(kind=IssuedFile.Kind.MANIFEST)
    manifest = {
        "insurer": "Sumida Kokuho",
        "run": run.pk,
        "period": run.period.isoformat(),
        "kind": run.kind,
        "as_of": run.as_of.isoformat(),
        "envelopes": envelopes,
        "documents": run.items.filter(status=IssuanceItem.Status.DONE).count(),
        "files": [
            {**entry(f), "document": None} if f.kind == IssuedFile.Kind.MAILING else entry(f)
            for f in files.filter(chunk__isnull=True).order_by("name")
        ],
        "volumes": [entry(f) for f in files.filter(chunk__isnull=False).order_by("name")],
    }
    return json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
