"""Frozen snapshots as JSON: what an item prints, stored with the item so that rendering again
(a retry, a crash, a reprint) gives the same document whatever changed since."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from notices.documents.snapshots import CertificateSnapshot, DocumentSnapshot, NoticeSnapshot

_DATE_FIELDS = {
    "birth_date",
    "enrolled_on",
    "issued_on",
    "burden_ratio_from",
    "valid_until",
    "activation_code_until",
}
_CLASSES: dict[str, type[DocumentSnapshot]] = {
    "certificate": CertificateSnapshot,
    "notice": NoticeSnapshot,
}


def to_json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def from_json(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: date.fromisoformat(v) if k in _DATE_FIELDS and isinstance(v, str) else v
        for k, v in values.items()
    }


def document_to_json(snapshot: DocumentSnapshot) -> dict[str, Any]:
    return to_json(dataclasses.asdict(snapshot))


def document_from_json(kind: str, values: dict[str, Any]) -> DocumentSnapshot:
    return _CLASSES[kind](**from_json(values))
