"""Applications for a 資格確認書 (R-CERT-APPLY): the queue, approve-and-issue, reject with a
reason, and the counter's own "new application" for residents who apply in person."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cards import services as card_services
from cards.models import CertificateApplication
from eligibility.counter import clock
from eligibility.counter.common import (
    DECIDE_APPLICATION,
    SUBMIT_APPLICATION,
    VIEW_APPLICATIONS,
    chrome,
)
from eligibility.counter.forms import (
    ApplicationForm,
    QueueFilterForm,
    RejectForm,
    add_service_errors,
    refusal_text,
)
from eligibility.counter.records import application_for_staff
from sumida_kokuho import audit
from sumida_kokuho.access import current_counter, get_person_for_staff, staff_required
from sumida_kokuho.models import AuditAction

QUEUE_PAGE_SIZE = 50
Status = CertificateApplication.Status

# Why the counter need not take an application (cards.services.ApplicationAnswer.code).
NOT_NEEDED = {
    "certificate_usable": gettext_lazy(
        "No application is needed: the person holds a usable certificate."
    ),
    "myna_usable": gettext_lazy(
        "No application is needed: the My Number insurance card works. A certificate on "
        "application is for a lost card."
    ),
}


@require_safe
@staff_required(VIEW_APPLICATIONS)
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    status = form.status_or_default()
    rows = CertificateApplication.objects.select_related("person__household", "certificate")
    if status != "all":
        rows = rows.filter(status=status)
    # Open ones oldest first (first come, first served); decided ones latest decision first.
    rows = rows.order_by(
        *(("submitted_at", "pk") if status == Status.SUBMITTED else ("-submitted_at", "-pk"))
    )
    page = Paginator(rows, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    counts = dict(
        CertificateApplication.objects.values_list("status").annotate(n=Count("pk")).order_by()
    )
    shown = list(page)
    # A list of persons is an access too: one event naming every application shown.
    audit.record(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type="cards.certificateapplication",
        counter=current_counter(request),
        detail={"list": True, "status": status, "ids": [a.pk for a in shown]},
    )
    context = {
        "form": form,
        "status": status,
        "page": page,
        "applications": shown,
        "counts": [(value, label, counts.get(value, 0)) for value, label in Status.choices],
        "total": sum(counts.values()),
        **chrome(request),
    }
    return render(request, "counter/applications.html", context)


@require_POST
@staff_required(DECIDE_APPLICATION)
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for_staff(request.user, pk)
    try:
        approved = card_services.approve_application(
            application=application,
            by=request.user,
            as_of=clock.today(),
            counter=current_counter(request),
        )
    except ValidationError as error:
        application.refresh_from_db(fields=["status", "certificate"])
        if application.certificate_id is not None:
            # A double click, or a colleague was quicker: show what was issued.
            messages.info(request, _("This application is already approved."))
            return redirect("counter:certificate", application.certificate_id)
        messages.error(request, refusal_text(error))
        return redirect("counter:applications")
    certificate = approved.certificate
    assert certificate is not None  # a database constraint holds it
    messages.success(
        request,
        _("Approved. Eligibility certificate %(number)s is issued. Print it and send it.")
        % {"number": certificate.number},
    )
    return redirect("counter:certificate", certificate.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(DECIDE_APPLICATION)
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_for_staff(request.user, pk)
    form = RejectForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            card_services.reject_application(
                application=application,
                reason=form.cleaned_data["reason"],
                by=request.user,
                counter=current_counter(request),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The application is rejected."))
            return redirect("counter:applications")
    context = {
        "application": application,
        "person": application.person,
        "form": form,
        **chrome(request),
    }
    return render(request, "counter/reject.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(SUBMIT_APPLICATION)
def apply(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_staff(request.user, pk, detail={"page": "application"})
    initial = {"reason": request.GET.get("reason", "")}
    form = (
        ApplicationForm(request.POST, auto_id="id_apply_%s")
        if request.method == "POST"
        else ApplicationForm(initial=initial, auto_id="id_apply_%s")
    )
    if form.is_valid():
        try:
            answer = card_services.submit_application(
                person=person,
                channel=CertificateApplication.Channel.COUNTER,
                by=request.user,
                counter=current_counter(request),
                as_of=clock.today(),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if answer.needed:
                messages.success(
                    request,
                    _("The application is recorded. Approve it below to issue the certificate."),
                )
            else:
                messages.info(request, NOT_NEEDED[answer.code])
            return redirect("counter:person", person.pk)
    context = {"form": form, "person": person, **chrome(request)}
    return render(request, "counter/apply.html", context)
