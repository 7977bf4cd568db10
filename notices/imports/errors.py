"""What can be wrong with a file or one of its lines, as codes with translated reasons.

An error is stored as data (line, column, code, parameters) and worded only when shown, in the
language of whoever reads it: the command's language, or the admin page's. Values from the file are
never copied into a reason, so an error report holds no personal data (and never a My Number).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Category(enum.StrEnum):
    """The kinds of reason the ward asked for; every code belongs to one."""

    ENCODING = "encoding"
    FORMAT = "format"
    BAD_VALUE = "bad_value"
    BAD_DATE = "bad_date"
    UNKNOWN_ID = "unknown_id"
    IMPOSSIBLE = "impossible"
    DUPLICATE = "duplicate"
    MY_NUMBER = "my_number"


CATEGORY_LABELS: dict[Category, Promise] = {
    Category.ENCODING: _("wrong encoding"),
    Category.FORMAT: _("bad file format"),
    Category.BAD_VALUE: _("bad value"),
    Category.BAD_DATE: _("bad date"),
    Category.UNKNOWN_ID: _("unknown id"),
    Category.IMPOSSIBLE: _("impossible combination"),
    Category.DUPLICATE: _("duplicate row"),
    Category.MY_NUMBER: _("My Number found"),
}

# code -> (category, reason). Parameters are filled with %-formatting from LineError.params.
REASONS: dict[str, tuple[Category, Promise]] = {
    # the file as a whole
    "empty_file": (Category.FORMAT, _("The file is empty: the first line must be the header.")),
    "too_large": (Category.FORMAT, _("The file is larger than %(limit)s MB.")),
    "missing_column": (Category.FORMAT, _("This required column is missing from the header.")),
    "unknown_column": (
        Category.FORMAT,
        _("Unknown column: see the README for the columns of this kind of file."),
    ),
    "duplicate_column": (Category.FORMAT, _("This column appears twice in the header.")),
    "my_number": (
        Category.MY_NUMBER,
        _(
            "This column holds a 12-digit number with a valid My Number check digit. The system "
            "never stores My Numbers, so the whole file is refused; remove the column and try "
            "again."
        ),
    ),
    # the shape of a line
    "wrong_encoding": (
        Category.ENCODING,
        _("This line is not %(encoding)s text like the rest of the file."),
    ),
    "malformed_csv": (Category.FORMAT, _("This line is not valid CSV: check the quotation marks.")),
    "unclosed_quote": (
        Category.FORMAT,
        _("A quotation mark opened on this line is never closed."),
    ),
    "field_count": (
        Category.FORMAT,
        _("This line has %(found)s fields; the header has %(expected)s."),
    ),
    "control_character": (
        Category.BAD_VALUE,
        _("This value contains a control character (such as a tab or NUL)."),
    ),
    # one value
    "required": (Category.BAD_VALUE, _("This value is required.")),
    "too_long": (Category.BAD_VALUE, _("This value is longer than %(limit)s characters.")),
    "digits": (Category.BAD_VALUE, _("Enter digits only.")),
    "branch": (Category.BAD_VALUE, _("Enter the branch number as two digits, e.g. 01.")),
    "postal_code": (Category.BAD_VALUE, _("Enter a postal code like 130-0001.")),
    "kana": (Category.BAD_VALUE, _("Enter the reading in full-width katakana.")),
    "choice": (Category.BAD_VALUE, _("Unknown value. Use one of: %(choices)s.")),
    "amount": (Category.BAD_VALUE, _("Enter an amount in whole yen, 0 or more.")),
    "fiscal_year": (
        Category.BAD_VALUE,
        _("Enter the fiscal year as a western year (2026) or an era year (R8)."),
    ),
    "insured_number": (
        Category.BAD_VALUE,
        _("Enter the insured number as symbol-number-branch, e.g. 9300-000001-01."),
    ),
    "date_unreadable": (
        Category.BAD_DATE,
        _("This is not a date. Write it like 2025-09-30, R7.9.30 or 令和7年9月30日."),
    ),
    "date_no_such_day": (Category.BAD_DATE, _("There is no such day in the calendar.")),
    "date_unknown_era": (Category.BAD_DATE, _("Unknown era: use 明治, 大正, 昭和, 平成 or 令和.")),
    "date_outside_era": (
        Category.BAD_DATE,
        _("The date is outside its era: the era is wrong for this day."),
    ),
    "date_before_gregorian": (
        Category.BAD_DATE,
        _("The date is before 1873, when Japan adopted the Gregorian calendar."),
    ),
    "date_inconsistent": (
        Category.BAD_DATE,
        _("The era year and the western year in brackets disagree."),
    ),
    "date_in_future": (Category.BAD_DATE, _("This date is after today (%(today)s).")),
    # the records
    "unknown_person": (Category.UNKNOWN_ID, _("No insured person has this insured number.")),
    "unknown_householder": (
        Category.UNKNOWN_ID,
        _("The household has no member with this branch number."),
    ),
    "duplicate_row": (Category.DUPLICATE, _("Duplicate of line %(line)s.")),
    "household_split": (
        Category.DUPLICATE,
        _(
            "The lines of one household must be together; this household also appears at line "
            "%(line)s."
        ),
    ),
    "household_mismatch": (
        Category.IMPOSSIBLE,
        _("Differs from line %(line)s of the same household: household columns must agree."),
    ),
    "group_rejected": (
        Category.IMPOSSIBLE,
        _(
            "Not imported: line %(line)s of the same household is wrong, and a household is "
            "imported whole."
        ),
    ),
    "enrolled_before_birth": (
        Category.IMPOSSIBLE,
        _("The enrolment date is before the date of birth."),
    ),
    "born_in_future": (Category.IMPOSSIBLE, _("The date of birth is after today (%(today)s).")),
    "withdrawn_before_enrolled": (
        Category.IMPOSSIBLE,
        _("The withdrawal date is before the enrolment date."),
    ),
    "withdrawal_reason_without_date": (
        Category.IMPOSSIBLE,
        _("A withdrawal reason is given without a withdrawal date."),
    ),
    "withdrawal_date_without_reason": (
        Category.IMPOSSIBLE,
        _("A withdrawal date is given without a withdrawal reason."),
    ),
    "enrolled_after_75": (
        Category.IMPOSSIBLE,
        _("From the 75th birthday (%(day)s) this person is in late-stage elderly care, not NHI."),
    ),
    "withdrawn_after_75": (
        Category.IMPOSSIBLE,
        _("Coverage already ends on the 75th birthday (%(day)s)."),
    ),
    "overlap": (
        Category.IMPOSSIBLE,
        _("This period overlaps the stored period of coverage from %(day)s."),
    ),
    "householder_relation": (
        Category.IMPOSSIBLE,
        _("The householder's relation must be householder, and only the householder's."),
    ),
    "changed_on_required": (
        Category.IMPOSSIBLE,
        _("The household's address or householder changes: give the date of the change."),
    ),
    "status_changed_on_required": (
        Category.IMPOSSIBLE,
        _("The card's registration or status changes: give the date of the change."),
    ),
    "out_of_order": (
        Category.IMPOSSIBLE,
        _("A later change (%(day)s) is already recorded; changes must come in date order."),
    ),
    "registered_without_date": (
        Category.IMPOSSIBLE,
        _("A registered card needs its registration date."),
    ),
    "date_without_registration": (
        Category.IMPOSSIBLE,
        _("A registration date is given for a card that is not registered."),
    ),
    "registered_without_card": (
        Category.IMPOSSIBLE,
        _("A registration is given without a card status."),
    ),
    "card_status_required": (
        Category.IMPOSSIBLE,
        _("The ward holds a record of this person's card: give its status."),
    ),
    "registration_not_after_cancellation": (
        Category.IMPOSSIBLE,
        _("A new registration must be after the recorded cancellation (%(day)s)."),
    ),
    "cancelled_before_registration": (
        Category.IMPOSSIBLE,
        _("The cancellation cannot be before the registration (%(day)s)."),
    ),
    "reissue_before_loss": (
        Category.IMPOSSIBLE,
        _("The card cannot be valid again before its recorded loss (%(day)s)."),
    ),
    "not_elderly": (
        Category.IMPOSSIBLE,
        _(
            "This person is not a 70–74 member insured in fiscal year %(year)s (from "
            "%(start)s to %(end)s)."
        ),
    ),
    "member_without_income": (
        Category.IMPOSSIBLE,
        _(
            "The household's 70–74 member %(number)s has no income figures for fiscal year "
            "%(year)s in this file or on record."
        ),
    ),
    "former_without_income": (
        Category.IMPOSSIBLE,
        _(
            "The household applied for the base income test, but its former member %(number)s "
            "has no income figures for fiscal year %(year)s."
        ),
    ),
    "application_mismatch": (
        Category.IMPOSSIBLE,
        _("Differs from line %(line)s: the application is one answer per household."),
    ),
    "changed_meanwhile": (
        Category.IMPOSSIBLE,
        _("The record was changed by someone else during the import; import the file again."),
    ),
}


def fill(text: str, params: dict[str, Any]) -> str:
    """`text` with its %(name)s parameters filled; the text as it is if they do not fit (a
    translation or a stored run from an older version must not break the page)."""
    if not params:
        return text
    try:
        return text % params
    except (KeyError, ValueError, TypeError):
        return text


@dataclass(frozen=True, slots=True)
class LineError:
    """One reason a line (or, with line 1 and a column, the header) cannot be imported.

    `column` is the column's name as the file's header writes it ("" for the whole line).
    """

    line: int
    column: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def category(self) -> Category:
        return REASONS[self.code][0] if self.code in REASONS else Category.FORMAT

    @property
    def category_label(self) -> str:
        return str(CATEGORY_LABELS[self.category])

    @property
    def message(self) -> str:
        if self.code not in REASONS:
            return self.code
        return fill(str(REASONS[self.code][1]), self.params)

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "code": self.code, "params": self.params}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LineError:
        return cls(
            line=int(data["line"]),
            column=str(data.get("column", "")),
            code=str(data["code"]),
            params=dict(data.get("params") or {}),
        )

    def __str__(self) -> str:
        where = f"{self.line}" + (f" [{self.column}]" if self.column else "")
        return f"{where}: {self.category_label}: {self.message}"


class FileRefused(Exception):
    """The file cannot be read at all (empty, bad header, a My Number): nothing is imported."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__("; ".join(f"{e.line}:{e.code}" for e in errors))
        self.errors = errors


class LinesRejected(Exception):
    """Raised inside the apply transaction to roll it back when a line turns out bad there."""

    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(f"{len(errors)} bad lines")
        self.errors = errors
