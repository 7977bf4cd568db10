"""What the portal tells a resident about one insured person: which proof works today and why,
and what comes next. Reads only what `access._portal_persons()` prefetched, so a household's
page costs the same number of queries whatever its size.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.models import CertificateApplication
from eligibility.explain import format_day, sentence
from eligibility.facts_builder import NoEnrolment, build_person_facts
from eligibility.models import InsuredPerson
from eligibility.rules.assessment import Assessment
from eligibility.rules.engine import assess
from eligibility.rules.facts import DocumentKind

# How far ahead "what comes next" looks for the 70th and 75th birthdays.
HORIZON = timedelta(days=2 * 366)

PROOF_NAMES = {
    "myna": gettext_lazy("My Number insurance card"),
    "paper_card": gettext_lazy("Paper health insurance card"),
    "certificate": gettext_lazy("Eligibility certificate"),
}
DOCUMENT_NAMES = {
    DocumentKind.CERTIFICATE: gettext_lazy("eligibility certificate"),
    DocumentKind.NOTICE: gettext_lazy("notice of insurance information"),
}


@dataclass(frozen=True, slots=True)
class ProofLine:
    kind: str
    name: str
    usable: bool
    reason: str


@dataclass(frozen=True, slots=True)
class NextStep:
    when: str
    text: str


@dataclass(slots=True)
class PersonStatus:
    person: InsuredPerson
    assessment: Assessment | None
    proofs: list[ProofLine] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # insured, co-payment
    notes: list[str] = field(default_factory=list)
    next_steps: list[NextStep] = field(default_factory=list)
    applications: list[CertificateApplication] = field(default_factory=list)

    @property
    def insured(self) -> bool:
        return self.assessment is not None and self.assessment.insured

    @property
    def usable_proofs(self) -> list[ProofLine]:
        return [proof for proof in self.proofs if proof.usable]

    @property
    def open_application(self) -> CertificateApplication | None:
        return next(
            (a for a in self.applications if a.status == CertificateApplication.Status.SUBMITTED),
            None,
        )


def part_of_month(day: date, language: str) -> str:
    """ "late November 2026" / 令和8年11月下旬: when in a month a letter arrives."""
    third = "early" if day.day <= 10 else ("mid" if day.day <= 20 else "late")
    if language.startswith("ja"):
        suffix = {"early": "上旬", "mid": "中旬", "late": "下旬"}[third]
        first = format_day(day.replace(day=1), "ja")
        return first.replace("1日", suffix, 1)
    word = {"early": "early", "mid": "mid", "late": "late"}[third]
    return f"{word} {calendar.month_name[day.month]} {day.year}"


def _ratio_text(percent: int) -> str:
    return _("%(tenths)d割 (%(percent)d%%)") % {"tenths": percent // 10, "percent": percent}


def _turning_70(
    person: InsuredPerson, result: Assessment, language: str, as_of: date
) -> NextStep | None:
    milestones = result.milestones
    if not (as_of < milestones.elderly_from <= as_of + HORIZON):
        return None
    try:
        later = assess(build_person_facts(person, milestones.elderly_from), milestones.elderly_from)
    except NoEnrolment:
        return None
    if not later.insured or later.burden_ratio is None:
        return None
    document = (
        DOCUMENT_NAMES[DocumentKind.NOTICE]
        if result.proofs.myna.usable
        else DOCUMENT_NAMES[DocumentKind.CERTIFICATE]
    )
    arrival = milestones.turns_70_month.replace(day=25)
    return NextStep(
        when=part_of_month(arrival, language),
        text=_(
            "You turn 70. You will receive your %(document)s showing your %(ratio)s co-payment, "
            "which applies from %(from)s."
        )
        % {
            "document": document,
            "ratio": _ratio_text(later.burden_ratio),
            "from": format_day(milestones.elderly_from, language),
        },
    )


def _late_elderly(result: Assessment, language: str, as_of: date) -> NextStep | None:
    start = result.milestones.late_elderly_from
    if not (as_of < start <= as_of + HORIZON):
        return None
    return NextStep(
        when=format_day(start, language),
        text=_(
            "From your 75th birthday National Health Insurance ends and the Late-Stage Elderly "
            "Medical Care System covers you. It sends you its own document; you need not apply."
        ),
    )


def _preschool(result: Assessment, language: str, as_of: date) -> NextStep | None:
    until = result.milestones.preschool_until
    if not (as_of <= until <= as_of + HORIZON):
        return None
    return NextStep(
        when=format_day(until + timedelta(days=1), language),
        text=_("Compulsory school starts: the co-payment changes from 2割 (20%) to 3割 (30%)."),
    )


def _certificate_expiry(
    person: InsuredPerson, result: Assessment, language: str, as_of: date
) -> NextStep | None:
    if not result.proofs.certificate.usable:
        return None
    held = build_person_facts(person, as_of).certificate
    if held is None:
        return None
    if result.proofs.myna.usable:
        after = _("After that, use your My Number insurance card.")
    else:
        after = _(
            "While you have no My Number insurance card, a new certificate is sent to you "
            "before then, without applying."
        )
    return NextStep(
        when=format_day(held.valid_until, language),
        text=_("Your eligibility certificate can be used until this day.") + " " + after,
    )


def _document_due(result: Assessment, language: str) -> NextStep | None:
    if not result.documents_due:
        return None
    due = result.documents_due[0]
    document = DOCUMENT_NAMES[due.document]
    if due.on_application:
        text = _("You can apply for the %(document)s, online here or at the counter.") % {
            "document": document
        }
        return NextStep(when=_("Now"), text=text)
    text = _("The %(document)s will be sent to you by post.") % {"document": document}
    when = format_day(due.by, language) if due.by else _("Soon")
    if due.by:
        text = _("The %(document)s will be sent to you by post, to arrive by this day.") % {
            "document": document
        }
    return NextStep(when=when, text=text)


def person_status(person: InsuredPerson, as_of: date) -> PersonStatus:
    """The status of `person` (loaded by the access helpers) on `as_of`, in the active language."""
    language = translation.get_language() or "ja"
    applications = list(person.certificate_applications.all())
    try:
        result = assess(build_person_facts(person, as_of), as_of)
    except NoEnrolment:
        return PersonStatus(person=person, assessment=None, applications=applications)
    status = PersonStatus(person=person, assessment=result, applications=applications)
    for decision in result.decisions:
        words = sentence(decision, language)
        if decision.code.startswith(("insured.", "ratio.")):
            status.summary.append(words)
        elif decision.code.startswith("note."):
            status.notes.append(words)
    for kind in ("myna", "paper_card", "certificate"):
        proof = getattr(result.proofs, kind)
        decision = next((d for d in result.decisions if d.code.startswith(f"proof.{kind}.")), None)
        reason = sentence(decision, language) if decision else ""
        status.proofs.append(
            ProofLine(kind=kind, name=str(PROOF_NAMES[kind]), usable=proof.usable, reason=reason)
        )
    if result.insured:
        steps = (
            _document_due(result, language),
            _certificate_expiry(person, result, language, as_of),
            _preschool(result, language, as_of),
            _turning_70(person, result, language, as_of),
            _late_elderly(result, language, as_of),
        )
        status.next_steps = [step for step in steps if step is not None]
    return status
