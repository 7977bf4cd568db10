"""Plan a run: assess every insured person with the rules engine and list who is due which
document and why; cut the list into chunks; approve.

Nothing is issued here. Planning the same period and kind again returns the same run (a
UniqueConstraint, not only this code); `replan=True` refreshes a run nobody has approved yet.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from eligibility.facts_builder import NoEnrolment, facts_from_records, iter_person_rows
from eligibility.models import InsuredPerson
from eligibility.rules.engine import assess
from notices.batch import plan_worker
from notices.batch.snapshots import to_json

# The builders are the one place that knows what a document prints about a person.
from notices.documents.builders import row_addressee, row_person_fields
from notices.models import IssuanceChunk, IssuanceItem, IssuanceRun
from sumida_kokuho import audit

Progress = Callable[[int, int], None]  # (persons done, persons in all)
READ_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class PlanResult:
    run: IssuanceRun
    created: bool  # False: the period and kind already had a run (returned as it was)


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_period(period: date) -> date:
    return (
        date(period.year - 1, 12, 1)
        if period.month == 1
        else period.replace(month=period.month - 1)
    )


def plan_run(
    *,
    period: date,
    kind: str = IssuanceRun.Kind.MONTHLY,
    as_of: date,
    by: Any,
    replan: bool = False,
    chunk_size: int | None = None,
    progress: Progress | None = None,
    workers: int | None = None,
) -> PlanResult:
    """The run for `period` (its month) and `kind`, planned on `as_of`.

    `workers`: processes that assess (default `plan_workers`: several on PostgreSQL for a large
    population, else this one)."""
    period = month_start(period)
    with transaction.atomic():
        run, created = IssuanceRun.objects.select_for_update().get_or_create(
            period=period, kind=kind, defaults={"as_of": as_of, "planned_by": _user(by)}
        )
        if not created and not replan:
            return PlanResult(run, False)
        if not created:
            if run.status != IssuanceRun.Status.PLANNED:
                raise ValidationError(
                    _("Only a run that is not approved yet can be planned again."),
                    code="not_planned",
                )
            run.items.all().delete()
            run.chunks.all().delete()
            run.as_of, run.planned_by, run.planned_at = as_of, _user(by), timezone.now()
        assessed = _add_items(run, progress, workers)
        _cut_into_chunks(run, chunk_size or settings.BATCH_CHUNK_SIZE)
        run.assessed = assessed
        run.counts = counts_by_reason(run)
        run.planned = sum(sum(r.values()) for r in run.counts.values())
        run.save()
        audit.record(
            actor=by,
            action="plan",
            obj=run,
            detail={"assessed": assessed, "planned": run.planned, "replan": not created},
        )
    return PlanResult(run, True)


def _user(by: Any) -> Any:
    return by if by is not None and getattr(by, "is_authenticated", False) else None


def plan_workers(total: int) -> int:
    """How many processes assess: BATCH_PLAN_WORKERS (setting or environment; default one per
    CPU, at most 4) on PostgreSQL from BATCH_PLAN_PARALLEL_FROM persons (default 50,000); one
    (this process) on SQLite or for fewer persons, where starting processes costs more than it
    saves."""
    parallel_from = getattr(settings, "BATCH_PLAN_PARALLEL_FROM", None)
    if parallel_from is None:
        parallel_from = int(os.environ.get("BATCH_PLAN_PARALLEL_FROM") or 50_000)
    if connection.vendor != "postgresql" or total < parallel_from:
        return 1
    wanted = getattr(settings, "BATCH_PLAN_WORKERS", None)
    if wanted is None:
        wanted = int(os.environ.get("BATCH_PLAN_WORKERS") or 0)
    return max(1, wanted or min(4, os.cpu_count() or 1))


def _add_items(run: IssuanceRun, progress: Progress | None, workers: int | None = None) -> int:
    """Assess everyone, in primary-key order, and write one item per document due.

    The persons are split into key ranges (`PLAN_SLICE` persons each). Each range is read as
    plain rows (`iter_person_rows`: no model instances) and assessed by the same rules engine,
    here or in worker processes (PostgreSQL); this process writes their items as they come, in
    key order (COPY on PostgreSQL), inside the planning transaction. The workers only read
    committed records, which planning does not change. Memory stays flat: a range at a time.
    """
    bounds = InsuredPerson.objects.aggregate(lo=Min("pk"), hi=Max("pk"), n=Count("pk"))
    total = bounds["n"] or 0
    if not total:
        if progress is not None:
            progress(0, 0)
        return 0
    workers = workers or plan_workers(total)
    # Enough ranges for every process to stay busy, none larger than PLAN_SLICE keys.
    span = bounds["hi"] - bounds["lo"] + 1
    step = PLAN_SLICE if workers == 1 else max(1, min(PLAN_SLICE, -(-span // (workers * 4))))
    ranges = [
        (lo, min(lo + step, bounds["hi"] + 1)) for lo in range(bounds["lo"], bounds["hi"] + 1, step)
    ]
    insurer = (settings.INSURER_NUMBER, settings.INSURER_NAME)
    tasks = [(lo, hi, run.as_of, insurer) for lo, hi in ranges]
    writer = _ItemWriter(run)
    done = 0
    pool = None
    try:
        if workers > 1:
            # An executor, not multiprocessing.Pool: when a worker dies or its set-up fails, the
            # executor raises BrokenProcessPool (planning rolls back) where a Pool would start
            # new workers for ever and the planning transaction would wait idle.
            pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=plan_worker.start,
                initargs=(os.environ.get("DJANGO_SETTINGS_MODULE", ""), _database_name()),
            )
            results: Any = pool.map(plan_worker.plan_range, tasks)
        else:
            results = map(_plan_range, tasks)
        for assessed, rows in results:
            writer.write(rows)
            done += assessed
            if progress is not None:
                progress(done, total)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    writer.close()
    if progress is not None:
        progress(done, total)
    return done


PLAN_SLICE = 20_000  # persons (primary keys) per task
# (person_id, household_id, document, reason, trigger_on, due_by, rule_ids, postal_code, snapshot)
ItemValues = tuple[int, int, str, str, date, "date | None", list[str], str, dict[str, Any]]


def _plan_range(task: tuple[int, int, date, tuple[str, str]]) -> tuple[int, list[ItemValues]]:
    """Assess the persons with keys in [lo, hi); runs in this process or a worker process."""
    lo, hi, as_of, insurer = task
    assessed = 0
    rows: list[ItemValues] = []
    for row in iter_person_rows(pk_from=lo, pk_to=hi):
        assessed += 1
        try:
            facts = facts_from_records(row.records, as_of)
        except NoEnrolment:
            continue
        due_now = assess(facts, as_of).documents_due
        if not due_now:
            continue
        due = due_now[0]  # the rules give at most one document at a time
        rows.append(
            (
                row.pk,
                row.household_id,
                due.document.value,
                due.reason,
                due.trigger_on,
                due.by,
                list(due.rules),
                row.postal_code,
                {
                    "person": to_json(row_person_fields(row, facts.enrolled_on, insurer=insurer)),
                    "addressee_name": row_addressee(row),
                },
            )
        )
    return assessed, rows


def _database_name() -> str:
    return str(connection.settings_dict["NAME"])


_ITEM_COLUMNS = (
    "run_id",
    "person_id",
    "household_id_frozen",
    "document",
    "reason",
    "trigger_on",
    "due_by",
    "rule_ids",
    "postal_code",
    "snapshot",
    "status",
    "error",
    "envelope",
    "position",
)


class _ItemWriter:
    """Writes planned items: a COPY per range on PostgreSQL (closed before the next range is
    read: one connection cannot read while a COPY is open), bulk inserts elsewhere."""

    def __init__(self, run: IssuanceRun) -> None:
        self.run = run
        self.pending: list[IssuanceItem] = []

    def write(self, rows: list[ItemValues]) -> None:
        if not rows:
            return
        if connection.vendor == "postgresql":
            self._copy(rows)
            return
        for person, household, document, reason, trigger, due_by, rules, postal, snap in rows:
            self.pending.append(
                IssuanceItem(
                    run=self.run,
                    person_id=person,
                    household_id_frozen=household,
                    document=document,
                    reason=reason,
                    trigger_on=trigger,
                    due_by=due_by,
                    rule_ids=rules,
                    postal_code=postal,
                    snapshot=snap,
                )
            )
        if len(self.pending) >= READ_CHUNK:
            self._flush()

    def _copy(self, rows: list[ItemValues]) -> None:
        table = IssuanceItem._meta.db_table
        columns = ", ".join(_ITEM_COLUMNS)
        run_id, dumps, pending = self.run.pk, json.dumps, IssuanceItem.Status.PENDING.value
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: COPY is not in the DB-API
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # noqa: S608
                for (
                    person,
                    household,
                    document,
                    reason,
                    trigger,
                    due_by,
                    rules,
                    postal,
                    snap,
                ) in rows:
                    copy.write_row(
                        (
                            run_id,
                            person,
                            household,
                            document,
                            reason,
                            trigger,
                            due_by,
                            dumps(rules),
                            postal,
                            dumps(snap, ensure_ascii=False),
                            pending,
                            "",
                            0,
                            0,
                        )
                    )

    def _flush(self) -> None:
        IssuanceItem.objects.bulk_create(self.pending)
        self.pending.clear()

    def close(self) -> None:
        self._flush()


def _cut_into_chunks(run: IssuanceRun, envelopes_per_chunk: int) -> None:
    """Number envelopes (households by postal code) and put each kind's documents, in envelope
    order, into chunks of at most `envelopes_per_chunk` households: a household's documents of
    one kind never straddle two print files."""
    rows = (
        IssuanceItem.objects.filter(run=run)
        .values("document")
        .annotate(households=Count("household_id_frozen", distinct=True))
        .order_by("document")
    )
    seq = 0
    chunks: list[IssuanceChunk] = []
    for row in rows:
        volumes = -(-row["households"] // envelopes_per_chunk)
        for volume in range(1, volumes + 1):
            seq += 1
            chunks.append(IssuanceChunk(run=run, document=row["document"], seq=seq, volume=volume))
    IssuanceChunk.objects.bulk_create(chunks)
    item, chunk = IssuanceItem._meta.db_table, IssuanceChunk._meta.db_table
    with connection.cursor() as cursor:
        # Window functions in one statement: fast for a million rows, same on SQLite and PostgreSQL.
        cursor.execute(
            f"""
            WITH r AS (
                SELECT id,
                    DENSE_RANK() OVER (ORDER BY postal_code, household_id_frozen) AS env,
                    ROW_NUMBER() OVER (
                        PARTITION BY document ORDER BY postal_code, household_id_frozen, person_id
                    ) AS pos,
                    DENSE_RANK() OVER (
                        PARTITION BY document ORDER BY postal_code, household_id_frozen
                    ) AS hh
                FROM {item} WHERE run_id = %s
            )
            UPDATE {item} SET envelope = r.env, position = r.pos, chunk_id = c.id
            FROM r, {chunk} c
            WHERE {item}.id = r.id AND c.run_id = %s AND c.document = {item}.document
              AND c.volume = ((r.hh - 1) / %s) + 1
            """,  # noqa: S608 (table names from the models; values are parameters)
            [run.pk, run.pk, envelopes_per_chunk],
        )
    for c in chunks:
        c.items_count = 0
    counts = dict(
        IssuanceItem.objects.filter(run=run)
        .values_list("chunk_id")
        .annotate(n=Count("id"))
        .values_list("chunk_id", "n")
    )
    for c in IssuanceChunk.objects.filter(run=run):
        IssuanceChunk.objects.filter(pk=c.pk).update(items_count=counts.get(c.pk, 0))


def counts_by_reason(run: IssuanceRun) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    rows = (
        IssuanceItem.objects.filter(run=run)
        .values_list("document", "reason")
        .annotate(n=Count("id"))
        .order_by("document", "reason")
    )
    for document, reason, n in rows:
        counts.setdefault(document, {})[reason] = n
    return counts


def compare_with_previous(run: IssuanceRun) -> list[dict[str, Any]]:
    """Rows (document, reason, this run, previous run of the same kind) for the preview."""
    previous = IssuanceRun.objects.filter(period=previous_period(run.period), kind=run.kind).first()
    before = previous.counts if previous is not None else {}
    keys = {(d, r) for d, rs in run.counts.items() for r in rs} | {
        (d, r) for d, rs in before.items() for r in rs
    }
    return [
        {
            "document": d,
            "reason": r,
            "count": run.counts.get(d, {}).get(r, 0),
            "previous": before.get(d, {}).get(r, 0) if previous is not None else None,
        }
        for d, r in sorted(keys)
    ]


def approve_run(*, run: IssuanceRun, by: Any) -> IssuanceRun:
    """Approve a planned run; with BATCH_FOUR_EYES the approver is not the planner."""
    with transaction.atomic():
        run = IssuanceRun.objects.select_for_update().get(pk=run.pk)
        if run.status != IssuanceRun.Status.PLANNED:
            if run.approved_by_id is not None:
                return run  # approving twice changes nothing
            raise ValidationError(_("Only a planned run can be approved."), code="not_planned")
        user = _user(by)
        if settings.BATCH_FOUR_EYES and (
            user is None or (run.planned_by_id is not None and run.planned_by_id == user.pk)
        ):
            raise ValidationError(
                _("A second administrator must approve the run (four eyes)."), code="four_eyes"
            )
        run.status = IssuanceRun.Status.APPROVED
        run.approved_by, run.approved_at = user, timezone.now()
        run.save(update_fields=["status", "approved_by", "approved_at"])
        audit.record(actor=by, action="approve", obj=run, detail={"planned": run.planned})
    return run
