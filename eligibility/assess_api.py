"""The assessment API (contract v1 of the shared ASSESS_API.md) as one Python function.

`assess_payload(payload, language)` takes the decoded JSON (one request object or a list of them)
and returns the JSON-ready answer: a result, or `{"errors": [...]}` naming every bad field. The
`assess` command and `POST /api/v1/assess` are thin doors onto it. The decisions come from the
pure rules module; this module only reads requests, writes results and words the explanations.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

from django.utils import translation
from django.utils.translation import gettext as _

from eligibility.explain import explain
from eligibility.rules.assessment import Assessment, DocumentDue, Note, Proof
from eligibility.rules.engine import assess
from eligibility.rules.facts import (
    CardStatus,
    Certificate,
    DocumentIssued,
    DocumentKind,
    EnrolmentReason,
    Event,
    EventKind,
    Income,
    MynaCard,
    PaperCard,
    PersonFacts,
)
from eligibility.rules.policy import policy_at

Json = dict[str, Any]
E = TypeVar("E", bound=StrEnum)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Dates outside this range are typing mistakes (a wrong era or a missing digit), not people.
EARLIEST_DATE = date(1868, 1, 1)
LATEST_DATE = date(2199, 12, 31)
MAX_BATCH = 10_000

_PERSON_KEYS = {
    "birth_date",
    "enrolled_on",
    "enrolment_reason",
    "withdrawn_on",
    "income",
    "premium_arrears_since",
    "needs_support",
    "myna",
    "paper_card",
    "certificate",
    "documents_issued",
    "events",
}


class _Errors:
    """Collects every problem of one request, each naming its field."""

    def __init__(self) -> None:
        self.items: list[Json] = []

    def add(self, field: str, message: str) -> None:
        self.items.append({"field": field, "message": message})

    def __bool__(self) -> bool:
        return bool(self.items)


class _Reader:
    def __init__(self, errors: _Errors) -> None:
        self.errors = errors

    def object(self, value: Any, field: str, allowed: set[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.errors.add(field or "request", _("This must be a JSON object."))
            return None
        for key in sorted(set(value) - allowed, key=str):
            name = f"{field}.{key}" if field else str(key)
            self.errors.add(name, _("Unknown field “%(key)s”.") % {"key": key})
        return value

    def date(
        self, obj: dict[str, Any], key: str, field: str, *, required: bool = False
    ) -> date | None:
        value = obj.get(key)
        if value is None:
            if required:
                self.errors.add(field, _("This date is required (YYYY-MM-DD)."))
            return None
        if not isinstance(value, str) or not _ISO_DATE.match(value):
            self.errors.add(
                field,
                _("Write the date as YYYY-MM-DD in the Western calendar, for example 2025-09-30."),
            )
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            self.errors.add(field, _("%(value)s is not a date that exists.") % {"value": value})
            return None
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            self.errors.add(
                field,
                _("%(value)s is outside the years this system accepts (1868–2199); check the era.")
                % {"value": value},
            )
            return None
        return day

    def choice(self, obj: dict[str, Any], key: str, field: str, enum: type[E], default: E) -> E:
        value = obj.get(key)
        if value is None:
            return default
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(member.value for member in enum)
            self.errors.add(
                field,
                _("Unknown value “%(value)s”; use one of: %(allowed)s.")
                % {"value": value, "allowed": allowed},
            )
            return default

    def boolean(self, obj: dict[str, Any], key: str, field: str) -> bool:
        value = obj.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.errors.add(field, _("This must be true or false."))
            return False
        return value

    def items(
        self, obj: dict[str, Any], key: str, field: str, read: Callable[[Any, str], Any]
    ) -> tuple[Any, ...]:
        value = obj.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.errors.add(field, _("This must be a list."))
            return ()
        read_items = (read(item, f"{field}[{i}]") for i, item in enumerate(value))
        return tuple(item for item in read_items if item is not None)


def _read_myna(r: _Reader, value: Any, field: str) -> MynaCard | None:
    if value is None:
        return None
    obj = r.object(value, field, {"registered_on", "card_status", "e_cert_valid_until"})
    if obj is None:
        return None
    return MynaCard(
        registered_on=r.date(obj, "registered_on", f"{field}.registered_on"),
        card_status=r.choice(
            obj, "card_status", f"{field}.card_status", CardStatus, CardStatus.VALID
        ),
        e_cert_valid_until=r.date(obj, "e_cert_valid_until", f"{field}.e_cert_valid_until"),
    )


def _read_period(r: _Reader, value: Any, field: str) -> tuple[date, date] | None:
    if value is None:
        return None
    obj = r.object(value, field, {"issued_on", "valid_until"})
    if obj is None:
        return None
    issued_on = r.date(obj, "issued_on", f"{field}.issued_on", required=True)
    valid_until = r.date(obj, "valid_until", f"{field}.valid_until", required=True)
    if issued_on is None or valid_until is None:
        return None
    if valid_until < issued_on:
        r.errors.add(f"{field}.valid_until", _("The validity ends before the issue date."))
        return None
    return issued_on, valid_until


def _read_document(r: _Reader, value: Any, field: str) -> DocumentIssued | None:
    obj = r.object(value, field, {"document", "issued_on"})
    if obj is None:
        return None
    if obj.get("document") is None:
        r.errors.add(f"{field}.document", _("Say which document: certificate or notice."))
        return None
    kind = r.choice(obj, "document", f"{field}.document", DocumentKind, DocumentKind.NOTICE)
    issued_on = r.date(obj, "issued_on", f"{field}.issued_on", required=True)
    return DocumentIssued(kind, issued_on) if issued_on else None


def _read_event(r: _Reader, value: Any, field: str) -> Event | None:
    obj = r.object(value, field, {"on", "kind"})
    if obj is None:
        return None
    if obj.get("kind") is None:
        r.errors.add(f"{field}.kind", _("Say what happened (the event kind)."))
        return None
    kind = r.choice(obj, "kind", f"{field}.kind", EventKind, EventKind.ADDRESS_CHANGE)
    on = r.date(obj, "on", f"{field}.on", required=True)
    return Event(on, kind) if on else None


def read_request(payload: Any) -> tuple[date, PersonFacts] | list[Json]:
    """The request's date and facts, or the list of errors (each naming its field)."""
    errors = _Errors()
    r = _Reader(errors)
    request = r.object(payload, "", {"as_of", "person"})
    if request is None:
        return errors.items
    as_of = r.date(request, "as_of", "as_of", required=True)
    if "person" not in request:
        errors.add("person", _("The person is required."))
        return errors.items
    person = r.object(request["person"], "person", _PERSON_KEYS)
    if person is None:
        return errors.items

    birth_date = r.date(person, "birth_date", "person.birth_date", required=True)
    enrolled_on = r.date(person, "enrolled_on", "person.enrolled_on", required=True)
    withdrawn_on = r.date(person, "withdrawn_on", "person.withdrawn_on")
    paper = _read_period(r, person.get("paper_card"), "person.paper_card")
    cert = _read_period(r, person.get("certificate"), "person.certificate")
    facts_kwargs: dict[str, Any] = {
        "enrolment_reason": r.choice(
            person,
            "enrolment_reason",
            "person.enrolment_reason",
            EnrolmentReason,
            EnrolmentReason.OTHER,
        ),
        "income": r.choice(person, "income", "person.income", Income, Income.GENERAL),
        "premium_arrears_since": r.date(
            person, "premium_arrears_since", "person.premium_arrears_since"
        ),
        "needs_support": r.boolean(person, "needs_support", "person.needs_support"),
        "myna": _read_myna(r, person.get("myna"), "person.myna"),
        "documents_issued": r.items(
            person,
            "documents_issued",
            "person.documents_issued",
            lambda v, f: _read_document(r, v, f),
        ),
        "events": r.items(person, "events", "person.events", lambda v, f: _read_event(r, v, f)),
    }

    if birth_date and as_of and birth_date > as_of:
        errors.add("person.birth_date", _("The birth date is after the assessment date."))
    if birth_date and enrolled_on and enrolled_on < birth_date:
        errors.add("person.enrolled_on", _("The enrolment is before the birth date."))
    if enrolled_on and withdrawn_on and withdrawn_on < enrolled_on:
        errors.add("person.withdrawn_on", _("The withdrawal is before the enrolment."))
    if paper and as_of:
        stop_on = policy_at(as_of).paper_card_stop_on
        if paper[0] >= stop_on:
            errors.add(
                "person.paper_card.issued_on",
                _("No paper card is issued on or after %(day)s (R-PAPER-STOP).")
                % {"day": stop_on.isoformat()},
            )
    if errors or as_of is None or birth_date is None or enrolled_on is None:
        return errors.items
    facts = PersonFacts(
        birth_date=birth_date,
        enrolled_on=enrolled_on,
        withdrawn_on=withdrawn_on,
        paper_card=PaperCard(*paper) if paper else None,
        certificate=Certificate(*cert) if cert else None,
        **facts_kwargs,
    )
    return as_of, facts


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _proof_json(proof: Proof) -> Json:
    return {"usable": proof.usable, "reason": proof.reason, "rules": list(proof.rules)}


