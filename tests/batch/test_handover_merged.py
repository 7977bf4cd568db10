"""Hand-over merges the chunks' print files into one print-ready PDF per document kind, in
postal-code order, with font subsets of their own; the mailing list names the pages of each
enclosure; the manifest and verify_files cover the merged files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pypdf
import pytest

from notices.batch.handover import hand_over, verify_files
from notices.batch.merging import MergeError, PageRun, merge
from notices.batch.planning import approve_run, plan_run
from notices.batch.progress import retry_failed
from notices.batch.tasks import start_run, work_inline
from notices.models import IssuanceItem, IssuanceRun, IssuedFile
from tests.batch.conftest import AS_OF, PERIOD

pytestmark = pytest.mark.django_db
poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")


def executed(planner: Any, approver: Any) -> IssuanceRun:
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    run.refresh_from_db()
    return run


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(path, strict=True).pages]


def mailing_pages(directory: Path) -> dict[str, list[tuple[str, int, int]]]:
    """Per document file: (insured number, first page, last page) in the mailing list's order."""
    rows = csv.DictReader(io.StringIO((directory / "mailing.csv").read_text("utf-8-sig")))
    found: dict[str, list[tuple[str, int, int]]] = {}
    for row in rows:
        for enclosure in row["enclosure_list"].split("; "):
            match = re.search(r" (\S+-\S+-\S+) \((\w+\.pdf) p\.(\d+)(?:-(\d+))?\)$", enclosure)
            assert match, enclosure
            first = int(match[3])
            found.setdefault(match[2], []).append((match[1], first, int(match[4] or first)))
    return found


def check_order(run: IssuanceRun, directory: Path) -> None:
    """Every document of the run is in its kind's merged file once, at the pages the mailing
    list gives, in position (postal code, household) order."""
    pages = mailing_pages(directory)
    for document in ("certificate", "notice"):
        items = list(
            IssuanceItem.objects.filter(run=run, document=document, status="done")
            .select_related("person")
            .order_by("position")
        )
        listed = sorted(pages[f"{document}.pdf"], key=lambda entry: entry[1])
        assert [number for number, _first, _last in listed] == [
            i.person.insured_number for i in items
        ]
        texts = page_texts(directory / f"{document}.pdf")
        assert listed[-1][2] == len(texts)
        for item, (_number, first, last) in zip(items, listed, strict=True):
            text = "".join(texts[first - 1 : last])
            assert item.snapshot["person"]["number"] in text
            assert item.person.family_name in text


def test_one_merged_file_per_kind_in_postal_code_order(population, planner, approver) -> None:
    run = executed(planner, approver)
    volumes = IssuedFile.objects.filter(run=run, chunk__isnull=False)
    assert volumes.filter(chunk__document="certificate").count() == 2  # 3 households, 2 a chunk

    result = hand_over(run=run, by=approver)

    merged = {f.name: f for f in IssuedFile.objects.filter(run=run, chunk__isnull=True)}
    assert {"certificate.pdf", "notice.pdf", "mailing.csv", "manifest.json"} == set(merged)
    for document in ("certificate", "notice"):
        f = merged[f"{document}.pdf"]
        parts = volumes.filter(chunk__document=document)
        assert f.pages == sum(p.pages for p in parts) == len(page_texts(result.directory / f.name))
        assert f.documents == sum(p.documents for p in parts)
    check_order(run, result.directory)


def test_a_document_retried_in_a_later_chunk_is_still_in_postal_code_order(
    population, planner, approver
) -> None:
    from eligibility.models import Enrolment

    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    first = (
        IssuanceItem.objects.filter(run=run, document="certificate").order_by("position").first()
    )
    Enrolment.objects.filter(person=first.person).update(enrolled_on=date(2026, 11, 26))
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    Enrolment.objects.filter(person=first.person).update(enrolled_on=date(2026, 11, 10))
    assert retry_failed(run=run, by=approver) == 1
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    first.refresh_from_db()
    assert first.status == "done" and first.chunk.volume == 3  # printed in a later volume

    result = hand_over(run=run, by=approver)

    check_order(run, result.directory)
    texts = page_texts(result.directory / "certificate.pdf")
    assert first.person.family_name in "".join(texts[:3])  # first in the file, not last


def test_the_merged_files_are_valid_and_every_chunk_gets_its_own_font_names(
    population, planner, approver
) -> None:
    run = executed(planner, approver)
    directory = hand_over(run=run, by=approver).directory
    path = directory / "certificate.pdf"

    reader = pypdf.PdfReader(path, strict=True)
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        names |= {str(fonts[key].get_object()["/BaseFont"]) for key in fonts}
    volumes = IssuedFile.objects.filter(run=run, chunk__document="certificate")
    per_volume = set()
    for volume in volumes:
        for page in pypdf.PdfReader(directory / volume.name).pages:
            fonts = page["/Resources"]["/Font"]
            per_volume |= {str(fonts[k].get_object()["/BaseFont"]) for k in fonts}
    # The chunk files reuse the same subset names; the merged file has one per chunk's subset.
    assert len(names) == len(per_volume) * volumes.count()


