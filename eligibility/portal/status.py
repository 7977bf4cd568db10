"""What the portal tells a resident about one insured person: which proof works today and why,
and what comes next.

`statuses()` serves a household in a fixed number of queries whatever its size. What the rules
say (a `Reading`, already worded) is kept in Django's cache per person, day and language, under
a key holding a fingerprint of every row the assessment reads (`fingerprint.py`): any change to
the person's records, however written, makes a new key. A miss loads the records of the missing
people through `persons_for_assessment()` and assesses each once.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import cast

from django.conf import settings
from django.core.cache import caches
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cards.models import CertificateApplication
from eligibility.explain import format_day, sentence
from eligibility.facts_builder import NoEnrolment, build_person_facts, persons_for_assessment
from eligibility.models import InsuredPerson
from eligibility.portal.fingerprint import fingerprints, household_fingerprints
from eligibility.rules.assessment import Assessment
from eligibility.rules.engine import assess
from eligibility.rules.facts import DocumentKind, PersonFacts

# How far ahead "what comes next" looks for the 70th and 75th birthdays.
HORIZON = timedelta(days=2 * 366)
# How long a reading stays cached. Its key holds the day and a fingerprint of the records, so
# this only bounds memory: a stale entry is never read.
CACHE_SECONDS = 24 * 60 * 60

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


@dataclass(frozen=True, slots=True)
class Reading:
    """What the rules say about one person on one day, worded in one language. This is what the
    cache holds: plain values, no model instances."""

    enrolled: bool  # False: no enrolment period on record, nothing to assess
    insured: bool = False
    proofs: tuple[ProofLine, ...] = ()
    summary: tuple[str, ...] = ()  # insured, co-payment
    notes: tuple[str, ...] = ()
    next_steps: tuple[NextStep, ...] = ()


@dataclass(slots=True)
class PersonStatus:
    person: InsuredPerson
    reading: Reading
    applications: list[CertificateApplication] = field(default_factory=list)

    @property
    def enrolled(self) -> bool:
        return self.reading.enrolled

    @property
    def insured(self) -> bool:
        return self.reading.insured

    @property
    def proofs(self) -> tuple[ProofLine, ...]:
        return self.reading.proofs

    @property
    def summary(self) -> tuple[str, ...]:
        return self.reading.summary

    @property
    def notes(self) -> tuple[str, ...]:
        return self.reading.notes

    @property
    def next_steps(self) -> tuple[NextStep, ...]:
        return self.reading.next_steps

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


def _certificate_expiry(facts: PersonFacts, result: Assessment, language: str) -> NextStep | None:
    if not result.proofs.certificate.usable:
        return None
    held = facts.certificate
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


def read_person(person: InsuredPerson, as_of: date, language: str) -> Reading:
    """Assess `person` (loaded by `persons_for_assessment()`) on `as_of` and word the result.

    The facts are built once; a second assessment is made only for a 70th birthday ahead (on
    that day, to name the co-payment it brings).
    """
    try:
        facts = build_person_facts(person, as_of)
    except NoEnrolment:
        return Reading(enrolled=False)
    result = assess(facts, as_of)
    summary: list[str] = []
    notes: list[str] = []
    for decision in result.decisions:
        if decision.code.startswith(("insured.", "ratio.")):
            summary.append(sentence(decision, language))
        elif decision.code.startswith("note."):
            notes.append(sentence(decision, language))
    proofs = []
    for kind in ("myna", "paper_card", "certificate"):
        proof = getattr(result.proofs, kind)
        decision = next((d for d in result.decisions if d.code.startswith(f"proof.{kind}.")), None)
        reason = sentence(decision, language) if decision else ""
        proofs.append(
            ProofLine(kind=kind, name=str(PROOF_NAMES[kind]), usable=proof.usable, reason=reason)
        )
    steps: tuple[NextStep | None, ...] = ()
    if result.insured:
        steps = (
            _document_due(result, language),
            _certificate_expiry(facts, result, language),
            _preschool(result, language, as_of),
            _turning_70(person, result, language, as_of),
            _late_elderly(result, language, as_of),
        )
    return Reading(
        enrolled=True,
        insured=result.insured,
        proofs=tuple(proofs),
        summary=tuple(summary),
        notes=tuple(notes),
        next_steps=tuple(step for step in steps if step is not None),
    )


def _cache_key(person_id: int, as_of: date, language: str, fingerprint: str) -> str:
    return f"portal-status:{CODE_VERSION}:{person_id}:{as_of.isoformat()}:{language}:{fingerprint}"


def statuses(people: list[InsuredPerson], as_of: date) -> list[PersonStatus]:
    """The status of each of `people` on `as_of`, in the active language, in their order.

    `people` need only their own row and their prefetched `certificate_applications` (see
    `access.py`). What the rules say is taken from the cache when every row it was computed
    from is unchanged (`fingerprint.py`); else the records are loaded and assessed, once per
    person. Either way a fixed number of queries, whatever the number of people.
    """
    language = translation.get_language() or "ja"
    store = caches[getattr(settings, "PORTAL_STATUS_CACHE", "default")]
    prints = fingerprints(people)
    keys = {p.pk: _cache_key(p.pk, as_of, language, prints[p.pk]) for p in people}
    readings: dict[str, Reading] = store.get_many(list(keys.values()))
    missing = [p.pk for p in people if keys[p.pk] not in readings]
    if missing:
        loaded = list(persons_for_assessment().filter(pk__in=missing))
        fresh = {keys[p.pk]: read_person(p, as_of, language) for p in loaded}
        readings.update(fresh)
        # Stored only if no row changed while they were read: an entry must describe exactly
        # the rows its key's fingerprint was taken from.
        after = fingerprints(loaded)
        store.set_many(
            {keys[p.pk]: fresh[keys[p.pk]] for p in loaded if after[p.pk] == prints[p.pk]},
            getattr(settings, "PORTAL_STATUS_CACHE_SECONDS", CACHE_SECONDS),
        )
    return [
        PersonStatus(
            person=person,
            # A person deleted between the two reads has nothing on record any more.
            reading=readings.get(keys[person.pk]) or Reading(enrolled=False),
            applications=list(person.certificate_applications.all()),
        )
        for person in people
    ]


def person_status(person: InsuredPerson, as_of: date) -> PersonStatus:
    """The status of one person (loaded by the access helpers) on `as_of`."""
    return statuses([person], as_of)[0]


# The page also shows the applications, so its fingerprint covers them too.
PAGE_EXTRA = ("certificate_applications",)


def cached_page(
    me: InsuredPerson, householder_view: bool, as_of: date, render: Callable[[], str]
) -> str:
    """The status page's body for the resident `me` on `as_of`, in the active language: from the
    cache when no row it shows changed (the members, their records and applications), else
    `render()`, stored only if nothing changed while it rendered. One query when cached."""
    language = translation.get_language() or "ja"
    store = caches[getattr(settings, "PORTAL_STATUS_CACHE", "default")]

    def current() -> dict[int, str]:
        if householder_view:
            return household_fingerprints(me.household_id, PAGE_EXTRA)
        return fingerprints([me], PAGE_EXTRA)

    before = current()
    digest = hashlib.sha256(repr(sorted(before.items())).encode()).hexdigest()
    key = (
        f"portal-page:{CODE_VERSION}:{me.pk}:{int(householder_view)}:{as_of.isoformat()}:"
        f"{language}:{digest}"
    )
    body = store.get(key)
    if body is None:
        body = render()
        if current() == before:
            store.set(key, body, getattr(settings, "PORTAL_STATUS_CACHE_SECONDS", CACHE_SECONDS))
    return cast(str, body)


def _code_version() -> str:
    """Changes when the rules, their wording or the translations change: a cache shared by
    servers of different releases never serves one release's words to another."""
    base = Path(__file__).resolve().parent.parent
    files = [
        *sorted((base / "rules").glob("*.py")),
        base / "explain.py",
        base / "facts_builder.py",
        *sorted((base / "portal").glob("*.py")),
        *sorted((settings.BASE_DIR / "templates" / "portal").glob("*.html")),
        settings.BASE_DIR / "templates" / "base.html",
        *sorted(
            mo
            for folder in settings.LOCALE_PATHS
            for mo in Path(folder).glob("*/LC_MESSAGES/django.mo")
        ),
    ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


CODE_VERSION = _code_version()
