"""Staff pages: sign-in with a second factor, first-time enrolment of the authenticator app,
sign-out, the staff home with the person search, and the audit trail for supervisors.

Sign-in is one form: user name, password, 6-digit TOTP code and the counter. A staff member with
no confirmed device is sent, after a correct password and only then, to the enrolment page for
ten minutes; the session is signed in only once a code from the new device has been verified.
"""

from __future__ import annotations

import json
import re
from base64 import b32encode
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import qrcode
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from qrcode.image.svg import SvgPathImage

from eligibility.search import redact_query, search_persons
from sumida_kokuho import csvsafe
from sumida_kokuho.access import (
    COUNTER_SESSION_KEY,
    current_counter,
    is_signed_in_staff,
    staff_required,
)
from sumida_kokuho.audit import (
    REVIEW_FACTOR,
    REVIEW_FLOOR,
    REVIEW_HOURS,
    AccessReview,
    access_review,
    record,
)
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.roles import BROWSE_AUDIT, counter_label
from sumida_kokuho.security import public
from sumida_kokuho.staff_forms import (
    KNOWN_ACTIONS,
    AuditFilterForm,
    EnrolmentForm,
    PersonSearchForm,
    StaffSignInForm,
)

ENROLMENT_SESSION_KEY = "staff_enrolment"
# The name given to TOTP devices (a label in the admin, not shown to clerks).
DEVICE_NAME = "authenticator app"
ENROLMENT_WINDOW = timedelta(minutes=10)
AUDIT_PAGE_SIZE = 50


CODE_NOT_ACCEPTED = gettext_lazy(
    "The code is not right. Check that the phone's clock is right and enter the code the app "
    "shows now."
)


def qr_svg(data: str) -> str:
    """`data` as a QR code in inline SVG (no image file, no JavaScript)."""
    image = qrcode.make(data, image_factory=SvgPathImage, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    # A fixed on-screen size that phones scan easily; the drawing scales with its viewBox.
    return re.sub(r'width="[^"]*" height="[^"]*"', 'width="240" height="240"', svg, count=1)


def readable_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it when typed: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


# --- signing in and out --------------------------------------------------------------------------


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("staff:home")


def _complete_sign_in(request: HttpRequest, user: Any, device: TOTPDevice, counter: str) -> None:
    # A new session key (no session fixation). The backend is named: django-axes adds a second
    # one, and the enrolment path signs in a user that authenticate() did not return.
    auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)  # marks the session verified: user.is_verified()
    request.session[COUNTER_SESSION_KEY] = counter
    record(actor=user, action="sign_in", counter=counter, detail={"second_factor": "totp"})


def _start_enrolment(request: HttpRequest, user: Any, counter: str, next_url: str) -> None:
    # A fresh secret for each enrolment started; an unconfirmed device never signs anyone in.
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice(
        user=user, name=DEVICE_NAME, confirmed=False
    )
    device.key = default_key()
    device.save()
    request.session.cycle_key()
    request.session[ENROLMENT_SESSION_KEY] = {
        "user": user.pk,
        "device": device.pk,
        "started": timezone.now().timestamp(),
        "counter": counter,
        "next": next_url,
    }


@public
@sensitive_post_parameters("password", "code")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.method != "POST" and is_signed_in_staff(request.user):
        return redirect(_next_url(request))
    if request.method != "POST":
        form = StaffSignInForm(request=request)
        return render(request, "staff/sign_in.html", {"form": form, "next": _next_url(request)})
    form = StaffSignInForm(request.POST, request=request)
    if not form.is_valid():
        if form.refusal:
            reason = {"reason": form.refusal}
            record(actor=form.refused_user, action="sign_in_refused", detail=reason)
        return render(request, "staff/sign_in.html", {"form": form, "next": _next_url(request)})
    if form.device is None:
        _start_enrolment(request, form.user, form.cleaned_data["counter"], _next_url(request))
        return redirect("staff:enrol")
    _complete_sign_in(request, form.user, form.device, form.cleaned_data["counter"])
    return redirect(_next_url(request))


