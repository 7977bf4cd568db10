"""Age and month arithmetic as the law counts it (R-AGE70, R-AGE75, R-RATIO)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eligibility.rules.dates import (
    add_months,
    age_on,
    anniversary,
    end_of_month,
    end_of_nth_month_after,
    first_march_31_on_or_after,
    reaches_age_on,
)


@pytest.mark.parametrize(
    ("birth", "years", "reached"),
    [
        (date(1956, 12, 15), 70, date(2026, 12, 14)),
        (date(1956, 12, 1), 70, date(2026, 11, 30)),  # born on the 1st: the month before
        (date(1956, 1, 1), 70, date(2025, 12, 31)),  # ... across a year end
        (date(1956, 3, 1), 70, date(2026, 2, 28)),  # common year
        (date(1958, 3, 1), 70, date(2028, 2, 29)),  # leap year
        (date(1956, 2, 29), 70, date(2026, 2, 28)),  # 29 February, common year
        (date(1956, 2, 29), 72, date(2028, 2, 28)),  # 29 February, leap year
        (date(2020, 4, 1), 6, date(2026, 3, 31)),
    ],
)
def test_age_is_reached_on_the_day_before_the_birthday(birth, years, reached):
    assert reaches_age_on(birth, years) == reached


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [
        (date(1956, 12, 1), date(2026, 11, 30), 69),
        (date(1956, 12, 1), date(2026, 12, 1), 70),
        (date(1956, 2, 29), date(2026, 2, 28), 69),
        (date(1956, 2, 29), date(2026, 3, 1), 70),
        (date(1956, 2, 29), date(2028, 2, 29), 72),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
    ],
)
def test_age_on_counts_the_birthday_itself(birth, day, age):
    assert age_on(birth, day) == age


def test_29_february_anniversary_in_a_common_year_is_1_march():
    assert anniversary(date(2000, 2, 29), 1) == date(2001, 3, 1)
    assert anniversary(date(2000, 2, 29), 4) == date(2004, 2, 29)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_e_certificate_grace_ends_on_the_last_day_of_the_third_month_after():
    assert end_of_nth_month_after(date(2026, 10, 15), 3) == date(2027, 1, 31)
    assert end_of_nth_month_after(date(2026, 11, 30), 3) == date(2027, 2, 28)


def test_preschool_ends_on_the_first_31_march_on_or_after_reaching_6():
    assert first_march_31_on_or_after(date(2026, 3, 31)) == date(2026, 3, 31)
    assert first_march_31_on_or_after(date(2026, 4, 1)) == date(2027, 3, 31)
    assert first_march_31_on_or_after(date(2026, 1, 10)) == date(2026, 3, 31)


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=100),
)
def test_age_changes_exactly_the_day_after_it_is_reached(birth, years):
    reached = reaches_age_on(birth, years)
    if years > 0 and reached.year < 2199:
        assert age_on(birth, reached) == years - 1
        assert age_on(birth, anniversary(birth, years)) == years


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_end_of_month_is_in_the_same_month_and_the_next_day_starts_a_month(day):
    last = end_of_month(day)
    assert (last.year, last.month) == (day.year, day.month)
    assert add_months(last.replace(day=1), 1).day == 1
