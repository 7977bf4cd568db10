"""Writes about 資格確認書: issue (and reissue), void, and the residents' applications for one.

Same conventions as `eligibility.services`: keyword-only, `by=` the acting user, one transaction
with its audit events, refusals as `ValidationError`s keyed by the argument at fault (or
NON_FIELD_ERRORS for the records' state). Every write locks the person's row first; issuing
re-assesses after the lock, which is what makes two clerks pressing "issue" at once produce one
certificate (ADR 0006).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cards.models import Certificate, CertificateApplication, DocumentCounter, DocumentReason
from eligibility.facts_builder import NoEnrolment, build_person_facts
from eligibility.models import InsuredPerson
from eligibility.rules.assessment import Assessment, DocumentDue
from eligibility.rules.dates import ONE_DAY
from eligibility.rules.engine import assess
from eligibility.rules.facts import DocumentKind, PersonFacts
from eligibility.rules.policy import policy_at
from eligibility.rules.validity import certificate_validity
from eligibility.services import Actor, acting_user, fresh_assessment, lock_person, refuse
from sumida_kokuho import audit
from sumida_kokuho.models import AuditAction

# --- shared with notices.services ---------------------------------------------------------------

# Rule ids for a document given for a reason the rules do not see applying today (the person
# asked, or a clerk chose the reason); `other` names none.
_RULES_WHEN_ASKED: dict[str, tuple[str, ...]] = {
    DocumentReason.MYNA_CARD_LOST: ("R-MYNA", "R-CERT-APPLY"),
    DocumentReason.PAPER_CARD_LOST: ("R-PAPER-VALID", "R-CERT-APPLY"),
    DocumentReason.NEEDS_SUPPORT: ("R-CERT-APPLY",),
}


def assessed_or_refused(person: InsuredPerson, as_of: date) -> tuple[InsuredPerson, Assessment]:
    """The person read fresh and assessed on `as_of`; refused unless insured that day."""
    try:
        stored, assessment = fresh_assessment(person.pk, as_of)
        insured = assessment.insured
    except NoEnrolment:
        insured = False
    if not insured:
        raise refuse(
            NON_FIELD_ERRORS,
            _("This person is not insured on %(day)s."),
            "not_insured",
            day=as_of,
        )
    return stored, assessment


@dataclass(frozen=True, slots=True)
class DocumentChoice:
    """The reason recorded for a document, its rule ids, and the day it takes effect."""

    reason: str
    rules: tuple[str, ...]
    starts_on: date


# Reasons whose document replaces something that runs out (or, for 70, a ratio that changes) at
# the end of the due reason's `by`: the new document takes effect the day after, so its validity
# and its printed ratio are counted from then, not from the issue day.
_STARTS_AFTER_BY = {
    DocumentReason.TURNS_70,
    DocumentReason.CERTIFICATE_EXPIRY,
    DocumentReason.PAPER_CARD_EXPIRY,
}


def document_reason(
    assessment: Assessment, document: DocumentKind, requested: str | None
) -> DocumentChoice:
    """What to record for a `document` given on the assessment's day.

    Without a requested reason: the reason of the document due, if that is this kind of
    document, else `other` (given at the person's request). A requested reason takes the rule
    ids of the matching applying reason when the rules see one.
    """
    matched: DocumentDue | None = None
    if requested is None:
        due = assessment.documents_due[0] if assessment.documents_due else None
        if due is not None and due.document is document:
            matched = due
        reason = matched.reason if matched is not None else DocumentReason.OTHER
    else:
        reason = requested
        matched = next(
            (
                applying
                for applying in assessment.applying_reasons
                if applying.document is document and applying.reason == requested
            ),
            None,
        )
    if matched is None:
        return DocumentChoice(reason, _RULES_WHEN_ASKED.get(reason, ()), assessment.as_of)
    starts_on = assessment.as_of
    if matched.reason in _STARTS_AFTER_BY and matched.by is not None:
        starts_on = max(starts_on, matched.by + ONE_DAY)
    return DocumentChoice(reason, matched.rules, starts_on)


def printed_burden_ratio(
    person: InsuredPerson, assessment: Assessment, starts_on: date
) -> int | None:
    """負担割合 as printed: only when the 70–74 rates apply on `starts_on` (R-CONTENTS).

    Assessed on `starts_on` from the records as they stand then, so a redetermination that
    takes effect on that day (1 August) is the one printed.
    """
    return ratio_on_start(assessment, starts_on, lambda day: build_person_facts(person, day))


def ratio_on_start(
    assessment: Assessment, starts_on: date, facts_on: Callable[[date], PersonFacts]
) -> int | None:
    """`printed_burden_ratio` with the person's facts on a day from `facts_on` (the batch
    builds them from rows it already holds)."""
    on_start = assessment
    if starts_on != assessment.as_of:
        on_start = assess(facts_on(starts_on), starts_on)
    return on_start.burden_ratio if on_start.elderly_recipient else None


@dataclass(frozen=True, slots=True)
class CertificateTerms:
    """What a new certificate says: decided by `certificate_terms` for the counter and the batch
    alike."""

    reason: str
    rule_ids: list[str]
    valid_until: date
    burden_ratio: int | None
    special_medical_expenses: bool


def certificate_terms(
    *,
    assessment: Assessment,
    birth_date: date,
    reason: str | None,
    facts_on: Callable[[date], PersonFacts],
) -> CertificateTerms:
    """Reason, rule ids, validity and printed ratio of a certificate issued on the assessment's
    day; refused when coverage ends before it would take effect."""
    choice = document_reason(assessment, DocumentKind.CERTIFICATE, reason)
    starts_on = choice.starts_on
    validity = certificate_validity(birth_date, starts_on)
    valid_until = validity.valid_until
    ends = assessment.milestones.coverage_ends_on
    if ends is not None and ends - ONE_DAY < valid_until:
        valid_until = ends - ONE_DAY
    if valid_until < starts_on:
        raise refuse(
            NON_FIELD_ERRORS,
            _("Coverage ends before the certificate would take effect (%(day)s)."),
            "ends_before_start",
            day=starts_on,
        )
    return CertificateTerms(
        reason=choice.reason,
        rule_ids=_unique(choice.rules + validity.rules),
        valid_until=valid_until,
        burden_ratio=ratio_on_start(assessment, starts_on, facts_on),
        special_medical_expenses=any(
            note.code == "special_medical_expenses" for note in assessment.notes
        ),
    )


def _unique(ids: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(ids))


# --- certificate numbers ------------------------------------------------------------------------

CERTIFICATE_COUNTER = "certificate"


def fiscal_year_of(day: date) -> int:
    """The Japanese fiscal year (April to March) that contains `day`, by its starting year."""
    return day.year if day.month >= 4 else day.year - 1


def next_certificate_number(issued_on: date) -> str:
    """The next number of the fiscal year, "2026-0000001". Call it inside the issuing
    transaction: the counter row stays locked until that transaction ends (ADR 0006)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Certificate numbers are drawn inside the issuing transaction.")
    fiscal_year = fiscal_year_of(issued_on)
    counter = DocumentCounter.objects.filter(kind=CERTIFICATE_COUNTER, fiscal_year=fiscal_year)
    if not counter.update(last_value=F("last_value") + 1):
        # First number of the year. Two first issues at once: one insert wins, the other does
        # nothing and then waits for the row lock in the update below.
        DocumentCounter.objects.bulk_create(
            [DocumentCounter(kind=CERTIFICATE_COUNTER, fiscal_year=fiscal_year)],
            ignore_conflicts=True,
        )
        counter.update(last_value=F("last_value") + 1)
    value = counter.values_list("last_value", flat=True).get()
    return certificate_number(fiscal_year, value)


