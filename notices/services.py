"""Writes about 資格情報のお知らせ: handing one out (at the counter, or from a batch).

Same conventions as `eligibility.services` and `cards.services`; the reason, the printed ratio
and the idempotency per day follow `cards.services.issue_certificate`.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cards.models import DocumentReason
from cards.services import assessed_or_refused, document_reason, printed_burden_ratio
from eligibility.models import InsuredPerson
from eligibility.rules.facts import DocumentKind
from eligibility.services import Actor, acting_user, lock_person, refuse
from notices.models import Notice
from sumida_kokuho import audit
from sumida_kokuho.models import AuditAction


def hand_out_notice(
    *,
    person: InsuredPerson,
    by: Actor,
    as_of: date,
    reason: str | None = None,
    counter: str = "",
) -> Notice:
    """Record a 資格情報のお知らせ given to the person on `as_of` (R-NOTICE-WHO).

    `reason` defaults to the reason of the notice due, or `other` when none is due. Idempotent
    per day: a notice already given on `as_of` for the same reason (any reason when none is
    given) is returned and nothing is written. 負担割合 is printed for 70–74 only.
    """
    if reason is not None and reason not in DocumentReason.values:
        raise refuse("reason", _("Choose a reason from the list."), "invalid_choice")
    with transaction.atomic():
        lock_person(person)
        stored, assessment = assessed_or_refused(person, as_of)
        same_day = stored.notices.filter(issued_on=as_of)
        if reason is not None:
            same_day = same_day.filter(reason=reason)
        existing = same_day.order_by("pk").first()
        if existing is not None:
            return existing
        choice = document_reason(assessment, DocumentKind.NOTICE, reason)
        reason = choice.reason
        notice = Notice.objects.create(
            person=stored,
            issued_on=as_of,
            reason=reason,
            rule_ids=list(choice.rules) or ["R-NOTICE-WHO"],
            burden_ratio=printed_burden_ratio(stored, assessment, choice.starts_on),
            issued_by=acting_user(by),
        )
        audit.record(
            actor=by,
            action=AuditAction.ISSUE,
            obj=notice,
            counter=counter,
            detail={"reason": reason},
        )
        return notice
