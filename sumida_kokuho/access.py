"""Who may see what: the staff gate, and the only way staff views load personal records.

- `staff_required(perm=None)`: signed in, staff, active and verified with a second factor, else
  to the staff sign-in page; with `perm`, a missing permission is a 403 (and is audit-logged).
- `get_person_for_staff(user, pk)` / `get_household_for_staff(user, pk)`: the record or a 404
  (also when the user may not see it, so existence is not revealed), and an audit "view" event
  with the counter the clerk signed in at.
- `current_counter(request)`: that counter's code, for `sumida_kokuho.audit.record(counter=…)`.
- `StaffAdminSite`: the Django admin, which shows personal data too, requires the second factor.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django_otp.admin import OTPAdminSite

from eligibility.models import Household, InsuredPerson
from sumida_kokuho.audit import record
from sumida_kokuho.models import AuditAction
from sumida_kokuho.roles import COUNTER_CODES

# Session key of the counter chosen at sign-in.
COUNTER_SESSION_KEY = "staff_counter"
# `staff_required` puts the counter on request.user too, so the access helpers, which take only
# the user, can write it on their audit events.
_COUNTER_ATTRIBUTE = "staff_counter"

View = TypeVar("View", bound=Callable[..., HttpResponse])


def is_verified(user: Any) -> bool:
    """True once OTPMiddleware has matched the session to one of the user's confirmed devices."""
    check = getattr(user, "is_verified", None)
    return bool(check is not None and check())


def is_signed_in_staff(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    if not user.is_active:
        return False
    if not user.is_staff:
        return False
    return is_verified(user)


def current_counter(request: HttpRequest) -> str:
    """The code of the counter chosen at sign-in ("" when none was, e.g. after the admin's)."""
    code = request.session.get(COUNTER_SESSION_KEY, "")
    return code if code in COUNTER_CODES else ""


def staff_required(perm: str | None | View = None) -> Any:
    """Decorator for staff views; `@staff_required()`, `@staff_required("app.codename")`.

    Responses are marked no-store: staff pages show personal data and must not stay in caches.
    """
    if callable(perm):  # used bare: @staff_required
        return staff_required()(perm)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not is_signed_in_staff(user):
                return redirect_to_login(request.get_full_path(), reverse("staff:login"))
            counter = current_counter(request)
            if perm is not None and not user.has_perm(perm):
                record(
                    actor=user,
                    action="denied",
                    counter=counter,
                    detail={"path": request.path, "permission": perm},
                )
                raise PermissionDenied
            setattr(user, _COUNTER_ATTRIBUTE, counter)
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)
            return response

        return cast(View, wrapper)

    return decorator


def _counter_of(user: Any, counter: str | None) -> str:
    return counter if counter is not None else getattr(user, _COUNTER_ATTRIBUTE, "")


def _may_view(user: Any, permission: str) -> bool:
    if not is_signed_in_staff(user):
        return False
    return bool(user.has_perm(permission))


def get_person_for_staff(
    user: Any, pk: Any, *, counter: str | None = None, detail: dict[str, Any] | None = None
) -> InsuredPerson:
    """The insured person `pk` with their household, for a staff page; logs the view.

    404 when there is no such person or the user may not view persons (not revealing which).
    `counter` defaults to the one `staff_required` noted on the user.
    """
    if not _may_view(user, "eligibility.view_insuredperson"):
        raise Http404
    try:
        person = InsuredPerson.objects.select_related("household").get(pk=pk)
    except (InsuredPerson.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    record(
        actor=user,
        action=AuditAction.VIEW,
        obj=person,
        counter=_counter_of(user, counter),
        detail=detail,
    )
    return person


def get_household_for_staff(
    user: Any, pk: Any, *, counter: str | None = None, detail: dict[str, Any] | None = None
) -> Household:
    """The household `pk` with its householder, for a staff page; logs the view (as above)."""
    if not _may_view(user, "eligibility.view_household"):
        raise Http404
    try:
        household = Household.objects.select_related("householder").get(pk=pk)
    except (Household.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    record(
        actor=user,
        action=AuditAction.VIEW,
        obj=household,
        counter=_counter_of(user, counter),
        detail=detail,
    )
    return household


class StaffAdminSite(OTPAdminSite):
    """The admin site, open only to staff verified by a second factor (OTPAdminSite); its sign-in
    page asks for the code too. Installed as the default site by `StaffAdminConfig`."""

    def __init__(self, name: str = "admin") -> None:
        # OTPAdminSite defaults to "otpadmin"; the URL names stay "admin:…".
        super().__init__(name)
