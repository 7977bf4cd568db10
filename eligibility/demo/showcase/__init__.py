"""Showcase households: fixed insured numbers and names, each demonstrating rule paths.

Two sets:

- 記号 9101 (`relative`) follows the seeding as-of date: birth dates, enrolments and events are
  computed from it, so "turns 70 this month" is true on whatever day the demo is seeded.
- 記号 9102 (`examples`) holds the people of the shared worked examples (../shared/cases) with
  their own fixed dates; on their example's date their stored facts are exactly the request.

Each showcase person carries an `expect` in the worked examples' format (only the fields it pins):
insured, age, elderly_recipient, burden_ratio, proofs.{kind}.{usable,reason}, documents_due as
(document, reason, by, on_application), and note codes. docs/showcase.md is the presenter's copy.
"""

from __future__ import annotations

from datetime import date

from eligibility.demo.showcase.base import EARLIEST_AS_OF, Expect, Showcase, differences
from eligibility.demo.showcase.examples import WORKED_EXAMPLES, WorkedExample, example_showcase
from eligibility.demo.showcase.relative import relative_showcase

__all__ = [
    "EARLIEST_AS_OF",
    "WORKED_EXAMPLES",
    "Expect",
    "Showcase",
    "WorkedExample",
    "differences",
    "example_showcase",
    "relative_showcase",
    "showcase",
]


def showcase(as_of: date) -> list[Showcase]:
    """Every showcase household for a seeding on `as_of`."""
    return relative_showcase(as_of) + example_showcase(as_of)