def _due_json(doc: DocumentDue) -> Json:
    return {
        "document": doc.document.value,
        "reason": doc.reason,
        "by": _day(doc.by),
        "on_application": doc.on_application,
        "rules": list(doc.rules),
    }


def _note_json(note: Note) -> Json:
    return {"code": note.code, "rules": list(note.rules)}


def assessment_json(result: Assessment, language: str = "ja") -> Json:
    """The contract's result object for an assessment, explained in `language`."""
    return {
        "as_of": result.as_of.isoformat(),
        "insured": result.insured,
        "age": result.age,
        "elderly_recipient": result.elderly_recipient,
        "burden_ratio": result.burden_ratio,
        "proofs": {
            "myna": _proof_json(result.proofs.myna),
            "paper_card": _proof_json(result.proofs.paper_card),
            "certificate": _proof_json(result.proofs.certificate),
        },
        "documents_due": [_due_json(d) for d in result.documents_due],
        "notes": [_note_json(n) for n in result.notes],
        "explanation": explain(result, language),
    }


def assess_one(payload: Any, language: str = "ja") -> Json:
    with translation.override(language):
        read = read_request(payload)
        if isinstance(read, list):
            return {"errors": read}
    as_of, facts = read
    return assessment_json(assess(facts, as_of), language)


def assess_payload(payload: Any, language: str = "ja") -> Json | list[Json]:
    """One request object → one answer; a list of requests → a list of answers, same order."""
    if isinstance(payload, list):
        if len(payload) > MAX_BATCH:
            with translation.override(language):
                return {
                    "errors": [
                        {
                            "field": "request",
                            "message": _("At most %(n)d requests in one list.") % {"n": MAX_BATCH},
                        }
                    ]
                }
        return [assess_one(item, language) for item in payload]
    return assess_one(payload, language)


def has_errors(answer: Json | list[Json]) -> bool:
    if isinstance(answer, list):
        return any("errors" in item for item in answer)
    return "errors" in answer
