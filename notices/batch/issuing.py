"""Issue a chunk's documents in bulk: the same decisions as `cards.services.issue_certificate`
and `notices.services.hand_out_notice`, a few queries per few hundred persons instead of a dozen
per person (docs/adr/0013-batch-engine.md).

Runs inside the chunk's transaction (`rendering.process_chunk`), which also writes the print
file and marks the chunk done: either all of it commits or none of it. Per block of items:
1. lock the persons (primary-key order; the services' lock order is person → certificate);
2. read their rows (`person_rows`) and assess them with the rules engine after the lock;
3. decide each document exactly as the services do (`certificate_terms`, `document_reason`,
   `ratio_on_start`); the same-day idempotency of the services holds (an existing certificate or
   notice of the same day and reason is reused, nothing written);
4. write: void the replaced certificates, bulk-create the certificates (numbers from the chunk's
   reserved block, in item order) and notices, one-time activation codes for persons without a
   portal account (hash only), audit events, and the items (status, snapshot, links).
The plain activation codes exist only in the returned snapshots, which are printed before the
transaction commits.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.models import Certificate, DocumentReason
from cards.services import (
    certificate_number,
    certificate_terms,
    document_reason,
    fiscal_year_of,
    ratio_on_start,
)
from eligibility.facts_builder import NoEnrolment, PersonRow, facts_from_records, person_rows
from eligibility.models import InsuredPerson
from eligibility.rules.assessment import Assessment
from eligibility.rules.engine import assess
from eligibility.rules.facts import DocumentKind
from eligibility.rules.policy import policy_at
from eligibility.services import (
    _hash_code,  # the one definition of how a code is hashed (redeeming uses it too)
    plain_activation_codes,
    refuse,
)
from notices.batch.snapshots import from_json, to_json
from notices.documents.builders import SPECIAL_NOTE, certificate_snapshot_from, notice_snapshot_from
from notices.documents.snapshots import DocumentSnapshot
from notices.models import IssuanceItem, Notice
from sumida_kokuho.models import (
    ACTIVATION_CODE_LIFETIME,
    ActivationCode,
    AuditAction,
    AuditEvent,
    ResidentAccount,
)

ISSUE_BLOCK = 250  # items per round of queries
_REASONS = frozenset(DocumentReason.values)
ANOTHER_RUN = "already issued for the same reason and trigger by another run"


class NumbersExhausted(RuntimeError):
    """A certificate item has no number left in its chunk's block (it should not happen)."""


@dataclass
class IssueResult:
    issued: int = 0
    failed: int = 0
    # item id -> the snapshot to print (with the plain activation code, never stored)
    snapshots: dict[int, DocumentSnapshot] = field(default_factory=dict)


def issue_items(
    *,
    run: Any,
    items: list[IssuanceItem],
    numbers: dict[int, str],
    activation_codes: bool = True,
) -> IssueResult:
    """Issue the pending `items` (in print order). `numbers` maps each certificate item's id to
    the number reserved for it. Call inside a transaction."""
    result = IssueResult()
    for start in range(0, len(items), ISSUE_BLOCK):
        _issue_block(run, items[start : start + ISSUE_BLOCK], numbers, activation_codes, result)
    return result


@dataclass
class _Decision:
    item: IssuanceItem
    row: PersonRow
    certificate: Certificate | None = None  # new (unsaved) or reused
    notice: Notice | None = None
    reused: bool = False
    voids: Certificate | None = None
    special: bool = False


