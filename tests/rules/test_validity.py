"""Validity of a new 資格確認書 (R-CERT-VALID, R-AGE70, R-AGE75)."""

from datetime import date

import pytest

from eligibility.rules.policy import policy_at
from eligibility.rules.validity import certificate_validity

D = date


@pytest.mark.parametrize(
    ("birth", "starts", "until", "because"),
    [
        (D(1985, 7, 20), D(2026, 6, 10), D(2027, 9, 30), "cycle"),  # two-year cycle, 9/30
        (D(1985, 7, 20), D(2027, 10, 1), D(2029, 9, 30), "cycle"),
        (D(1985, 7, 20), D(2025, 9, 30), D(2027, 9, 30), "cycle"),  # inside the lead: next
        (D(1985, 7, 20), D(2025, 7, 31), D(2025, 9, 30), "cycle"),  # 61 days before the end
        (D(1985, 7, 20), D(2025, 8, 1), D(2027, 9, 30), "cycle"),  # 60 days before the end
        (D(1956, 12, 15), D(2026, 6, 1), D(2026, 12, 31), "turns_70"),  # ends at month of 70
        (D(1956, 12, 1), D(2026, 6, 1), D(2026, 11, 30), "turns_70"),  # born on the 1st
        (D(1956, 12, 15), D(2027, 1, 1), D(2027, 7, 31), "elderly_year"),  # 70–74: 7/31
        (D(1955, 1, 15), D(2026, 8, 1), D(2027, 7, 31), "elderly_year"),
        (D(1951, 12, 10), D(2026, 8, 1), D(2026, 12, 9), "late_elderly"),  # day before 75
    ],
)
def test_certificate_validity_is_the_earliest_applicable_end(birth, starts, until, because):
    validity = certificate_validity(birth, starts)
    assert (validity.valid_until, validity.ends_because) == (until, because)
    assert validity.valid_until >= starts


def test_validity_never_exceeds_the_maximum_years():
    policy = policy_at(D(2026, 1, 1), certificate_cycle_years=10)
    validity = certificate_validity(D(1990, 1, 1), D(2026, 1, 1), policy)
    assert validity.valid_until == D(2030, 12, 31)
    assert validity.ends_because == "max_years"
