"""The resident portal's demo residents, both doors (docs/showcase.md, "住民ポータル"):

- the デジタル認証アプリ: the fake provider (FAKE_OIDC, the demo only) offers the basic four items
  of the showcase householder 9101-0020-01 (後藤 正樹, a household of six) under a fixed demo
  subject, so signing in needs no typing; the first sign-in links the account by those items,
  exactly as with the real app;
- the activation letter: `seed_demo` issues a letter for 9101-0020-06 (後藤 君子, a member
  holding a 資格確認書 and no My Number card) and prints its code, shown that once.

Nothing here is stored besides the letter's code (as its hash, like any letter).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eligibility.demo import SHOWCASE_SYMBOL
from eligibility.models import InsuredPerson
from sumida_kokuho.models import ResidentAccount

# The pairwise subject the fake app gives the demo resident (a real app's is opaque too).
DEMO_SUB = "sumida-demo-resident-0020-01"
APP_RESIDENT = (SHOWCASE_SYMBOL, "0020", "01")  # 後藤 正樹, householder of six
LETTER_RESIDENT = (SHOWCASE_SYMBOL, "0020", "06")  # 後藤 君子, member, 資格確認書 holder


def _person(key: tuple[str, str, str]) -> InsuredPerson | None:
    symbol, number, branch = key
    return (
        InsuredPerson.objects.select_related("household")
        .filter(household__symbol=symbol, household__number=number, branch=branch)
        .first()
    )


def app_identity() -> dict[str, str]:
    """What the fake app says about the demo resident: the subject and the basic four items as
    the app writes them (name with a space, address, ISO birth date, gender). Empty when the
    showcase is not seeded."""
    person = _person(APP_RESIDENT)
    if person is None:
        return {}
    return {
        "sub": DEMO_SUB,
        "name": f"{person.family_name} {person.given_name}",
        "address": person.household.address,
        "birthdate": person.birth_date.isoformat(),
        "gender": "male" if person.sex == InsuredPerson.Sex.MALE else "female",
    }


@dataclass(frozen=True)
class Letter:
    insured_number: str
    name: str
    birth_date: date
    code: str


def issue_demo_letter() -> Letter | None:
    """A fresh activation letter for the letter's demo resident (older codes expire), or None
    when the showcase is not seeded or the resident has activated an account already."""
    from eligibility.services import issue_activation_code

    person = _person(LETTER_RESIDENT)
    if person is None:
        return None
    if ResidentAccount.objects.filter(
        person=person, linked_via=ResidentAccount.LinkedVia.ACTIVATION
    ).exists():
        return None
    _row, code = issue_activation_code(person=person, by=None)
    return Letter(
        insured_number=person.insured_number,
        name=f"{person.family_name} {person.given_name}",
        birth_date=person.birth_date,
        code=code,
    )
