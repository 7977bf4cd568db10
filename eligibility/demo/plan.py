"""Demo households as plain Python objects, before they become rows.

A plan holds what the ward would have on record for a household; `history` completes its
documents and `store` writes it. Field names and codes are those of the models
(eligibility/cards/notices), so writing a plan is a mapping, not a translation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from eligibility.rules.facts import DocumentKind


@dataclass(slots=True)
class MynaPlan:
    """The My Number card. `status_changed_on`: when a non-valid `card_status` began."""

    registered_on: date | None
    card_status: str = "valid"
    status_changed_on: date | None = None
    e_cert_valid_until: date | None = None


@dataclass(slots=True)
class PaperCardPlan:
    issued_on: date
    valid_until: date
    invalidated_on: date | None = None
    invalidated_reason: str = ""


@dataclass(slots=True)
class EventPlan:
    on: date
    kind: str  # LifeEvent.Kind value
    details: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class DocumentPlan:
    """A 資格確認書 (certificate) or a 資格情報のお知らせ (notice) given to the person."""

    kind: DocumentKind
    issued_on: date
    reason: str  # DocumentReason value
    rule_ids: tuple[str, ...]
    burden_ratio: int | None = None
    # Certificates only:
    number: str = ""
    valid_until: date | None = None
    voided_on: date | None = None
    void_reason: str = ""
    special_medical_expenses: bool = False


@dataclass(frozen=True, slots=True)
class IncomeFigures:
    """One fiscal year's 課税所得, 旧ただし書所得 and 収入, in yen."""

    taxable_income: int
    old_proviso_income: int
    income: int


@dataclass(slots=True)
class PersonPlan:
    branch: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    sex: str  # InsuredPerson.Sex value
    relation: str  # InsuredPerson.Relation value
    birth_date: date
    enrolled_on: date
    enrolment_reason: str  # Enrolment.Reason value
    withdrawn_on: date | None = None
    withdrawal_reason: str = ""
    needs_support: bool = False
    # When the person was registered as 要配慮者 (not stored: the model keeps only the flag).
    needs_support_since: date | None = None
    myna: MynaPlan | None = None
    paper_card: PaperCardPlan | None = None
    events: list[EventPlan] = field(default_factory=list)
    documents: list[DocumentPlan] = field(default_factory=list)
    # The income the person has each year while 70–74 (None: a small pension only).
    base_income: IncomeFigures | None = None
    incomes: dict[int, IncomeFigures] = field(default_factory=dict)  # fiscal year -> figures
    # On-application documents (paper_card_lost, myna_card_lost) this person applied for.
    applies_for: frozenset[str] = frozenset()


@dataclass(slots=True)
class DeterminationPlan:
    effective_from: date
    category: str  # Income value
    base_income_application: bool
    rule_ids: tuple[str, ...]


@dataclass(slots=True)
class ArrearsPlan:
    since: date
    settled_on: date | None = None


@dataclass(slots=True)
class HouseholdPlan:
    symbol: str
    number: str
    postal_code: str
    address: str
    members: list[PersonPlan] = field(default_factory=list)
    arrears: list[ArrearsPlan] = field(default_factory=list)
    determinations: list[DeterminationPlan] = field(default_factory=list)
    base_income_application: bool = False

    @property
    def insured_number(self) -> str:
        return f"{self.symbol}-{self.number}"

    @property
    def householder(self) -> PersonPlan:
        return next(m for m in self.members if m.relation == "householder")