def certificate_number(fiscal_year: int, value: int) -> str:
    return f"{fiscal_year}-{value:07d}"


def reserve_certificate_numbers(count: int, issued_on: date) -> int:
    """Reserve `count` consecutive numbers of the fiscal year of `issued_on` in one UPDATE of
    the counter; returns the first. For the batch (ADR 0013): it commits the block in a short
    transaction of its own and records it on its chunk, so the counter row is not held while
    the chunk is issued and printed; a retried chunk reuses its block."""
    if count < 1:
        raise ValueError("Reserve at least one number.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Certificate numbers are reserved inside a transaction.")
    fiscal_year = fiscal_year_of(issued_on)
    counter = DocumentCounter.objects.filter(kind=CERTIFICATE_COUNTER, fiscal_year=fiscal_year)
    if not counter.update(last_value=F("last_value") + count):
        DocumentCounter.objects.bulk_create(
            [DocumentCounter(kind=CERTIFICATE_COUNTER, fiscal_year=fiscal_year)],
            ignore_conflicts=True,
        )
        counter.update(last_value=F("last_value") + count)
    return counter.values_list("last_value", flat=True).get() - count + 1


# --- issue and void -----------------------------------------------------------------------------


def issue_certificate(
    *,
    person: InsuredPerson,
    by: Actor,
    as_of: date,
    reason: str | None = None,
    counter: str = "",
) -> Certificate:
    """Issue a 資格確認書 dated `as_of`, voiding the one in force (reissue or renewal).

    `reason` defaults to the reason of the certificate due, or `other` when none is due (a
    person asking at the counter). Idempotent per day: if the person already got a certificate
    on `as_of` that is still in force, for the same reason (any reason when none is given),
    that certificate is returned and nothing is written — a double click or a second clerk.
    """
    if reason is not None and reason not in DocumentReason.values:
        raise refuse("reason", _("Choose a reason from the list."), "invalid_choice")
    with transaction.atomic():
        lock_person(person)
        # Read after the lock: a certificate another clerk just issued is visible now.
        stored, assessment = assessed_or_refused(person, as_of)
        active = stored.certificates.filter(voided_on__isnull=True).first()
        if (
            active is not None
            and active.issued_on == as_of
            and (reason is None or active.reason == reason)
        ):
            return active
        terms = certificate_terms(
            assessment=assessment,
            birth_date=stored.birth_date,
            reason=reason,
            facts_on=lambda day: build_person_facts(stored, day),
        )
        reason = terms.reason
        if active is not None:
            if as_of < active.issued_on:
                raise refuse(
                    NON_FIELD_ERRORS,
                    _("A certificate issued later (%(day)s) is in force."),
                    "newer_certificate",
                    day=active.issued_on,
                )
            # Replacing a certificate that is running out is a renewal; anything else a reissue.
            lead = timedelta(days=policy_at(as_of).renewal_lead_days)
            renewing = as_of >= active.valid_until - lead
            active.voided_on = as_of
            active.void_reason = (
                Certificate.VoidReason.RENEWED if renewing else Certificate.VoidReason.REISSUED
            )
            active.save(update_fields=["voided_on", "void_reason"])
        certificate = Certificate.objects.create(
            person=stored,
            number=next_certificate_number(as_of),
            issued_on=as_of,
            valid_until=terms.valid_until,
            reason=reason,
            rule_ids=terms.rule_ids,
            burden_ratio=terms.burden_ratio,
            special_medical_expenses=terms.special_medical_expenses,
            issued_by=acting_user(by),
        )
        if active is not None:
            audit.record(
                actor=by,
                action=AuditAction.VOID,
                obj=active,
                counter=counter,
                detail={"void_reason": active.void_reason, "replaced_by": certificate.number},
            )
        audit.record(
            actor=by,
            action=AuditAction.ISSUE,
            obj=certificate,
            counter=counter,
            detail={
                "number": certificate.number,
                "reason": reason,
                "replaces": active.number if active is not None else None,
            },
        )
        return certificate