def _issue_block(
    run: Any,
    items: list[IssuanceItem],
    numbers: dict[int, str],
    activation_codes: bool,
    result: IssueResult,
) -> None:
    as_of: date = run.as_of
    actor = run.run_by if run.run_by is not None and run.run_by.is_authenticated else None
    pks = sorted({item.person_id for item in items})
    # 1. Lock the persons, then read and decide (ADR 0006: decide after the lock).
    list(InsuredPerson.objects.select_for_update().filter(pk__in=pks).order_by("pk").values("pk"))
    rows = person_rows(pks)
    elsewhere = _issued_by_other_runs(run, items)
    failures: dict[int, str] = {}
    decisions: list[_Decision] = []
    for item in items:
        try:
            decisions.append(_decide(item, rows.get(item.person_id), as_of, elsewhere))
        except ValidationError as error:
            failures[item.pk] = "; ".join(error.messages)
    # 2. Write: voids first (one certificate in force per person), then the new documents.
    renew_lead = policy_at(as_of).renewal_lead_days
    voided: list[Certificate] = []
    for decision in decisions:
        old = decision.voids
        if old is None:
            continue
        renewing = (old.valid_until - as_of).days <= renew_lead
        old.void_reason = (
            Certificate.VoidReason.RENEWED if renewing else Certificate.VoidReason.REISSUED
        )
        voided.append(old)
    for reason in (Certificate.VoidReason.RENEWED, Certificate.VoidReason.REISSUED):
        ids = [c.pk for c in voided if c.void_reason == reason]
        if ids:
            Certificate.objects.filter(pk__in=ids, voided_on__isnull=True).update(
                voided_on=as_of, void_reason=reason
            )
    new_certificates = []
    for decision in decisions:
        certificate = decision.certificate
        if certificate is not None and not decision.reused:
            number = numbers.get(decision.item.pk)
            if number is None:
                raise NumbersExhausted(f"no reserved number for item {decision.item.pk}")
            certificate.number = number
            certificate.issued_by = actor
            new_certificates.append(certificate)
    Certificate.objects.bulk_create(new_certificates)
    new_notices = [d.notice for d in decisions if d.notice is not None and not d.reused]
    for notice in new_notices:
        notice.issued_by = actor
    Notice.objects.bulk_create(new_notices)
    codes = _activation_codes(decisions, actor) if activation_codes else {}
    _audit(decisions, voided, codes, actor, run)
    # 3. The items: issued, with their document, code and final snapshot (without the code).
    for decision in decisions:
        item = decision.item
        code, plain, until = codes.get(item.pk, (None, None, None))
        snapshot = _snapshot(decision, plain, until)
        result.snapshots[item.pk] = snapshot
        stored = _snapshot_json(snapshot)
        stored["activation_code"] = None  # never stored: printed once, only the hash is kept
        stored["activation_code_until"] = None
        item.status = IssuanceItem.Status.ISSUED
        item.snapshot = {**item.snapshot, "document": stored}
        item.error = ""
        item.certificate = decision.certificate
        item.notice = decision.notice
        item.activation_code_id = code
    _write_items([d.item for d in decisions])
    for item_pk, message in failures.items():
        IssuanceItem.objects.filter(pk=item_pk, status=IssuanceItem.Status.PENDING).update(
            status=IssuanceItem.Status.FAILED, error=message[:2000]
        )
    result.issued += len(decisions)
    result.failed += len(failures)


def _write_items(items: list[IssuanceItem]) -> None:
    """The issued items in one executemany (Django's bulk_update builds a CASE per row and
    field, which costs more than issuing)."""
    if not items:
        return
    table = IssuanceItem._meta.db_table
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET status = %s, snapshot = %s{jsonb}, error = '', "  # noqa: S608
        "certificate_id = %s, notice_id = %s, activation_code_id = %s WHERE id = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (
                    item.status,
                    json.dumps(item.snapshot, ensure_ascii=False),
                    item.certificate_id,
                    item.notice_id,
                    item.activation_code_id,
                    item.pk,
                )
                for item in items
            ],
        )


def _snapshot_json(snapshot: DocumentSnapshot) -> dict[str, Any]:
    """`snapshots.document_to_json` without `dataclasses.asdict`'s deep copy (a snapshot's
    fields are flat scalars and dates): the same JSON, a fifth of the cost."""
    return to_json({f.name: getattr(snapshot, f.name) for f in dataclasses.fields(snapshot)})


def _issued_by_other_runs(run: Any, items: list[IssuanceItem]) -> set[tuple[Any, ...]]:
    """(person, document, reason, trigger) already issued by another run: the database refuses
    a second one (the partial unique constraint), so those items fail with why."""
    return set(
        IssuanceItem.objects.filter(
            person_id__in={item.person_id for item in items}, status__in=["issued", "done"]
        )
        .exclude(run_id=run.pk)
        .values_list("person_id", "document", "reason", "trigger_on")
    )


def _not_insured(as_of: date) -> ValidationError:
    return refuse(
        NON_FIELD_ERRORS, _("This person is not insured on %(day)s."), "not_insured", day=as_of
    )


