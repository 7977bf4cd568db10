"""What the rules decide: frozen results that name their rule ids and reason codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from eligibility.rules.facts import DocumentKind


@dataclass(frozen=True, slots=True)
class Decision:
    """One decision a person can be told about: a code, the rules behind it, and its figures.

    `code` keys a translated sentence (eligibility/explain.py); `params` holds the dates and
    numbers the sentence mentions.
    """

    code: str
    rules: tuple[str, ...]
    params: tuple[tuple[str, Any], ...] = ()

    def param(self, name: str) -> Any:
        return dict(self.params).get(name)


@dataclass(frozen=True, slots=True)
class Proof:
    usable: bool
    reason: str | None
    rules: tuple[str, ...]
    # The day the reason took effect where one is known (expiry, loss, change).
    since: date | None = None


@dataclass(frozen=True, slots=True)
class Proofs:
    myna: Proof
    paper_card: Proof
    certificate: Proof


@dataclass(frozen=True, slots=True)
class DocumentDue:
    document: DocumentKind
    reason: str
    by: date | None
    on_application: bool
    rules: tuple[str, ...]
    trigger_on: date


@dataclass(frozen=True, slots=True)
class Note:
    code: str
    rules: tuple[str, ...]
    params: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Milestones:
    """Dates the portal and the batch plan with: when the ratio and the coverage change."""

    turns_70_month: date  # first day of the month the person reaches 70
    elderly_from: date  # 70–74 rates apply from this day
    preschool_until: date  # 2割 until this day (inclusive)
    late_elderly_from: date  # the 75th birthday: NHI ends, 後期高齢者医療 begins
    coverage_ends_on: date | None  # first uncovered day, if known


@dataclass(frozen=True, slots=True)
class Assessment:
    as_of: date
    insured: bool
    age: int
    elderly_recipient: bool
    burden_ratio: int | None
    proofs: Proofs
    documents_due: tuple[DocumentDue, ...]
    notes: tuple[Note, ...]
    decisions: tuple[Decision, ...]
    milestones: Milestones
    # Every reason that applied before "one document at a time" chose; for staff explanations.
    applying_reasons: tuple[DocumentDue, ...] = field(default=())
