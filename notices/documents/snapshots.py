"""What a document prints, as plain values: the renderers' only input. Pure Python, no Django.

A snapshot is taken once, when the document is issued or reprinted (`builders.py` reads the
database); rendering it again gives the same document whatever has changed in the records since.
Dates are `date`s and are printed in 和暦 by the renderer; the co-payment ratio is a percentage
as the rules give it (20 → 2割) and is None when the document must not print one (under 70,
R-CONTENTS).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

# Percentages the rules can give for 70–74 (R-RATIO); 10 is kept for the old 1割 特例.
PRINTABLE_RATIOS = (10, 20, 30)


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentSnapshot:
    """The fields both documents print (R-CONTENTS), plus the ones the envelope needs."""

    kind: ClassVar[str]

    insurer_number: str  # 保険者番号, e.g. 131078
    insurer_name: str  # 保険者名称, e.g. 墨田区
    symbol: str  # 記号
    number: str  # 番号
    branch: str  # 枝番, two digits
    family_name: str
    given_name: str
    family_name_kana: str = ""
    given_name_kana: str = ""
    birth_date: date
    enrolled_on: date | None = None  # 資格取得年月日; None: not printed
    issued_on: date  # 交付年月日
    burden_ratio: int | None = None  # 負担割合 in percent; printed for 70–74 only
    burden_ratio_from: date | None = None  # 発効期日 of that ratio
    special_medical_expenses: bool = False  # R-ARREARS: title gets （特別療養費）
    postal_code: str = ""
    address: str = ""

    def __post_init__(self) -> None:
        if self.burden_ratio is not None and self.burden_ratio not in PRINTABLE_RATIOS:
            raise ValueError(f"burden_ratio must be one of {PRINTABLE_RATIOS} or None")
        if self.burden_ratio is None and self.burden_ratio_from is not None:
            raise ValueError("burden_ratio_from is only printed together with a burden_ratio")

    @property
    def insured_number(self) -> str:
        """記号-番号-枝番: how operators name a person (and the reprint command's argument)."""
        return f"{self.symbol}-{self.number}-{self.branch}"

    @property
    def full_name(self) -> str:
        return f"{self.family_name}\u3000{self.given_name}"

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana}\u3000{self.given_name_kana}".strip("\u3000")


@dataclass(frozen=True, slots=True, kw_only=True)
class CertificateSnapshot(DocumentSnapshot):
    """資格確認書 (card size)."""

    kind: ClassVar[str] = "certificate"

    certificate_number: str
    valid_until: date  # 有効期限
    # A one-time portal code mailed with the card (printed on a cover page before it; only its
    # hash is stored, so a reprint cannot carry it), and its last valid day.
    activation_code: str | None = None
    activation_code_until: date | None = None

    def __post_init__(self) -> None:
        DocumentSnapshot.__post_init__(self)
        if self.valid_until < self.issued_on:
            raise ValueError("valid_until cannot be before issued_on")


@dataclass(frozen=True, slots=True, kw_only=True)
class NoticeSnapshot(DocumentSnapshot):
    """資格情報のお知らせ (A4 letter for a window envelope).

    `addressee_name` is who the envelope goes to: the householder (letters go to the householder),
    who may be someone other than the insured person the notice is about.
    """

    kind: ClassVar[str] = "notice"

    addressee_name: str
    # The resident's one-time code for creating a portal account, when one is sent with the
    # letter (only its hash is stored, so a reprint cannot carry it), and its last valid day.
    activation_code: str | None = None
    activation_code_until: date | None = None
