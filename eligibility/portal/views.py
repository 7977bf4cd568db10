"""Resident portal pages. Short functions: gate, bind a form, call one service, redirect."""

from __future__ import annotations

import logging

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cards.models import CertificateApplication
from cards.services import submit_application
from eligibility.portal import oidc
from eligibility.portal.access import (
    get_household_for_resident,
    get_person_for_resident,
    is_householder,
    own_person,
    resident_account,
    resident_required,
)
from eligibility.portal.forms import (
    ActivationForm,
    ApplicationForm,
    ResidentPasswordResetForm,
    ResidentSignInForm,
)
from eligibility.portal.services import account_for_oidc, create_account_from_activation
from eligibility.portal.status import cached_page, person_status, statuses
from sumida_kokuho.security import (
    APPLICATION_BY_USER,
    OIDC_BY_ADDRESS,
    PASSWORD_RESET_BY_ADDRESS,
    PASSWORD_RESET_BY_EMAIL,
    client_address,
    public,
    too_many_requests,
)

log = logging.getLogger(__name__)

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("portal:status")


# --- signing in ---------------------------------------------------------------------------------


@public
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if resident_account(request.user) is not None:
        return redirect("portal:status")
    form = ResidentSignInForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return HttpResponseRedirect(_next_url(request))
    return render(
        request,
        "portal/sign_in.html",
        {"form": form, "next": _next_url(request), "oidc_enabled": oidc.is_configured()},
    )


@public
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, _("You have signed out."))
    return redirect("portal:sign_in")


@public
@require_http_methods(["GET", "HEAD", "POST"])
def activate(request: HttpRequest) -> HttpResponse:
    form = ActivationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        credentials = {"username": form.insured_number}
        if not AxesProxyHandler.is_allowed(request, credentials):
            return render(request, "portal/locked_out.html", status=429)
        data = form.cleaned_data
        try:
            account = create_account_from_activation(
                insured_number=form.insured_number,
                birth_date=data["birth_date"],
                code=data["code"],
                email=data["email"],
                password=data["password1"],
            )
        except ValidationError as error:
            _add(form, error)
        else:
            if account is None:
                # Counted like a wrong password: repeated guesses lock the insured number out.
                user_login_failed.send(sender=__name__, credentials=credentials, request=request)
                if getattr(request, "axes_locked_out", False):
                    return render(request, "portal/locked_out.html", status=429)
                form.add_error(
                    None,
                    _(
                        "These details do not match an unused activation letter. Check the "
                        "number, the date of birth and the code, or ask the counter for a new "
                        "letter."
                    ),
                )
            else:
                login(request, account.user, backend=MODEL_BACKEND)
                messages.success(request, _("Your account is ready. Welcome."))
                return redirect("portal:status")
    return render(request, "portal/activate.html", {"form": form})


def _add(form: ActivationForm, error: ValidationError) -> None:
    for field, errors in error.error_dict.items():
        form.add_error(None if field == "__all__" else field, errors)


@public
@require_safe
def oidc_start(request: HttpRequest) -> HttpResponse:
    if not OIDC_BY_ADDRESS.hit(client_address(request)):
        return render(request, "portal/locked_out.html", status=429)
    try:
        return oidc.start(request, request.build_absolute_uri(reverse("portal:oidc_callback")))
    except oidc.OidcFailure:
        log.warning("OpenID provider unreachable", exc_info=True)
        return render(request, "portal/oidc_failed.html", status=502)


@public
@require_safe
def oidc_callback(request: HttpRequest) -> HttpResponse:
    if not OIDC_BY_ADDRESS.hit(client_address(request)):
        return render(request, "portal/locked_out.html", status=429)
    try:
        claims = oidc.finish(request)
    except oidc.OidcFailure as failure:
        log.warning("OpenID sign-in refused: %s", failure)
        return render(request, "portal/oidc_failed.html", status=400)
    account = account_for_oidc(sub=str(claims["sub"]), claims=claims)
    if account is None:
        return render(request, "portal/counter_needed.html", status=403)
    login(request, account.user, backend=MODEL_BACKEND)
    return redirect("portal:status")


# --- password reset (residents only) ------------------------------------------------------------

_password_reset = auth_views.PasswordResetView.as_view(
    form_class=ResidentPasswordResetForm,
    template_name="portal/password_reset_form.html",
    email_template_name="portal/password_reset_email.txt",
    subject_template_name="portal/password_reset_subject.txt",
    success_url=reverse_lazy("portal:password_reset_done"),
)


@public
def password_reset(request: HttpRequest) -> HttpResponse:
    """The reset request, throttled per address and per e-mail address (each request sends mail)."""
    if request.method == "POST":
        email = str(request.POST.get("email", "")).strip().lower()
        address = client_address(request)
        if not PASSWORD_RESET_BY_ADDRESS.hit(address) or (
            email and not PASSWORD_RESET_BY_EMAIL.hit(email)
        ):
            return render(request, "portal/locked_out.html", status=429)
    return _password_reset(request)


password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="portal/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="portal/password_reset_confirm.html",
    success_url=reverse_lazy("portal:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="portal/password_reset_complete.html"
)


# --- the resident's records ---------------------------------------------------------------------


@require_safe
@resident_required
def status(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    me = own_person(request.user)
    householder_view = is_householder(me)

    def render_body() -> str:
        household = get_household_for_resident(request.user)
        every = statuses(household.members, today)
        context = {
            "household": household,
            "mine": next(s for s in every if s.person.pk == me.pk),
            "others": [s for s in every if s.person.pk != me.pk],
            "today": today,
        }
        return render_to_string("portal/_status_page.html", context)

    body = cached_page(me, householder_view, today, render_body)
    return render(request, "portal/status.html", {"body": mark_safe(body)})  # noqa: S308


@require_safe
@resident_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    today = timezone.localdate()
    member = get_person_for_resident(request.user, pk)
    return render(
        request,
        "portal/person.html",
        {"status": person_status(member, today), "today": today},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@resident_required
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_person_for_resident(request.user, pk)
    current = person_status(member, timezone.localdate())
    if request.method == "POST" and not APPLICATION_BY_USER.hit(str(request.user.pk)):
        return too_many_requests(request)
    form = ApplicationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            answer = submit_application(
                person=member,
                reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
                channel=CertificateApplication.Channel.ONLINE,
                by=request.user,
            )
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                form.add_error(None if field == "__all__" else field, errors)
        else:
            if answer.needed:
                messages.success(
                    request,
                    _("Sent. The counter will process your application; its state is below."),
                )
                return redirect("portal:person", pk=member.pk)
            return render(
                request,
                "portal/apply_not_needed.html",
                {"status": current, "answer": answer},
            )
    return render(request, "portal/apply.html", {"status": current, "form": form})


@public
@require_safe
def help_page(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/help.html")
