"""How long a new 資格確認書 is valid (R-CERT-VALID, R-AGE70, R-AGE75).

The ward sets the validity, at most `certificate_max_years`. It follows the ward's renewal cycle
(policy parameters; one issued within the renewal lead time of a cycle's end runs to the next),
ends at the end of the month the person reaches 70 for an under-70 document (the next one shows
負担割合), each 31 July for 70–74 documents (the ratio is redetermined on 1 August), and on the
day before the 75th birthday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from eligibility.rules.dates import ONE_DAY, add_months, anniversary, end_of_month, reaches_age_on
from eligibility.rules.policy import Policy, policy_at


@dataclass(frozen=True, slots=True)
class Validity:
    valid_from: date
    valid_until: date
    ends_because: str  # cycle | max_years | turns_70 | elderly_year | late_elderly
    rules: tuple[str, ...]


def cycle_end_on_or_after(day: date, policy: Policy) -> date:
    """The first end of the ward's renewal cycle on or after `day`."""
    anchor, step = policy.certificate_cycle_anchor, policy.certificate_cycle_years
    end = anchor
    while end < day:
        end = anniversary(end, step)
    while True:
        earlier = anniversary(end, -step)
        if earlier < day:
            return end
        end = earlier


def _cycle_end(starts_on: date, policy: Policy) -> date:
    """The cycle end for a certificate starting on `starts_on`.

    A certificate issued inside the lead time before a cycle ends (when the renewals are already
    being sent) runs to the next cycle's end, so it is not due for renewal the day it is issued.
    """
    return cycle_end_on_or_after(starts_on + timedelta(days=policy.renewal_lead_days + 1), policy)


def certificate_validity(
    birth_date: date, starts_on: date, policy: Policy | None = None
) -> Validity:
    """The validity of a certificate that takes effect on `starts_on` (usually the issue day)."""
    policy = policy or policy_at(starts_on)
    reaches_70 = reaches_age_on(birth_date, policy.elderly_age)
    elderly_from = add_months(reaches_70.replace(day=1), 1)
    candidates: list[tuple[date, str, tuple[str, ...]]] = [
        (_cycle_end(starts_on, policy), "cycle", ("R-CERT-VALID",)),
        (
            anniversary(starts_on, policy.certificate_max_years) - ONE_DAY,
            "max_years",
            ("R-CERT-VALID",),
        ),
        (reaches_age_on(birth_date, policy.late_elderly_age), "late_elderly", ("R-AGE75",)),
    ]
    if starts_on < elderly_from:
        candidates.append((end_of_month(reaches_70), "turns_70", ("R-AGE70", "R-CERT-VALID")))
    else:
        july_end = date(
            starts_on.year,
            policy.elderly_certificate_ends_month,
            policy.elderly_certificate_ends_day,
        )
        if july_end < starts_on:
            july_end = july_end.replace(year=july_end.year + 1)
        candidates.append((july_end, "elderly_year", ("R-RATIO", "R-CERT-VALID")))
    valid_until, because, rules = min(candidates, key=lambda c: c[0])
    return Validity(starts_on, valid_until, because, rules)
