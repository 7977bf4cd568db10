"""The resident gate, and the only way portal views load personal records.

- `resident_required`: a signed-in, active user with a resident account, else to the portal's
  sign-in page. Responses are marked no-store: they show personal data.
- `get_household_for_resident(user)`: the resident's household with the members they may see.
- `get_person_for_resident(user, pk)`: that person, when the resident may see them; else a 404,
  never a 403, so nobody learns that someone else's record exists.

A householder (世帯主) sees every member of the household; any other member sees only
themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from cards.models import CertificateApplication
from eligibility.models import Household, InsuredPerson
from sumida_kokuho.models import ResidentAccount

View = TypeVar("View", bound=Callable[..., HttpResponse])

# What every portal request reads of the account, its person and household (the gate, and who
# may see whom). Other fields load on first use.
ACCOUNT_FIELDS = (
    "user_id",
    "person_id",
    "oidc_sub",
    "linked_via",
    "person__household_id",
    "person__household__householder_id",
)


def resident_account(user: Any) -> ResidentAccount | None:
    """The user's resident account, or None (anonymous, inactive, staff-only users)."""
    if not user.is_authenticated:
        return None
    if not user.is_active:
        return None
    # Loaded once per request with the person and household, and kept where `user.resident_account`
    # looks (the layout asks too), so neither costs another query.
    relation = user._meta.get_field("resident_account")
    if not relation.is_cached(user):
        account = (
            ResidentAccount.objects.select_related("person__household")
            .only(*ACCOUNT_FIELDS)
            .filter(user=user)
            .first()
        )
        relation.set_cached_value(user, account)
    return cast(ResidentAccount | None, relation.get_cached_value(user))


def resident_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if resident_account(request.user) is None:
            return redirect_to_login(request.get_full_path(), reverse("portal:sign_in"))
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return cast(View, wrapper)


def own_person(user: Any) -> InsuredPerson:
    """The resident's own insured person: its id, household id and the household's householder
    are loaded with the account (ACCOUNT_FIELDS); any other field costs a query."""
    account = resident_account(user)
    if account is None:
        raise Http404
    return account.person


def is_householder(person: InsuredPerson) -> bool:
    return person.household.householder_id == person.pk


def _portal_persons() -> QuerySet[InsuredPerson]:
    """The persons' own rows and their applications, in two queries whatever the household.
    The records the rules read are loaded by `status.statuses()` only when not cached."""
    return InsuredPerson.objects.prefetch_related(
        Prefetch(
            "certificate_applications",
            queryset=CertificateApplication.objects.order_by("-submitted_at", "-pk"),
        )
    )


def _visible_persons(person: InsuredPerson) -> QuerySet[InsuredPerson]:
    if is_householder(person):
        return _portal_persons().filter(household_id=person.household_id)
    return _portal_persons().filter(pk=person.pk)


@dataclass(frozen=True, slots=True)
class ResidentHousehold:
    """The household as the resident may see it: `members` is only themselves for a member."""

    household: Household
    me: InsuredPerson
    members: list[InsuredPerson]
    householder_view: bool


def get_household_for_resident(user: Any) -> ResidentHousehold:
    me = own_person(user)
    members = list(_visible_persons(me).order_by("branch", "pk"))
    mine = next(member for member in members if member.pk == me.pk)
    return ResidentHousehold(
        household=me.household, me=mine, members=members, householder_view=is_householder(me)
    )


def get_person_for_resident(user: Any, pk: Any) -> InsuredPerson:
    """The person `pk`, if the resident may see them; else 404."""
    me = own_person(user)
    try:
        return _visible_persons(me).get(pk=pk)
    except (InsuredPerson.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
