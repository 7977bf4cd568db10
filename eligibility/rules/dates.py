"""Date arithmetic as the law counts it.

Age (年齢計算ニ関スル法律 with 民法143条): counting starts on the day of birth, so a person reaches
age N at the end of the day before the Nth birthday. Someone born on 29 February reaches it at the
end of 28 February in a common year (the period ends on the last day of the month that has no
corresponding day). On the birthday itself the person is N.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def end_of_month(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day where that day does not exist."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def anniversary(birth_date: date, years: int) -> date:
    """The Nth birthday; for 29 February in a common year, 1 March (the day after 28 February)."""
    year = birth_date.year + years
    if birth_date.month == 2 and birth_date.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return birth_date.replace(year=year)


def reaches_age_on(birth_date: date, years: int) -> date:
    """The day at whose end the person reaches `years` of age: the day before the birthday."""
    return anniversary(birth_date, years) - ONE_DAY


def age_on(birth_date: date, day: date) -> int:
    """Whole years of age during `day` (the birthday counts; the day before it does not)."""
    years = day.year - birth_date.year
    if anniversary(birth_date, years) > day:
        years -= 1
    return years


def first_march_31_on_or_after(day: date) -> date:
    """The end of the fiscal year (April–March) that contains `day`."""
    march_31 = date(day.year, 3, 31)
    return march_31 if day <= march_31 else date(day.year + 1, 3, 31)


def end_of_nth_month_after(day: date, months: int) -> date:
    """The last day of the month `months` after the month of `day`."""
    return end_of_month(add_months(first_of_month(day), months))
