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
