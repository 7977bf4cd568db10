"""Plan a run: assess every insured person with the rules engine and list who is due which
document and why; cut the list into chunks; approve.

Nothing is issued here. Planning the same period and kind again returns the same run (a
UniqueConstraint, not only this code); `replan=True` refreshes a run nobody has approved yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from eligibility.facts_builder import NoEnrolment, build_person_facts, persons_for_assessment
from eligibility.models import InsuredPerson
from eligibility.rules.engine import assess
from notices.batch.snapshots import to_json

# The builders are the one place that knows what a document prints about a person.
from notices.documents.builders import _addressee, _person_fields
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
) -> PlanResult:
    """The run for `period` (its month) and `kind`, planned on `as_of`."""
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
        assessed = _add_items(run, progress)
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


def _add_items(run: IssuanceRun, progress: Progress | None) -> int:
    persons = persons_for_assessment().select_related("household__householder").order_by("pk")
    total = InsuredPerson.objects.count()
    batch: list[IssuanceItem] = []
    done = 0
    for person in persons.iterator(chunk_size=READ_CHUNK):
        done += 1
        item = _item_for(run, person)
        if item is not None:
            batch.append(item)
        if len(batch) >= READ_CHUNK:
            IssuanceItem.objects.bulk_create(batch)
            batch.clear()
        if progress is not None and done % READ_CHUNK == 0:
            progress(done, total)
    IssuanceItem.objects.bulk_create(batch)
    if progress is not None:
        progress(done, total)
    return done


def _item_for(run: IssuanceRun, person: InsuredPerson) -> IssuanceItem | None:
    try:
        facts = build_person_facts(person, run.as_of)
    except NoEnrolment:
        return None
    assessment = assess(facts, run.as_of)
    if not assessment.documents_due:
        return None
    due = assessment.documents_due[0]  # the rules give at most one document at a time
    household = person.household
    return IssuanceItem(
        run=run,
        person=person,
        household_id_frozen=household.pk,
        document=due.document.value,
        reason=due.reason,
        trigger_on=due.trigger_on,
        due_by=due.by,
        rule_ids=list(due.rules),
        postal_code=household.postal_code,
        snapshot={
            "person": to_json(_person_fields(person, facts)),
            "addressee_name": _addressee(person),
        },
    )


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
