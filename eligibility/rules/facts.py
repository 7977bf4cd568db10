"""Plain facts the rules read: frozen dataclasses, built from requests or from database rows.

Nothing here knows Django. Field names follow the assessment contract (shared ASSESS_API.md).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date


class EnrolmentReason(enum.StrEnum):
    JOB_LOSS = "job_loss"
    MOVE_IN = "move_in"
    BIRTH = "birth"
    OTHER = "other"


class Income(enum.StrEnum):
    GENERAL = "general"
    ACTIVE = "active"  # 現役並み所得


class CardStatus(enum.StrEnum):
    VALID = "valid"
    LOST = "lost"
    SUSPENDED = "suspended"
    RETURNED = "returned"


class EventKind(enum.StrEnum):
    ADDRESS_CHANGE = "address_change"
    HOUSEHOLDER_CHANGE = "householder_change"
    PAPER_CARD_LOST = "paper_card_lost"
    MYNA_CARD_LOST = "myna_card_lost"
    MYNA_CARD_REISSUED = "myna_card_reissued"
    MYNA_REGISTRATION_CANCELLED = "myna_registration_cancelled"


class DocumentKind(enum.StrEnum):
    CERTIFICATE = "certificate"  # 資格確認書
    NOTICE = "notice"  # 資格情報のお知らせ


@dataclass(frozen=True, slots=True)
class MynaCard:
    """The My Number card. `registered_on` is the health-insurance use registration (利用登録)."""

    registered_on: date | None = None
    card_status: CardStatus = CardStatus.VALID
    e_cert_valid_until: date | None = None


@dataclass(frozen=True, slots=True)
class PaperCard:
    """The old 被保険者証."""

    issued_on: date
    valid_until: date


@dataclass(frozen=True, slots=True)
class Certificate:
    """The current 資格確認書."""

    issued_on: date
    valid_until: date


@dataclass(frozen=True, slots=True)
class DocumentIssued:
    document: DocumentKind
    issued_on: date


@dataclass(frozen=True, slots=True)
class Event:
    on: date
    kind: EventKind


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """Everything the rules need to know about one insured person."""

    birth_date: date
    enrolled_on: date
    enrolment_reason: EnrolmentReason = EnrolmentReason.OTHER
    withdrawn_on: date | None = None
    income: Income = Income.GENERAL
    premium_arrears_since: date | None = None
    needs_support: bool = False
    myna: MynaCard | None = None
    paper_card: PaperCard | None = None
    certificate: Certificate | None = None
    documents_issued: tuple[DocumentIssued, ...] = field(default_factory=tuple)
    events: tuple[Event, ...] = field(default_factory=tuple)
