"""Writes of the resident portal: accounts from an activation letter or from the デジタル認証アプリ.

Like every service (STYLE.md): keyword-only, one transaction with its audit event inside.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from eligibility.models import InsuredPerson
from eligibility.services import redeem_activation_code, refuse
from sumida_kokuho import audit
from sumida_kokuho.models import ResidentAccount

User = get_user_model()


class _AlreadyLinked(Exception):
    """Rolls the redemption back: the person has an account already."""


def create_account_from_activation(
    *,
    insured_number: str,
    birth_date: date,
    code: str,
    email: str,
    password: str,
) -> ResidentAccount | None:
    """Redeem an activation letter and create the e-mail and password account for its person.

    None when the letter's details do not match (redeem_activation_code says no more). Refused
    (ValidationError) when the e-mail address is taken or the person has an account already;
    the code is then not used up.
    """
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(username__iexact=email).exists():
        raise refuse(
            "email", _("This e-mail address already has an account: sign in."), "email_taken"
        )
    try:
        with transaction.atomic():
            person = redeem_activation_code(
                insured_number=insured_number, birth_date=birth_date, code=code
            )
            if person is None:
                return None
            if ResidentAccount.objects.filter(
                person=person, linked_via=ResidentAccount.LinkedVia.ACTIVATION
            ).exists():
                raise _AlreadyLinked
            user = User.objects.create_user(username=email, email=email, password=password)
            account = ResidentAccount.objects.create(
                user=user, person=person, linked_via=ResidentAccount.LinkedVia.ACTIVATION
            )
            audit.record(
                actor=user,
                action="create",
                obj=account,
                person=person,
                detail={"via": "activation"},
            )
            return account
    except _AlreadyLinked:
        raise refuse(
            NON_FIELD_ERRORS,
            _(
                "This person already has an account. Sign in, or reset the password if it is "
                "forgotten."
            ),
            "already_linked",
        ) from None


# --- the デジタル認証アプリ ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BasicFour:
    """基本4情報 as the app returns them."""

    name: str
    address: str
    birth_date: date | None
    sex: str  # InsuredPerson.Sex value, or "" when unknown


def _plain(text: str) -> str:
    """Full width to half width, without spaces (the app and the ward space names apart)."""
    return "".join(unicodedata.normalize("NFKC", text or "").split())


_KANJI_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _kanji_number(text: str) -> int:
    """一 … 九十九, enough for 丁目."""
    tens, _, ones = text.rpartition("十")
    value = _KANJI_DIGITS.get(ones, 0)
    if "十" in text:
        value += 10 * (_KANJI_DIGITS.get(tens, 1) if tens else 1)
    return value


def _address_key(text: str) -> str:
    """押上一丁目1番2号 and 押上1-1-2 compare equal; 東京都 may be left out."""
    plain = _plain(text).removeprefix("東京都")
    plain = re.sub(r"([一二三四五六七八九十]+)丁目", lambda m: f"{_kanji_number(m[1])}-", plain)
    plain = re.sub(r"([0-9]+)丁目", r"\1-", plain)
    plain = re.sub(r"([0-9]+)番地?", r"\1-", plain)
    plain = re.sub(r"([0-9]+)号", r"\1", plain)
    return plain.replace("ー", "-").replace("−", "-").rstrip("-")


def basic_four_from_claims(claims: dict[str, Any]) -> BasicFour:
    raw = str(claims.get("birthdate") or "")
    try:
        birth = date.fromisoformat(raw)
    except ValueError:
        birth = None
    gender = str(claims.get("gender") or "").lower()
    sex = {"male": InsuredPerson.Sex.MALE, "1": InsuredPerson.Sex.MALE}.get(gender) or {
        "female": InsuredPerson.Sex.FEMALE,
        "2": InsuredPerson.Sex.FEMALE,
    }.get(gender, "")
    address = claims.get("address") or ""
    if isinstance(address, dict):  # the OIDC standard's structured address
        address = address.get("formatted", "")
    return BasicFour(
        name=str(claims.get("name") or ""), address=str(address), birth_date=birth, sex=sex
    )


def match_person(four: BasicFour) -> InsuredPerson | None:
    """The one insured person with these four items, or None (no match, or more than one).

    Birth date and sex narrow the search in the database; name and address are compared after
    normalisation. Never a guess: an incomplete or ambiguous answer is None.
    """
    if not (four.name and four.address and four.birth_date and four.sex):
        return None
    candidates = InsuredPerson.objects.select_related("household").filter(
        birth_date=four.birth_date, sex=four.sex
    )
    name, address = _plain(four.name), _address_key(four.address)
    matches = [
        person
        for person in candidates
        if _plain(person.family_name + person.given_name) == name
        and _address_key(person.household.address) == address
    ]
    return matches[0] if len(matches) == 1 else None


def account_for_oidc(*, sub: str, claims: dict[str, Any]) -> ResidentAccount | None:
    """The account keyed by `sub`; on a first sign-in, one linked by the basic four items.

    None when there is no single matching person, or that person is linked to another `sub`:
    the resident is sent to the counter.
    """
    existing = ResidentAccount.objects.select_related("user").filter(oidc_sub=sub).first()
    if existing is not None:
        return existing
    person = match_person(basic_four_from_claims(claims))
    with transaction.atomic():
        if person is None:
            audit.record(
                actor=None, action="oidc_link_refused", detail={"cause": "no_single_match"}
            )
            return None
        if ResidentAccount.objects.filter(
            person=person, linked_via=ResidentAccount.LinkedVia.OIDC
        ).exists():
            audit.record(
                actor=None, action="oidc_link_refused", person=person, detail={"cause": "linked"}
            )
            return None
        # A user of this subject may be left from an account deleted with its person (the
        # demo's reset does so; the user stays, as the audit trail names it): it is reused.
        username = f"oidc:{sub}"[:150]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username)
            user.set_unusable_password()
            user.save()
        elif user.is_staff or user.is_superuser or hasattr(user, "resident_account"):
            audit.record(
                actor=None, action="oidc_link_refused", person=person, detail={"cause": "user"}
            )
            return None
        account = ResidentAccount.objects.create(
            user=user, person=person, oidc_sub=sub, linked_via=ResidentAccount.LinkedVia.OIDC
        )
        audit.record(
            actor=user, action="create", obj=account, person=person, detail={"via": "oidc"}
        )
        return account