def _pending_enrolment(request: HttpRequest) -> tuple[Any, TOTPDevice, dict[str, Any]] | None:
    """The user and unconfirmed device of an enrolment started here in the last ten minutes."""
    pending = request.session.get(ENROLMENT_SESSION_KEY)
    if not isinstance(pending, dict):
        return None
    started = datetime.fromtimestamp(pending["started"], tz=timezone.get_current_timezone())
    if timezone.now() - started > ENROLMENT_WINDOW:
        return None
    user = get_user_model()._default_manager.filter(pk=pending["user"]).first()
    if user is None or not (user.is_active and user.is_staff):
        return None
    devices = TOTPDevice.objects.filter(user=user)
    # With a confirmed device the user signs in with it; a password alone must not add another.
    if devices.filter(confirmed=True).exists():
        return None
    device = devices.filter(pk=pending["device"], confirmed=False).first()
    return (user, device, pending) if device is not None else None


@public
@sensitive_post_parameters("code")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    pending = _pending_enrolment(request)
    if pending is None:
        request.session.pop(ENROLMENT_SESSION_KEY, None)
        messages.error(request, _("Sign in again to set up the authenticator app."))
        return redirect("staff:login")
    user, device, data = pending
    form = EnrolmentForm(request.POST if request.method == "POST" else None)
    if form.is_valid() and device.verify_token(form.cleaned_data["code"]):
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        record(actor=user, action="enrol_second_factor", counter=data["counter"])
        _complete_sign_in(request, user, device, data["counter"])
        request.session.pop(ENROLMENT_SESSION_KEY, None)
        messages.success(request, _("The authenticator app is set up. You are signed in."))
        return redirect(data["next"])
    if form.is_bound and not form.errors:
        form.add_error("code", CODE_NOT_ACCEPTED)
    context = {
        "form": form,
        "config_url": device.config_url,
        "qr_svg": qr_svg(device.config_url),
        "secret": readable_secret(device),
        "username": user.get_username(),
    }
    return render(request, "staff/enrol.html", context)


@public
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        record(actor=request.user, action="sign_out", counter=current_counter(request))
    auth_logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("staff:login")


# --- home and person search ----------------------------------------------------------------------


@require_safe
@staff_required()
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "staff/home.html", {"form": PersonSearchForm(), **_chrome(request)})


@require_safe
@staff_required("eligibility.view_insuredperson")
def search(request: HttpRequest) -> HttpResponse:
    form = PersonSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "staff/home.html", {"form": form, **_chrome(request)})
    result = search_persons(form.cleaned_data["q"])
    record(
        actor=request.user,
        action="search",
        object_type="eligibility.insuredperson",
        counter=current_counter(request),
        detail={
            "query": redact_query(form.cleaned_data["q"]),
            "kind": result.query.kind.value,
            "ids": [person.pk for person in result.persons],
            "more": result.has_more,
        },
    )
    context = {"form": form, "result": result, **_chrome(request)}
    return render(request, "staff/home.html", context)


def _chrome(request: HttpRequest) -> dict[str, Any]:
    """What the staff bar shows: the counter of this session."""
    return {"counter_label": counter_label(current_counter(request))}


# --- the audit trail -----------------------------------------------------------------------------


