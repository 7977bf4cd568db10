"""Activation codes printed on batch documents: made at issue time, inside the chunk's
transaction, stored only as hashes, one per document, and they open a portal account."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from eligibility.portal.services import create_account_from_activation
from notices.batch import rendering
from notices.batch.planning import approve_run, plan_run
from notices.batch.rendering import run_dir
from notices.batch.tasks import start_run, work_inline
from notices.models import IssuanceChunk, IssuanceItem, IssuanceRun, IssuedFile
from sumida_kokuho.models import ActivationCode, AuditEvent, ResidentAccount
from tests.batch.conftest import AS_OF, PERIOD

pytestmark = pytest.mark.django_db
CODE = re.compile(r"\b[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}\b")


def executed(planner: Any, approver: Any) -> IssuanceRun:
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    run.refresh_from_db()
    return run


def printed_codes(run: IssuanceRun) -> list[tuple[int, str]]:
    """(item id, code) in print order, read back from the print files with pdftotext."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    found = []
    for file in IssuedFile.objects.filter(run=run, kind="print").select_related("chunk"):
        path = run_dir(run) / file.name
        text = subprocess.run(  # noqa: S603
            ["pdftotext", "-layout", str(path), "-"],  # noqa: S607
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        codes = CODE.findall(text)
        items = list(
            IssuanceItem.objects.filter(chunk=file.chunk)
            .order_by("position")
            .values_list("pk", flat=True)
        )
        assert len(codes) == len(items), text
        found += list(zip(items, codes, strict=True))
    return found


def test_every_mailed_document_carries_a_code_that_opens_an_account(
    population, planner, approver
) -> None:
    run = executed(planner, approver)
    codes = printed_codes(run)
    assert len(codes) == run.planned == 6
    assert len({code for _, code in codes}) == 6
    for n, (item_id, code) in enumerate(codes):
        item = IssuanceItem.objects.select_related("person__household").get(pk=item_id)
        person = item.person
        number = f"{person.household.symbol}-{person.household.number}-{person.branch}"
        account = create_account_from_activation(
            insured_number=number,
            birth_date=person.birth_date,
            code=code,
            email=f"resident{n}@example.com",
            password="a long enough passphrase 2026",
        )
        assert account is not None and account.person == person
        # Single use: the same letter does not open a second account.
        assert (
            create_account_from_activation(
                insured_number=number,
                birth_date=person.birth_date,
                code=code,
                email=f"other{n}@example.com",
                password="a long enough passphrase 2026",
            )
            is None
        )


def test_the_plain_code_is_stored_nowhere(population, planner, approver) -> None:
    run = executed(planner, approver)
    codes = [code for _, code in printed_codes(run)]
    stored = [str(s) for s in IssuanceItem.objects.values_list("snapshot", flat=True)]
    stored += [str(d) for d in AuditEvent.objects.values_list("detail", flat=True)]
    stored += list(ActivationCode.objects.values_list("code_hash", flat=True))
    for code in codes:
        for variant in (code, code.replace("-", "")):
            assert not any(variant in text for text in stored)
    # Each issued item names its code row; each code is live until it expires.
    items = IssuanceItem.objects.filter(run=run)
    assert items.filter(activation_code__isnull=True).count() == 0
    assert ActivationCode.objects.count() == 6


def test_running_again_creates_no_second_live_code(population, planner, approver) -> None:
    run = executed(planner, approver)
    before = list(ActivationCode.objects.order_by("pk").values_list("pk", "expires_at"))
    IssuanceChunk.objects.filter(run=run).update(status=IssuanceChunk.Status.PENDING)
    IssuanceRun.objects.filter(pk=run.pk).update(status=IssuanceRun.Status.RUNNING)
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    assert list(ActivationCode.objects.order_by("pk").values_list("pk", "expires_at")) == before


def test_persons_with_a_portal_account_get_no_code(population, planner, approver) -> None:
    from tests.factories import UserFactory

    head = population["notice"][0]
    ResidentAccount.objects.create(user=UserFactory(), person=head, linked_via="oidc")
    run = executed(planner, approver)
    item = IssuanceItem.objects.get(run=run, person=head)
    assert item.activation_code is None
    assert ActivationCode.objects.filter(person=head).count() == 0
    assert ActivationCode.objects.count() == 5


def test_a_chunk_that_fails_before_commit_leaves_no_code_behind(
    population, planner, approver, monkeypatch
) -> None:
    """The codes are made in the chunk's transaction: if printing fails they roll back with
    the documents (the chunk is then issued person by person, without codes)."""

    real, calls = rendering.render_many, []

    def broken_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(rendering, "render_many", broken_once)
    run = executed(planner, approver)
    assert run.status == IssuanceRun.Status.EXECUTED
    first = IssuanceItem.objects.filter(chunk=IssuanceChunk.objects.get(run=run, seq=1))
    assert first.exists() and not first.filter(activation_code__isnull=False).exists()
    assert not ActivationCode.objects.filter(person__in=first.values("person")).exists()
    assert ActivationCode.objects.count() == 6 - first.count()
    assert IssuanceItem.objects.filter(run=run, status="done").count() == 6
    assert not list(Path(run_dir(run)).glob("*.part"))


def test_codes_made_in_bulk_are_well_formed_distinct_and_use_every_symbol() -> None:
    from collections import Counter

    from eligibility.services import ACTIVATION_ALPHABET, plain_activation_codes

    codes = plain_activation_codes(2000)
    assert len(codes) == 2000
    assert all(re.fullmatch(CODE, code) for code in codes)
    assert len(set(codes)) == len(codes)
    counts = Counter(symbol for code in codes for symbol in code.replace("-", ""))
    assert set(counts) == set(ACTIVATION_ALPHABET)
    # 24,000 symbols over 32: about 750 each; a skewed mapping would stand far outside this
    assert min(counts.values()) > 550 and max(counts.values()) < 950