def void_certificate(
    *,
    certificate: Certificate,
    reason: str,
    by: Actor,
    on: date | None = None,
    counter: str = "",
) -> Certificate:
    """Void a certificate from `on` (default today): it is not usable from that day."""
    if reason not in Certificate.VoidReason.values:
        raise refuse("reason", _("Choose a reason from the list."), "invalid_choice")
    with transaction.atomic():
        InsuredPerson.objects.select_for_update().get(pk=certificate.person_id)
        current = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if current.voided_on is not None:
            raise refuse(
                NON_FIELD_ERRORS,
                _("This certificate is already void (from %(day)s)."),
                "already_void",
                day=current.voided_on,
            )
        on = on or timezone.localdate()
        if on < current.issued_on:
            raise refuse(
                "on",
                _("A certificate cannot be voided before it was issued (%(day)s)."),
                "before_issue",
                day=current.issued_on,
            )
        current.voided_on = on
        current.void_reason = reason
        current.save(update_fields=["voided_on", "void_reason"])
        audit.record(
            actor=by,
            action=AuditAction.VOID,
            obj=current,
            counter=counter,
            detail={"void_reason": reason},
        )
        return current


# --- applications -------------------------------------------------------------------------------

_DOCUMENT_REASON_FOR_APPLICATION: dict[str, str] = {
    CertificateApplication.Reason.MYNA_CARD_LOST: DocumentReason.MYNA_CARD_LOST,
    CertificateApplication.Reason.PAPER_CARD_LOST: DocumentReason.PAPER_CARD_LOST,
    CertificateApplication.Reason.NEEDS_SUPPORT: DocumentReason.NEEDS_SUPPORT,
    CertificateApplication.Reason.OTHER: DocumentReason.OTHER,
}
DETAIL_MAX_LENGTH = 2000