def filter_audit_events(filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """Audit events matching the cleaned filters of `AuditFilterForm`, newest first."""
    events = AuditEvent.objects.select_related("actor")
    if filters.get("actor"):
        events = events.filter(actor=filters["actor"])
    if filters.get("person"):
        events = events.filter(person_id=filters["person"])
    if filters.get("household"):
        events = events.filter(household_id=filters["household"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("counter"):
        events = events.filter(counter=filters["counter"])
    # Dates are calendar days in Tokyo (the current time zone), the end day included.
    if filters.get("date_from"):
        events = events.filter(
            at__gte=timezone.make_aware(datetime.combine(filters["date_from"], time.min))
        )
    if filters.get("date_to"):
        end = filters["date_to"] + timedelta(days=1)
        events = events.filter(at__lt=timezone.make_aware(datetime.combine(end, time.min)))
    return events.order_by("-at", "-pk")


@dataclass(frozen=True)
class _AuditRow:
    event: AuditEvent
    detail: str
    counter: Any

    @classmethod
    def of(cls, event: AuditEvent) -> _AuditRow:
        detail = json.dumps(event.detail, ensure_ascii=False, sort_keys=True)
        return cls(event=event, detail=detail, counter=counter_label(event.counter))


@require_safe
@staff_required(BROWSE_AUDIT)
def audit_trail(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    events = (
        filter_audit_events(form.cleaned_data) if form.is_valid() else AuditEvent.objects.none()
    )
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_AuditRow.of(event) for event in page]
    context = {"form": form, "page": page, "rows": rows, "actions": KNOWN_ACTIONS}
    context.update(_chrome(request))
    return render(request, "staff/audit.html", context)


CSV_HEADER = (
    gettext_lazy("At"),
    gettext_lazy("Clerk"),
    gettext_lazy("Action"),
    gettext_lazy("Object type"),
    gettext_lazy("Object id"),
    gettext_lazy("Person id"),
    gettext_lazy("Household id"),
    gettext_lazy("Counter"),
    gettext_lazy("Detail"),
)


def _csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    rows = (
        [
            timezone.localtime(event.at).isoformat(),
            event.actor.get_username() if event.actor else "",
            event.action,
            event.object_type,
            event.object_id,
            event.person_id,
            event.household_id,
            event.counter,
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True),
        ]
        for event in events
    )
    return csvsafe.stream_lines([str(title) for title in CSV_HEADER], rows)


@require_safe
@staff_required(BROWSE_AUDIT)
def audit_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    if not form.is_valid():
        return audit_trail(request)
    record(
        actor=request.user,
        action="export",
        object_type="sumida_kokuho.auditevent",
        counter=current_counter(request),
        detail={"filters": {k: str(v) for k, v in form.cleaned_data.items() if v}},
    )
    events = filter_audit_events(form.cleaned_data).iterator(chunk_size=2000)
    response = StreamingHttpResponse(_csv_lines(events), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response


# --- the monthly access review -------------------------------------------------------------------

_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> date | None:
    """The month "2026-10" as its first day (1 October 2026); None for anything else."""
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        return None
    return date(int(match.group(1)), int(match.group(2)), 1)


def last_month() -> date:
    return (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)


FLAG_LABELS = {
    "views": gettext_lazy("many views"),
    "changes": gettext_lazy("many changes"),
    "hours": gettext_lazy("views out of hours"),
}

REVIEW_CSV_HEADER = (
    gettext_lazy("Month"),
    gettext_lazy("Clerk"),
    gettext_lazy("Name"),
    gettext_lazy("Views"),
    gettext_lazy("Persons viewed"),
    gettext_lazy("Changes"),
    gettext_lazy("Searches"),
    gettext_lazy("Views out of hours"),
    gettext_lazy("Flags"),
)


def review_csv_rows(review: AccessReview) -> Iterator[list[object]]:
    for row in review.rows:
        yield [
            review.month.strftime("%Y-%m"),
            row.username,
            row.name,
            row.views,
            row.persons_viewed,
            row.changes,
            row.searches,
            row.off_hours_views,
            "; ".join(str(FLAG_LABELS[flag]) for flag in row.flags),
        ]


def _review_month(request: HttpRequest) -> tuple[date | None, str]:
    text = request.GET.get("month", "")
    if not text:
        return last_month(), ""
    month = parse_month(text)
    return month, "" if month else _("Enter the month as year-month, for example 2026-10.")


@require_safe
@staff_required(BROWSE_AUDIT)
def access_review_page(request: HttpRequest) -> HttpResponse:
    month, error = _review_month(request)
    review = access_review(month) if month else None
    if review is not None:
        record(
            actor=request.user,
            action="view",
            object_type="sumida_kokuho.accessreview",
            counter=current_counter(request),
            detail={"month": review.month.strftime("%Y-%m")},
        )
    context = {
        "review": review,
        "month": month.strftime("%Y-%m") if month else request.GET.get("month", ""),
        "error": error,
        "rows": [(row, [FLAG_LABELS[flag] for flag in row.flags]) for row in review.rows]
        if review
        else [],
        "factor": REVIEW_FACTOR,
        "floor": REVIEW_FLOOR,
        "hours_from": REVIEW_HOURS[0],
        "hours_to": REVIEW_HOURS[1],
        **_chrome(request),
    }
    return render(request, "staff/access_review.html", context, status=400 if error else 200)


@require_safe
@staff_required(BROWSE_AUDIT)
def access_review_export(request: HttpRequest) -> HttpResponse:
    month, error = _review_month(request)
    if month is None:
        return access_review_page(request)
    review = access_review(month)
    record(
        actor=request.user,
        action="export",
        object_type="sumida_kokuho.accessreview",
        counter=current_counter(request),
        detail={"month": review.month.strftime("%Y-%m")},
    )
    header = [str(title) for title in REVIEW_CSV_HEADER]
    lines = csvsafe.stream_lines(header, review_csv_rows(review))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    name = f"access-review-{review.month:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