def _decide(
    item: IssuanceItem, row: PersonRow | None, as_of: date, elsewhere: set[tuple[Any, ...]]
) -> _Decision:
    if (item.person_id, item.document, item.reason, item.trigger_on) in elsewhere:
        raise ValidationError(ANOTHER_RUN)
    if item.reason not in _REASONS:
        raise refuse("reason", _("Choose a reason from the list."), "invalid_choice")
    if row is None:
        raise _not_insured(as_of)
    records = row.records
    try:
        assessment = assess(facts_from_records(records, as_of), as_of)
    except NoEnrolment:
        raise _not_insured(as_of) from None
    if not assessment.insured:
        raise _not_insured(as_of)
    decision = _Decision(item, row, special=_special(assessment))
    if item.document == DocumentKind.CERTIFICATE.value:
        _decide_certificate(decision, assessment, as_of)
    else:
        _decide_notice(decision, assessment, as_of)
    return decision


def _facts_on(row: PersonRow) -> Any:
    return lambda day: facts_from_records(row.records, day)


def _decide_certificate(decision: _Decision, assessment: Assessment, as_of: date) -> None:
    item, row = decision.item, decision.row
    active = next((c for c in row.records.certificates if c.voided_on is None), None)
    if active is not None and active.issued_on == as_of and active.reason == item.reason:
        decision.certificate = Certificate.objects.get(pk=active.pk)  # idempotent: reuse
        decision.reused = True
        return
    terms = certificate_terms(
        assessment=assessment,
        birth_date=row.birth_date,
        reason=item.reason,
        facts_on=_facts_on(row),
    )
    if active is not None:
        if as_of < active.issued_on:
            raise refuse(
                NON_FIELD_ERRORS,
                _("A certificate issued later (%(day)s) is in force."),
                "newer_certificate",
                day=active.issued_on,
            )
        decision.voids = Certificate(
            pk=active.pk,
            number=active.number,
            valid_until=active.valid_until,
            person_id=item.person_id,
        )
    decision.certificate = Certificate(
        person_id=item.person_id,
        issued_on=as_of,
        valid_until=terms.valid_until,
        reason=terms.reason,
        rule_ids=terms.rule_ids,
        burden_ratio=terms.burden_ratio,
        special_medical_expenses=terms.special_medical_expenses,
    )


def _decide_notice(decision: _Decision, assessment: Assessment, as_of: date) -> None:
    item, row = decision.item, decision.row
    same_day = sorted(
        (n for n in row.records.notices if n.issued_on == as_of and n.reason == item.reason),
        key=lambda n: n.pk,
    )
    if same_day:
        decision.notice = Notice.objects.get(pk=same_day[0].pk)  # idempotent: reuse
        decision.reused = True
        return
    choice = document_reason(assessment, DocumentKind.NOTICE, item.reason)
    decision.notice = Notice(
        person_id=item.person_id,
        issued_on=as_of,
        reason=choice.reason,
        rule_ids=list(choice.rules) or ["R-NOTICE-WHO"],
        burden_ratio=ratio_on_start(assessment, choice.starts_on, _facts_on(row)),
    )


def _special(assessment: Assessment) -> bool:
    return any(note.code == SPECIAL_NOTE for note in assessment.notes)


def _activation_codes(decisions: list[_Decision], actor: Any) -> dict[int, tuple[int, str, date]]:
    """A code for each newly issued document of a person without a portal account; older
    unused codes of those persons expire now (only the latest letter works)."""
    fresh = [d for d in decisions if not d.reused]
    if not fresh:
        return {}
    with_account = set(
        ResidentAccount.objects.filter(person_id__in=[d.item.person_id for d in fresh]).values_list(
            "person_id", flat=True
        )
    )
    wanted = [d for d in fresh if d.item.person_id not in with_account]
    if not wanted:
        return {}
    now = timezone.now()
    expires = now + ACTIVATION_CODE_LIFETIME
    ActivationCode.objects.filter(
        person_id__in=[d.item.person_id for d in wanted], used_at__isnull=True, expires_at__gt=now
    ).update(expires_at=now)
    plains = plain_activation_codes(len(wanted))
    ids = _insert_codes(
        [
            (d.item.person_id, _hash_code(plain.replace("-", "")))
            for d, plain in zip(wanted, plains, strict=True)
        ],
        now,
        expires,
        actor,
    )
    until = timezone.localtime(expires).date()
    return {
        d.item.pk: (code_id, plain, until)
        for d, code_id, plain in zip(wanted, ids, plains, strict=True)
    }


