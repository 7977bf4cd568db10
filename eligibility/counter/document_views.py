"""Documents at the counter: issue (or reissue) and void 資格確認書, hand out お知らせ, their
pages and PDFs, and the residents' activation codes.

Issuing is idempotent per day (ADR 0006): a double click or a second clerk gets the same
certificate or notice, so the buttons need no other guard. Every PDF download is audit-logged
as a "print" event, and like every staff page it is sent with Cache-Control: no-store.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cards import services as card_services
from cards.models import DocumentReason
from eligibility import services
from eligibility.counter import clock
from eligibility.counter.common import (
    HAND_OUT_NOTICE,
    ISSUE_ACTIVATION_CODE,
    ISSUE_CERTIFICATE,
    VIEW_CERTIFICATE,
    VIEW_NOTICE,
    VOID_CERTIFICATE,
    chrome,
)
from eligibility.counter.documents import PDF, certificate_pdf, notice_pdf
from eligibility.counter.forms import IssueForm, VoidForm, add_service_errors, refusal_text
from eligibility.counter.records import (
    certificate_for_staff,
    notice_for_staff,
    person_for_page,
)
from notices import services as notice_services
from notices.documents import FontNotFoundError
from sumida_kokuho import audit
from sumida_kokuho.access import current_counter, get_person_for_staff, staff_required


def _person_page(pk: int) -> str:
    return reverse("counter:person", args=[pk])


# --- issue and hand out -------------------------------------------------------------------------


@require_POST
@staff_required(ISSUE_CERTIFICATE)
def issue_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_staff(request.user, pk, detail={"page": "issue_certificate"})
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a reason from the list."))
        return redirect(_person_page(person.pk))
    try:
        certificate = card_services.issue_certificate(
            person=person,
            by=request.user,
            as_of=clock.today(),
            reason=form.cleaned_data["reason"] or None,
            counter=current_counter(request),
        )
    except ValidationError as error:
        messages.error(request, refusal_text(error))
        return redirect(_person_page(person.pk))
    messages.success(
        request,
        _("Eligibility certificate %(number)s is issued. Print it and hand it over.")
        % {"number": certificate.number},
    )
    return redirect("counter:certificate", certificate.pk)


@require_POST
@staff_required(HAND_OUT_NOTICE)
def hand_out_notice(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_staff(request.user, pk, detail={"page": "hand_out_notice"})
    try:
        notice = notice_services.hand_out_notice(
            person=person,
            by=request.user,
            as_of=clock.today(),
            counter=current_counter(request),
        )
    except ValidationError as error:
        messages.error(request, refusal_text(error))
        return redirect(_person_page(person.pk))
    messages.success(request, _("The notice is recorded as handed out. Print it and hand it over."))
    return redirect("counter:notice", notice.pk)


# --- a certificate, a notice --------------------------------------------------------------------


@require_safe
@staff_required(VIEW_CERTIFICATE)
def certificate_page(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = certificate_for_staff(request.user, pk)
    context = {
        "certificate": certificate,
        "person": certificate.person,
        "in_force": certificate.voided_on is None and certificate.valid_until >= clock.today(),
        "reissue_form": IssueForm(
            initial={"reason": DocumentReason.OTHER}, auto_id="id_reissue_%s"
        ),
        **chrome(request),
    }
    return render(request, "counter/certificate.html", context)


@require_safe
@staff_required(VIEW_NOTICE)
def notice_page(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notice_for_staff(request.user, pk)
    context = {"notice": notice, "person": notice.person, **chrome(request)}
    return render(request, "counter/notice.html", context)


def _pdf_response(request: HttpRequest, content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _font_missing(request: HttpRequest, error: FontNotFoundError, back: str) -> HttpResponse:
    messages.error(request, _("The document cannot be printed: %(error)s") % {"error": error})
    return redirect(back)


@require_safe
@staff_required(VIEW_CERTIFICATE)
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = certificate_for_staff(request.user, pk)
    certificate.person = person_for_page(certificate.person)
    try:
        content = certificate_pdf(certificate)
    except FontNotFoundError as error:
        return _font_missing(request, error, reverse("counter:certificate", args=[pk]))
    audit.record(
        actor=request.user,
        action="print",
        obj=certificate,
        counter=current_counter(request),
        detail={"kind": "certificate", "number": certificate.number, "via": "counter"},
    )
    return _pdf_response(request, content, f"certificate-{certificate.number}.pdf")


@require_safe
@staff_required(VIEW_NOTICE)
def notice_download(request: HttpRequest, pk: int) -> HttpResponse:
    notice = notice_for_staff(request.user, pk)
    notice.person = person_for_page(notice.person)
    try:
        content = notice_pdf(notice)
    except FontNotFoundError as error:
        return _font_missing(request, error, reverse("counter:notice", args=[pk]))
    audit.record(
        actor=request.user,
        action="print",
        obj=notice,
        counter=current_counter(request),
        detail={"kind": "notice", "via": "counter"},
    )
    return _pdf_response(request, content, f"notice-{notice.issued_on:%Y%m%d}-{notice.pk}.pdf")


# --- void ---------------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(VOID_CERTIFICATE)
def void_certificate(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = certificate_for_staff(request.user, pk)
    form = VoidForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            card_services.void_certificate(
                certificate=certificate,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"] or clock.today(),
                by=request.user,
                counter=current_counter(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Eligibility certificate %(number)s is void.") % {"number": certificate.number},
            )
            return redirect(_person_page(certificate.person_id))
    context = {
        "certificate": certificate,
        "person": certificate.person,
        "form": form,
        **chrome(request),
    }
    return render(request, "counter/void.html", context)


# --- activation codes ---------------------------------------------------------------------------


@require_POST
@staff_required(ISSUE_ACTIVATION_CODE)
def issue_activation_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a code and show it once, on a page made for printing.

    Rendered, not redirected: the plain code exists only in this response (no-store), never in
    the session, a message, the database or a log. Reloading issues a new code, which expires
    this one; the page says so.
    """
    person = get_person_for_staff(request.user, pk, detail={"page": "activation_code"})
    code, plain = services.issue_activation_code(
        person=person, by=request.user, counter=current_counter(request)
    )
    context = {
        "person": person,
        "plain_code": plain,
        "expires_on": timezone.localdate(code.expires_at),
        "portal_url": request.build_absolute_uri("/portal/"),
        **chrome(request),
    }
    return render(request, "counter/activation.html", context)
