"""An assessment as the counter shows it: each decision's sentence (eligibility.explain) with its
rule ids, grouped into coverage, ratio, the three proofs, the document due and notes.

Pure presentation of what the rules decided; nothing here decides anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

from eligibility.explain import explain
from eligibility.facts_builder import NoEnrolment, build_person_facts
from eligibility.models import InsuredPerson
from eligibility.rules.assessment import Assessment, Decision, DocumentDue
from eligibility.rules.engine import assess

PROOF_LABELS: dict[str, Any] = {
    "myna": _("My Number insurance card"),
    "paper_card": _("Paper insurance card"),
    "certificate": _("Eligibility certificate"),
}
DOCUMENT_LABELS: dict[str, Any] = {
    "certificate": _("eligibility certificate"),
    "notice": _("notice of insurance information"),
}
NOT_INSURED = _("Not usable: the person is not insured on this date.")


@dataclass(frozen=True, slots=True)
class Explained:
    """One decision in words, with the rule ids behind it."""

    text: str
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProofRow:
    kind: str
    label: Any
    usable: bool
    explained: Explained


@dataclass(frozen=True, slots=True)
class Summary:
    assessment: Assessment
    insured: Explained
    ratio: Explained | None
    proofs: tuple[ProofRow, ...]
    documents: tuple[Explained, ...]
    notes: tuple[Explained, ...]

    @property
    def due(self) -> DocumentDue | None:
        due = self.assessment.documents_due
        return due[0] if due else None

    @property
    def usable_proofs(self) -> tuple[ProofRow, ...]:
        return tuple(row for row in self.proofs if row.usable)

    @property
    def ratio_label(self) -> str:
        ratio = self.assessment.burden_ratio
        return "" if ratio is None else f"{ratio // 10}割"


def summarise(assessment: Assessment, language: str) -> Summary:
    explained = {
        decision.code: Explained(text, decision.rules)
        for decision, text in _paired(assessment, language)
    }
    insured = next(e for code, e in explained.items() if code.startswith("insured."))
    ratio = next((e for code, e in explained.items() if code.startswith("ratio.")), None)
    proofs = tuple(
        ProofRow(
            kind=kind,
            label=label,
            usable=getattr(assessment.proofs, kind).usable,
            explained=_proof_explained(assessment, kind, explained),
        )
        for kind, label in PROOF_LABELS.items()
    )
    documents = tuple(e for code, e in explained.items() if code.startswith("document."))
    notes = tuple(e for code, e in explained.items() if code.startswith("note."))
    return Summary(assessment, insured, ratio, proofs, documents, notes)


def _paired(assessment: Assessment, language: str) -> list[tuple[Decision, str]]:
    # explain() words the decisions in their order: one sentence per decision.
    return list(zip(assessment.decisions, explain(assessment, language), strict=True))


def _proof_explained(
    assessment: Assessment, kind: str, explained: dict[str, Explained]
) -> Explained:
    proof = getattr(assessment.proofs, kind)
    found = explained.get(f"proof.{kind}.{proof.reason or 'usable'}")
    if found is not None:
        return found
    # Not insured: the rules give no sentence per proof, only the coverage decision.
    return Explained(str(NOT_INSURED), proof.rules)


def assess_or_none(person: InsuredPerson, as_of: date) -> Assessment | None:
    """The person's assessment from prefetched rows (facts_builder.persons_for_assessment), or
    None for a person with no enrolment period at all."""
    try:
        return assess(build_person_facts(person, as_of), as_of)
    except NoEnrolment:
        return None


def document_label(due: DocumentDue | None) -> Any:
    return DOCUMENT_LABELS[due.document.value] if due is not None else ""