@poppler
def test_poppler_reads_the_merged_file_and_draws_pages_of_two_chunks(
    population, planner, approver, tmp_path
) -> None:
    run = executed(planner, approver)
    directory = hand_over(run=run, by=approver).directory
    path = directory / "certificate.pdf"
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True)
    assert info.stderr == ""
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout)[1])
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True)
    subset_names = re.findall(r"^([A-Z]{6}\+\S+)", fonts.stdout, re.MULTILINE)
    assert len(subset_names) == len(set(subset_names)) > 1
    items = list(
        IssuanceItem.objects.filter(run=run, document="certificate")
        .select_related("chunk", "person")
        .order_by("position")
    )
    assert items[0].chunk_id != items[-1].chunk_id
    ranges = sorted(mailing_pages(directory)["certificate.pdf"], key=lambda entry: entry[1])
    assert ranges[-1][2] == pages
    for item, (_number, first, last) in ((items[0], ranges[0]), (items[-1], ranges[-1])):
        text = subprocess.run(
            ["pdftotext", "-f", str(first), "-l", str(last), path, "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert item.person.family_name in text and "国民健康保険資格確認書" in text
        out = tmp_path / f"p{first}"
        subprocess.run(
            ["pdftoppm", "-f", str(first), "-l", str(first), "-r", "50", "-png", path, out],
            capture_output=True,
            check=True,
        )
        [png] = tmp_path.glob(f"p{first}*.png")
        assert png.stat().st_size > 1000


def test_manifest_lists_the_merged_files_and_the_volumes_with_checksums(
    population, planner, approver
) -> None:
    run = executed(planner, approver)
    directory = hand_over(run=run, by=approver).directory
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))

    assert {f["name"] for f in manifest["files"]} == {
        "certificate.pdf",
        "notice.pdf",
        "mailing.csv",
    }
    assert {f["name"] for f in manifest["volumes"]} == set(
        IssuedFile.objects.filter(run=run, chunk__isnull=False).values_list("name", flat=True)
    )
    for entry in manifest["files"] + manifest["volumes"]:
        data = (directory / entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    assert verify_files(run) == []


def test_verify_files_notices_a_changed_merged_file(population, planner, approver) -> None:
    run = executed(planner, approver)
    directory = hand_over(run=run, by=approver).directory
    with (directory / "notice.pdf").open("ab") as handle:
        handle.write(b"%tampered\n")
    assert [p for p in verify_files(run) if "notice.pdf" in p]
    (directory / "certificate.pdf").unlink()
    assert len(verify_files(run)) == 2


def test_a_hand_over_killed_before_its_commit_is_done_again_the_same(
    population, planner, approver, monkeypatch
) -> None:
    run = executed(planner, approver)
    directory = Path(hand_over.__globals__["run_dir"](run))

    def crash(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # as if killed after the merged files were written

    monkeypatch.setattr("notices.batch.handover._mailing_csv", crash)
    with pytest.raises(KeyboardInterrupt):
        hand_over(run=run, by=approver)
    left = (directory / "certificate.pdf").read_bytes()
    assert not IssuedFile.objects.filter(run=run, name="certificate.pdf").exists()
    monkeypatch.undo()

    hand_over(run=run, by=approver)

    merged = IssuedFile.objects.get(run=run, name="certificate.pdf")
    assert merged.sha256 == hashlib.sha256(left).hexdigest()  # the same bytes again
    assert not [p.name for p in directory.iterdir() if p.name.endswith(".part")]
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.HANDED_OVER


def test_the_merger_refuses_an_order_that_misses_or_repeats_pages(tmp_path) -> None:
    from notices.documents import render_many
    from tests.test_documents import a_certificate

    source = tmp_path / "a.pdf"
    render_many([a_certificate()], source)
    with pytest.raises(MergeError):
        merge([source], [PageRun(0, 0, 1)], tmp_path / "out.pdf")
    with pytest.raises(MergeError):
        merge([source], [PageRun(0, 0, 2), PageRun(0, 1, 2)], tmp_path / "out.pdf")
    assert not list(tmp_path.glob("*.part")) and not (tmp_path / "out.pdf").exists()
    result = merge([source, source], [PageRun(1, 0, 2), PageRun(0, 0, 2)], tmp_path / "ok.pdf")
    assert result.pages == 4 == len(pypdf.PdfReader(tmp_path / "ok.pdf", strict=True).pages)