@dataclass(frozen=True, slots=True)
class ApplicationAnswer:
    """What the portal shows after "apply": the application saved, or why none is needed.

    `code` is `submitted`, `certificate_usable` (the person holds a usable certificate) or
    `myna_usable` (a lost-card application while マイナ保険証 works); `rules` are the rule ids.
    """

    application: CertificateApplication | None
    needed: bool
    code: str
    rules: tuple[str, ...]
    assessment: Assessment


def submit_application(
    *,
    person: InsuredPerson,
    reason: str,
    detail: str,
    channel: str,
    by: Actor,
    counter: str = "",
    as_of: date | None = None,
) -> ApplicationAnswer:
    """資格確認書の交付申請 (R-CERT-APPLY), online or at the counter.

    Refused while the person has an open application. When the records show the person needs
    no certificate (a usable one is held; or, for a lost card, マイナ保険証 works) nothing is
    saved and the answer says so, with the rule ids, for the portal to show.
    """
    detail = detail.strip()
    if reason not in CertificateApplication.Reason.values:
        raise refuse("reason", _("Choose a reason from the list."), "invalid_choice")
    if channel not in CertificateApplication.Channel.values:
        raise refuse("channel", _("Choose how the application was made."), "invalid_choice")
    if len(detail) > DETAIL_MAX_LENGTH:
        raise refuse(
            "detail",
            _("Enter at most %(limit)s characters."),
            "max_length",
            limit=DETAIL_MAX_LENGTH,
        )
    if reason == CertificateApplication.Reason.OTHER and not detail:
        raise refuse("detail", _("Tell us why you need a certificate."), "required")
    with transaction.atomic():
        lock_person(person)
        stored, assessment = assessed_or_refused(person, as_of or timezone.localdate())
        if stored.certificate_applications.filter(
            status=CertificateApplication.Status.SUBMITTED
        ).exists():
            raise refuse(
                NON_FIELD_ERRORS,
                _("An application is already open; wait for its decision."),
                "already_open",
            )
        proofs = assessment.proofs
        if proofs.certificate.usable:
            return ApplicationAnswer(
                None, False, "certificate_usable", proofs.certificate.rules, assessment
            )
        lost_card = reason in (
            CertificateApplication.Reason.MYNA_CARD_LOST,
            CertificateApplication.Reason.PAPER_CARD_LOST,
        )
        if lost_card and proofs.myna.usable:
            return ApplicationAnswer(None, False, "myna_usable", proofs.myna.rules, assessment)
        application = CertificateApplication.objects.create(
            person=stored,
            reason=reason,
            detail=detail,
            channel=channel,
            submitted_by=acting_user(by),
        )
        audit.record(
            actor=by,
            action="submit",
            obj=application,
            counter=counter,
            detail={"reason": reason, "channel": channel},
        )
        return ApplicationAnswer(application, True, "submitted", ("R-CERT-APPLY",), assessment)


