"""Plan → approve → execute → hand over, on one worker: idempotency and the guarantees that the
database, not only the code, holds."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cards.models import Certificate
from eligibility.facts_builder import build_person_facts
from eligibility.rules.engine import assess
from notices.batch.handover import hand_over
from notices.batch.planning import approve_run, plan_run
from notices.batch.progress import retry_failed, run_progress
from notices.batch.tasks import start_run, work_inline
from notices.models import IssuanceChunk, IssuanceItem, IssuanceRun, IssuedFile, Notice
from sumida_kokuho.models import AuditEvent
from tests.batch.conftest import AS_OF, PERIOD

pytestmark = pytest.mark.django_db


def executed_run(planner: Any, approver: Any) -> IssuanceRun:
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    run.refresh_from_db()
    return run


def test_planning_lists_who_is_due_what_and_why(population, planner) -> None:
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    assert run.status == IssuanceRun.Status.PLANNED
    assert run.assessed == 7
    assert run.counts == {"certificate": {"new_enrolment": 3}, "notice": {"new_enrolment": 3}}
    items = IssuanceItem.objects.filter(run=run)
    assert {i.person_id for i in items.filter(document="notice")} == {
        p.pk for p in population["notice"]
    }
    item = items.filter(document="certificate").first()
    assert item.trigger_on == date(2026, 11, 10)
    assert "R-PAPER-STOP" in item.rule_ids
    assert item.snapshot["person"]["family_name"] == item.person.family_name
    # Nothing is issued by planning.
    assert not Certificate.objects.filter(issued_on=AS_OF).exists()
    assert not Notice.objects.exists()


def test_one_envelope_per_household_in_postal_code_order(population, planner) -> None:
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    rows = list(
        IssuanceItem.objects.filter(run=run).values_list(
            "envelope", "household_id_frozen", "postal_code"
        )
    )
    by_household = {}
    for envelope, household, _postal in rows:
        by_household.setdefault(household, set()).add(envelope)
    assert all(len(e) == 1 for e in by_household.values())
    ordered = sorted({(e, p) for e, _h, p in rows})
    assert [p for _e, p in ordered] == sorted(p for _e, p in ordered)
    # Chunks hold at most BATCH_CHUNK_SIZE (2) envelopes and never split a household.
    for chunk in IssuanceChunk.objects.filter(run=run):
        assert chunk.items.values("envelope").distinct().count() <= 2


def test_planning_the_same_month_twice_gives_the_same_run(population, planner) -> None:
    first = plan_run(period=PERIOD, as_of=AS_OF, by=planner)
    items = set(IssuanceItem.objects.values_list("pk", flat=True))
    second = plan_run(period=date(2026, 11, 17), as_of=AS_OF, by=planner)
    assert first.created and not second.created
    assert second.run.pk == first.run.pk
    assert set(IssuanceItem.objects.values_list("pk", flat=True)) == items


def test_the_database_refuses_a_second_run_for_the_same_month(population, planner) -> None:
    plan_run(period=PERIOD, as_of=AS_OF, by=planner)
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuanceRun.objects.create(period=PERIOD, kind=IssuanceRun.Kind.MONTHLY, as_of=AS_OF)


def test_the_planner_cannot_approve_their_own_run(population, planner, approver) -> None:
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    with pytest.raises(ValidationError):
        approve_run(run=run, by=planner)
    approve_run(run=run, by=approver)
    run.refresh_from_db()
    assert run.approved_by == approver


def test_an_unapproved_run_is_not_executed(population, planner) -> None:
    from notices.batch.tasks import NotApproved

    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    with pytest.raises(NotApproved):
        start_run(run=run, by=planner, enqueue=False)


def test_executing_issues_every_document_once_with_reason_and_rules(
    population, planner, approver
) -> None:
    run = executed_run(planner, approver)
    assert run.status == IssuanceRun.Status.EXECUTED
    progress = run_progress(run)
    assert (progress.done, progress.failed, progress.pending) == (6, 0, 0)
    for person in population["certificate"]:
        certificate = Certificate.objects.get(person=person, issued_on=AS_OF)
        assert certificate.reason == "new_enrolment"
        assert "R-PAPER-STOP" in certificate.rule_ids
        item = IssuanceItem.objects.get(run=run, person=person)
        assert item.certificate == certificate
        assert item.snapshot["document"]["certificate_number"] == certificate.number
    assert Notice.objects.filter(issued_on=AS_OF).count() == 3
    assert AuditEvent.objects.filter(action="issue").count() == 6


def test_running_a_run_twice_issues_nothing_twice(population, planner, approver) -> None:
    run = executed_run(planner, approver)
    before = (
        Certificate.objects.count(),
        Notice.objects.count(),
        AuditEvent.objects.filter(action="issue").count(),
    )
    # Resuming, re-claiming and re-running everything: nothing new.
    IssuanceChunk.objects.filter(run=run).update(status=IssuanceChunk.Status.PENDING)
    IssuanceRun.objects.filter(pk=run.pk).update(status=IssuanceRun.Status.RUNNING)
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    after = (
        Certificate.objects.count(),
        Notice.objects.count(),
        AuditEvent.objects.filter(action="issue").count(),
    )
    assert after == before
    assert IssuanceItem.objects.filter(run=run, status="done").count() == 6


def test_issued_documents_are_no_longer_due(population, planner, approver) -> None:
    executed_run(planner, approver)
    for person in population["certificate"] + population["notice"]:
        assessment = assess(build_person_facts(person, AS_OF), AS_OF)
        assert assessment.documents_due == ()
    extra = plan_run(period=PERIOD, kind=IssuanceRun.Kind.ON_DEMAND, as_of=AS_OF, by=planner).run
    assert extra.planned == 0


def test_the_database_refuses_the_same_document_twice_across_runs(
    population, planner, approver
) -> None:
    run = executed_run(planner, approver)
    item = IssuanceItem.objects.filter(run=run).first()
    other = IssuanceRun.objects.create(period=date(2026, 12, 1), as_of=AS_OF)
    with pytest.raises(IntegrityError), transaction.atomic():
        IssuanceItem.objects.create(
            run=other,
            person=item.person,
            household_id_frozen=item.household_id_frozen,
            document=item.document,
            reason=item.reason,
            trigger_on=item.trigger_on,
            status=IssuanceItem.Status.DONE,
        )


def test_hand_over_writes_checked_files_mailing_list_and_manifest(
    population, planner, approver
) -> None:
    run = executed_run(planner, approver)
    result = hand_over(run=run, by=approver)
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.HANDED_OVER and run.handed_over_by == approver
    for file in IssuedFile.objects.filter(run=run):
        data = (result.directory / file.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == file.sha256
    manifest = json.loads((result.directory / "manifest.json").read_text("utf-8"))
    prints = [f for f in manifest["files"] if f["kind"] == "print"]
    assert sum(f["documents"] for f in prints if f["document"] == "certificate") == 3
    # Front and back each, plus a cover with the activation code (nobody has a portal account).
    assert sum(f["pages"] for f in prints if f["document"] == "certificate") == 9
    rows = list(
        csv.DictReader(io.StringIO((result.directory / "mailing.csv").read_text("utf-8-sig")))
    )
    assert len(rows) == 3 == result.envelopes
    assert all(row["enclosures"] == "2" for row in rows)
    heads = {f"{p.family_name}\u3000{p.given_name}" for p in population["notice"]}
    assert {row["addressee"] for row in rows} == heads
    assert [row["postal_code"] for row in rows] == sorted(row["postal_code"] for row in rows)
    # Handing over twice changes nothing.
    again = hand_over(run=run, by=approver)
    assert [f.sha256 for f in again.files] == [f.sha256 for f in result.files]
    assert AuditEvent.objects.filter(action="hand_over").count() == 1


def test_print_files_render_the_same_bytes_again(population, planner, approver) -> None:
    """Without activation codes (everyone has a portal account) a print file is a pure function
    of the stored snapshots. With codes it is not: the plain code is never stored."""
    from notices.batch.rendering import _render
    from sumida_kokuho.models import ResidentAccount
    from tests.factories import UserFactory

    for person in population["certificate"] + population["notice"]:
        ResidentAccount.objects.create(user=UserFactory(), person=person, linked_via="activation")
    run = executed_run(planner, approver)
    file = IssuedFile.objects.filter(run=run, kind="print").select_related("chunk").first()
    out = file.chunk and (hand_over(run=run, by=approver).directory / "again.pdf")
    _render(
        file.chunk.document, IssuanceItem.objects.filter(chunk=file.chunk).order_by("position"), out
    )
    assert hashlib.sha256(out.read_bytes()).hexdigest() == file.sha256


def test_a_failure_is_recorded_with_its_reason_and_can_be_retried(
    population, planner, approver
) -> None:
    from eligibility.models import Enrolment

    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    person = population["certificate"][0]
    enrolment = Enrolment.objects.get(person=person)
    # The person moved out between planning and issuing: not insured on the issue day.
    Enrolment.objects.filter(pk=enrolment.pk).update(enrolled_on=date(2026, 11, 26))
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    failed = IssuanceItem.objects.get(run=run, person=person)
    assert failed.status == IssuanceItem.Status.FAILED
    assert "2026-11-25" in failed.error  # "not insured on 2026-11-25", in the active language
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.EXECUTED
    Enrolment.objects.filter(pk=enrolment.pk).update(enrolled_on=date(2026, 11, 10))
    assert retry_failed(run=run, by=approver) == 1
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    failed.refresh_from_db()
    assert failed.status == IssuanceItem.Status.DONE
    assert run_progress(run).done == 6