def _insert_codes(rows: list[tuple[int, str]], created: Any, expires: Any, actor: Any) -> list[int]:
    """Insert the code rows (person, hash) and return their ids in the same order: one
    multi-row INSERT … RETURNING, as bulk_create does, without building a model per row."""
    table = ActivationCode._meta.db_table
    ops = connection.ops
    created, expires = (
        ops.adapt_datetimefield_value(created),
        ops.adapt_datetimefield_value(expires),
    )
    actor_id = actor.pk if actor is not None else None
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ISSUE_BLOCK):
            block = rows[start : start + ISSUE_BLOCK]
            values = ", ".join(["(%s, %s, %s, %s, NULL, %s)"] * len(block))
            params: list[Any] = []
            for person_id, code_hash in block:
                params += [person_id, code_hash, created, expires, actor_id]
            cursor.execute(
                f"INSERT INTO {table} (person_id, code_hash, created_at, expires_at, "  # noqa: S608
                f"used_at, created_by_id) VALUES {values} RETURNING id",
                params,
            )
            ids += [row[0] for row in cursor.fetchall()]
    if len(ids) != len(rows):
        raise RuntimeError("activation codes: the database returned fewer ids than rows")
    return ids


def _audit(
    decisions: list[_Decision],
    voided: list[Certificate],
    codes: dict[int, tuple[int, str, date]],
    actor: Any,
    run: Any,
) -> None:
    """The events the services write (void, issue), in bulk; an issue names its activation
    code row (never the code)."""
    households = {d.item.person_id: d.row.household_id for d in decisions}
    events = []
    replaced_by = {
        d.voids.pk: d.certificate.number
        for d in decisions
        if d.voids is not None and d.certificate is not None
    }
    for old in voided:
        events.append(
            (
                AuditAction.VOID,
                "cards.certificate",
                str(old.pk),
                old.person_id,
                households.get(old.person_id),
                {"void_reason": old.void_reason, "replaced_by": replaced_by.get(old.pk)},
            )
        )
    for d in decisions:
        if d.reused:
            continue
        item = d.item
        code = codes.get(item.pk)
        detail: dict[str, Any] = {"reason": item.reason, "run": run.pk}
        if d.certificate is not None:
            target: Any = d.certificate
            detail.update(
                number=d.certificate.number,
                replaces=d.voids.number if d.voids is not None else None,
            )
        else:
            target = d.notice
        if code is not None:
            detail["activation_code"] = code[0]
        events.append(
            (
                AuditAction.ISSUE,
                target._meta.label_lower,
                str(target.pk),
                item.person_id,
                d.row.household_id,
                detail,
            )
        )
    _insert_audit(events, actor)


def _insert_audit(events: list[tuple[Any, ...]], actor: Any) -> None:
    """Append the events in one executemany of plain tuples (bulk_create prepares every field
    of every row through the ORM, which costs more than the decisions themselves). Insert only:
    the audit trail stays append-only."""
    if not events:
        return
    table = AuditEvent._meta.db_table
    jsonb = "::jsonb" if connection.vendor == "postgresql" else ""
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    actor_id = actor.pk if actor is not None else None
    sql = (
        f"INSERT INTO {table} (at, actor_id, action, object_type, object_id, "  # noqa: S608
        "person_id, household_id, counter, detail) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, '', %s{jsonb})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (
                    at,
                    actor_id,
                    str(action),
                    object_type,
                    object_id,
                    person,
                    household,
                    json.dumps(detail),
                )
                for action, object_type, object_id, person, household, detail in events
            ],
        )


def _snapshot(decision: _Decision, plain: str | None, until: date | None) -> DocumentSnapshot:
    item, row = decision.item, decision.row
    person_fields = from_json(item.snapshot["person"])
    if decision.certificate is not None:
        c = decision.certificate
        return certificate_snapshot_from(
            person_fields=person_fields,
            birth_date=row.birth_date,
            number=c.number,
            issued_on=c.issued_on,
            valid_until=c.valid_until,
            burden_ratio=c.burden_ratio,
            special_medical_expenses=c.special_medical_expenses,
            activation_code=plain,
            activation_code_until=until,
        )
    assert decision.notice is not None
    n = decision.notice
    return notice_snapshot_from(
        person_fields=person_fields,
        birth_date=row.birth_date,
        issued_on=n.issued_on,
        burden_ratio=n.burden_ratio,
        special_medical_expenses=decision.special,
        addressee_name=item.snapshot["addressee_name"],
        activation_code=plain,
        activation_code_until=until,
    )


def block_numbers(
    first: int | None, count: int, as_of: date, item_ids: list[int]
) -> dict[int, str]:
    """The reserved numbers of a chunk, one per certificate item in print order."""
    if first is None:
        return {}
    year = fiscal_year_of(as_of)
    return {
        item_id: certificate_number(year, first + index)
        for index, item_id in enumerate(item_ids[:count])
    }