def _open_application(application: CertificateApplication) -> CertificateApplication:
    """Lock the person, then the application; refuse unless it is still open."""
    InsuredPerson.objects.select_for_update().get(pk=application.person_id)
    current = CertificateApplication.objects.select_for_update().get(pk=application.pk)
    if current.status != CertificateApplication.Status.SUBMITTED:
        raise refuse(
            NON_FIELD_ERRORS,
            _("This application is already decided: %(status)s."),
            "already_decided",
            status=current.get_status_display(),
        )
    return current


def approve_application(
    *, application: CertificateApplication, by: Actor, as_of: date, counter: str = ""
) -> CertificateApplication:
    """Approve and issue: the certificate is issued in the same transaction (`issue_certificate`
    with the application's reason), so an approval never stands without its certificate.
    A person who needs support is registered as such: later renewals need no application."""
    with transaction.atomic():
        current = _open_application(application)
        person = current.person
        if (
            current.reason == CertificateApplication.Reason.NEEDS_SUPPORT
            and not person.needs_support
        ):
            person.needs_support = True
            person.save(update_fields=["needs_support", "updated_at"])
            audit.record(
                actor=by,
                action=AuditAction.CHANGE,
                obj=person,
                counter=counter,
                detail={"fields": ["needs_support"]},
            )
        certificate = issue_certificate(
            person=person,
            by=by,
            as_of=as_of,
            reason=_DOCUMENT_REASON_FOR_APPLICATION[current.reason],
            counter=counter,
        )
        current.status = CertificateApplication.Status.APPROVED
        current.decided_at = timezone.now()
        current.decided_by = acting_user(by)
        current.certificate = certificate
        current.save(update_fields=["status", "decided_at", "decided_by", "certificate"])
        audit.record(
            actor=by,
            action="approve",
            obj=current,
            counter=counter,
            detail={"certificate": certificate.number},
        )
        return current


def reject_application(
    *, application: CertificateApplication, reason: str, by: Actor, counter: str = ""
) -> CertificateApplication:
    """Reject with a reason the resident will read."""
    reason = reason.strip()
    if not reason:
        raise refuse("reason", _("Give the reason for the rejection."), "required")
    with transaction.atomic():
        current = _open_application(application)
        current.status = CertificateApplication.Status.REJECTED
        current.rejection_reason = reason
        current.decided_at = timezone.now()
        current.decided_by = acting_user(by)
        current.save(update_fields=["status", "rejection_reason", "decided_at", "decided_by"])
        # Field names only: the reason is free text about the person.
        audit.record(
            actor=by,
            action="reject",
            obj=current,
            counter=counter,
            detail={"fields": ["rejection_reason"]},
        )
        return current


def withdraw_application(
    *, application: CertificateApplication, by: Actor, counter: str = ""
) -> CertificateApplication:
    """The resident (or a clerk for them) withdraws an open application."""
    with transaction.atomic():
        current = _open_application(application)
        current.status = CertificateApplication.Status.WITHDRAWN
        current.decided_at = timezone.now()
        current.decided_by = acting_user(by)
        current.save(update_fields=["status", "decided_at", "decided_by"])
        audit.record(actor=by, action="withdraw", obj=current, counter=counter)
        return current
