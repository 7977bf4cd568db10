"""Bulk issuing: a chunk costs a fixed number of queries, whatever its size, and numbers come
from the chunk's reserved block."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.models import Certificate, DocumentCounter
from notices.batch.planning import approve_run, plan_run
from notices.batch.tasks import start_run, work_inline
from notices.models import IssuanceChunk, IssuanceItem
from tests.batch.conftest import AS_OF, PERIOD, make_population

pytestmark = pytest.mark.django_db


def queries_to_execute(households: int, planner: Any, approver: Any, settings: Any) -> int:
    settings.BATCH_CHUNK_SIZE = 1000  # one chunk per kind
    make_population(households)
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    start_run(run=run, by=approver, enqueue=False)
    with CaptureQueriesContext(connection) as queries:
        work_inline(run.pk)
    assert IssuanceItem.objects.filter(run=run, status="done").count() == 2 * households
    return len(queries)


def test_a_chunk_costs_the_same_queries_for_4_or_40_households(planner, approver, settings):
    small = queries_to_execute(4, planner, approver, settings)
    IssuanceItem.objects.all().delete()
    IssuanceChunk.objects.all().delete()
    from notices.models import IssuanceRun

    IssuanceRun.objects.all().delete()
    large = queries_to_execute(40, planner, approver, settings)
    assert large <= small + 4, (small, large)


def test_certificates_take_the_numbers_of_their_chunks_block_in_print_order(
    planner, approver, settings
) -> None:
    make_population(5)
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    for chunk in IssuanceChunk.objects.filter(run=run, document="certificate"):
        numbers = [
            int(n.split("-")[1])
            for n in IssuanceItem.objects.filter(chunk=chunk)
            .order_by("position")
            .values_list("certificate__number", flat=True)
        ]
        assert numbers == list(range(chunk.numbers_from, chunk.numbers_from + chunk.numbers_count))
    counter = DocumentCounter.objects.get(kind="certificate", fiscal_year=2026)
    assert counter.last_value == Certificate.objects.filter(number__startswith="2026-").count() == 5


def test_each_issued_document_has_its_audit_event_naming_document_person_and_code(
    planner, approver, settings
) -> None:
    from sumida_kokuho.models import AuditEvent

    make_population(4)
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    start_run(run=run, by=approver, enqueue=False)
    work_inline(run.pk)
    run.refresh_from_db()
    items = list(IssuanceItem.objects.filter(run=run, status="done").select_related("person"))
    assert items
    with_code = 0
    for item in items:
        if item.document == "certificate":
            object_type, object_id = "cards.certificate", str(item.certificate_id)
        else:
            object_type, object_id = "notices.notice", str(item.notice_id)
        events = list(
            AuditEvent.objects.filter(action="issue", object_type=object_type, object_id=object_id)
        )
        assert len(events) == 1, (item.pk, events)
        event = events[0]
        assert event.at is not None and event.counter == ""
        assert event.actor_id == run.run_by_id
        assert (event.person_id, event.household_id) == (item.person_id, item.person.household_id)
        assert event.detail["run"] == run.pk and event.detail["reason"] == item.reason
        assert event.detail.get("activation_code") == item.activation_code_id
        with_code += item.activation_code_id is not None
        if item.document == "certificate":
            assert event.detail["number"] == item.certificate.number
    assert with_code  # the population has persons without a portal account
