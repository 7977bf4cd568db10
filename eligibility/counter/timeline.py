"""A person's history as one list, newest first: enrolments, life events, the My Number card's
registration, paper cards, certificates (voided ones too), notices and applications.

Built from rows already loaded (`person_for_page`), so a long history costs no extra queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cards.models import MyNumberCard
from eligibility.models import InsuredPerson, LifeEvent


@dataclass(frozen=True, slots=True)
class Entry:
    on: date
    # Sort order within a day: what happens later in a procedure comes first when newest first.
    order: int
    kind: str  # enrolment | withdrawal | event | myna | paper_card | certificate | notice | …
    title: Any
    detail: Any = ""
    number: str = ""  # a certificate's number
    until: date | None = None  # a card's last valid day
    url: str = ""  # a page of its own (certificates, notices)
    struck: bool = False  # a voided certificate, an invalidated paper card


def build_timeline(person: InsuredPerson, urls: dict[str, Any]) -> list[Entry]:
    """Every dated record of `person`, newest first. `urls` holds `certificate(pk)` and
    `notice(pk)`, the pages the entries link to."""
    entries: list[Entry] = []
    entries += _enrolments(person)
    entries += [_event(event) for event in person.events.all()]
    entries += _myna(person)
    entries += _paper_cards(person)
    entries += _certificates(person, urls["certificate"])
    entries += [
        Entry(
            notice.issued_on,
            6,
            "notice",
            _("Notice of insurance information handed out"),
            notice.get_reason_display(),
            url=urls["notice"](notice.pk),
        )
        for notice in person.notices.all()
    ]
    entries += _applications(person)
    return sorted(entries, key=lambda e: (e.on, e.order), reverse=True)


def _enrolments(person: InsuredPerson) -> list[Entry]:
    entries = []
    for period in person.enrolments.all():
        entries.append(
            Entry(period.enrolled_on, 1, "enrolment", _("Enrolled"), period.get_reason_display())
        )
        if period.withdrawn_on is not None:
            entries.append(
                Entry(
                    period.withdrawn_on,
                    9,
                    "withdrawal",
                    _("Withdrawn (first day without coverage)"),
                    period.get_withdrawal_reason_display(),
                )
            )
    return entries


def _event(event: LifeEvent) -> Entry:
    detail: Any = ""
    if event.kind == LifeEvent.Kind.ADDRESS_CHANGE:
        new = (event.details or {}).get("new") or {}
        detail = " ".join(part for part in (new.get("postal_code"), new.get("address")) if part)
    return Entry(event.occurred_on, 3, "event", event.get_kind_display(), detail)


def _myna(person: InsuredPerson) -> list[Entry]:
    try:
        card = person.myna_card
    except MyNumberCard.DoesNotExist:
        return []
    if card.registered_on is None:
        return []
    return [
        Entry(
            card.registered_on,
            2,
            "myna",
            _("My Number card registered for health-insurance use"),
            card.get_card_status_display(),
        )
    ]


def _paper_cards(person: InsuredPerson) -> list[Entry]:
    entries = []
    for card in person.paper_cards.all():
        entries.append(
            Entry(
                card.issued_on,
                4,
                "paper_card",
                _("Paper insurance card issued"),
                until=card.valid_until,
                struck=card.invalidated_on is not None,
            )
        )
        if card.invalidated_on is not None:
            entries.append(
                Entry(
                    card.invalidated_on,
                    4,
                    "paper_card",
                    _("Paper insurance card no longer usable"),
                    card.get_invalidated_reason_display(),
                )
            )
    return entries


def _certificates(person: InsuredPerson, url: Any) -> list[Entry]:
    entries = []
    for certificate in person.certificates.all():
        entries.append(
            Entry(
                certificate.issued_on,
                5,
                "certificate",
                _("Eligibility certificate issued"),
                certificate.get_reason_display(),
                number=certificate.number,
                until=certificate.valid_until,
                url=url(certificate.pk),
                struck=certificate.voided_on is not None,
            )
        )
        if certificate.voided_on is not None:
            entries.append(
                Entry(
                    certificate.voided_on,
                    5,
                    "certificate_void",
                    _("Eligibility certificate void"),
                    certificate.get_void_reason_display(),
                    number=certificate.number,
                    url=url(certificate.pk),
                )
            )
    return entries


def _applications(person: InsuredPerson) -> list[Entry]:
    entries = []
    for application in person.certificate_applications.all():
        entries.append(
            Entry(
                timezone.localdate(application.submitted_at),
                7,
                "application",
                _("Applied for an eligibility certificate"),
                f"{application.get_reason_display()} / {application.get_channel_display()}",
            )
        )
        if application.decided_at is not None:
            entries.append(
                Entry(
                    timezone.localdate(application.decided_at),
                    8,
                    "application",
                    _("Application decided"),
                    application.get_status_display(),
                )
            )
    return entries
