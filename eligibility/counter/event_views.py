"""Recording life events: one small form page per event, each calling one service.

GET shows the form; POST validates it, calls the service with `by=` the clerk and the counter,
and on success redirects (Post/Redirect/Get) to the person or household page with a message
naming the document now due. A refusal, from the form or the service, shows the form again
with the error summary; nothing is saved then (each service is one transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from eligibility import services
from eligibility.counter import clock
from eligibility.counter.common import RECORD_EVENTS, chrome, due_message
from eligibility.counter.forms import (
    AddressChangeForm,
    EnrolForm,
    EventDateForm,
    HouseholderChangeForm,
    MynaReissuedForm,
    WithdrawForm,
    add_service_errors,
)
from eligibility.models import Household
from sumida_kokuho.access import (
    current_counter,
    get_household_for_staff,
    get_person_for_staff,
    staff_required,
)


@dataclass(frozen=True, slots=True)
class EventPage:
    title: Any
    intro: Any
    form: type[forms.Form]
    service: Callable[..., Any]
    button: Any


PERSON_EVENTS: dict[str, EventPage] = {
    "enrol": EventPage(
        gettext_lazy("Record an enrolment"),
        gettext_lazy(
            "資格取得: the person joins Sumida National Health Insurance. Check the residence "
            "record and the proof of leaving the previous insurance."
        ),
        EnrolForm,
        services.enrol_person,
        gettext_lazy("Record the enrolment"),
    ),
    "withdraw": EventPage(
        gettext_lazy("Record a withdrawal"),
        gettext_lazy(
            "資格喪失: the coverage ends. The paper card and the certificate in force stop "
            "working from the first day without coverage."
        ),
        WithdrawForm,
        services.withdraw_person,
        gettext_lazy("Record the withdrawal"),
    ),
    "paper_card_lost": EventPage(
        gettext_lazy("Record a lost paper insurance card"),
        gettext_lazy(
            "The paper card cannot be used from that day and is not reissued. Without a My "
            "Number insurance card the person can apply for an eligibility certificate."
        ),
        EventDateForm,
        services.record_paper_card_lost,
        gettext_lazy("Record the loss"),
    ),
    "myna_card_lost": EventPage(
        gettext_lazy("Record a lost My Number card"),
        gettext_lazy(
            "The card does not work as the insurance card until a reissue is recorded. The "
            "person can apply for an eligibility certificate meanwhile."
        ),
        EventDateForm,
        services.record_myna_card_lost,
        gettext_lazy("Record the loss"),
    ),
    "myna_card_reissued": EventPage(
        gettext_lazy("Record a reissued My Number card"),
        gettext_lazy("The new card works as the insurance card again from that day."),
        MynaReissuedForm,
        services.record_myna_card_reissued,
        gettext_lazy("Record the reissue"),
    ),
    "registration_cancelled": EventPage(
        gettext_lazy("Record a cancelled health-insurance registration"),
        gettext_lazy(
            "利用登録解除: the My Number card no longer works as the insurance card from that "
            "day. An eligibility certificate is sent without application."
        ),
        EventDateForm,
        services.record_myna_registration_cancelled,
        gettext_lazy("Record the cancellation"),
    ),
}

HOUSEHOLD_EVENTS: dict[str, EventPage] = {
    "address_change": EventPage(
        gettext_lazy("Record an address change"),
        gettext_lazy(
            "The household moves within Sumida. Every member insured on that day gets the "
            "change; their paper cards stop working (contents changed)."
        ),
        AddressChangeForm,
        services.record_address_change,
        gettext_lazy("Record the address change"),
    ),
    "householder_change": EventPage(
        gettext_lazy("Record a change of householder"),
        gettext_lazy(
            "A member becomes the householder. Every member insured on that day gets the "
            "change; their paper cards stop working (contents changed)."
        ),
        HouseholderChangeForm,
        services.record_householder_change,
        gettext_lazy("Record the change"),
    ),
}


def _bound(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(RECORD_EVENTS)
def record_person_event(request: HttpRequest, pk: int, event: str) -> HttpResponse:
    page = PERSON_EVENTS[event]
    person = get_person_for_staff(request.user, pk, detail={"page": event})
    form = page.form(_bound(request))
    if form.is_valid():
        try:
            recorded = page.service(
                person=person,
                by=request.user,
                counter=current_counter(request),
                as_of=clock.today(),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, due_message(recorded.document_due))
            return redirect("counter:person", person.pk)
    context = {"page": page, "form": form, "person": person, **chrome(request)}
    return render(request, "counter/event_form.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(RECORD_EVENTS)
def record_household_event(request: HttpRequest, pk: int, event: str) -> HttpResponse:
    page = HOUSEHOLD_EVENTS[event]
    household = get_household_for_staff(request.user, pk, detail={"page": event})
    form = _household_form(page, request, household)
    if form.is_valid():
        try:
            recorded = page.service(
                household=household,
                by=request.user,
                counter=current_counter(request),
                as_of=clock.today(),
                **form.cleaned_data,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _household_message(recorded))
            return redirect("counter:household", household.pk)
    context = {"page": page, "form": form, "household": household, **chrome(request)}
    return render(request, "counter/event_form.html", context)


def _household_form(page: EventPage, request: HttpRequest, household: Household) -> forms.Form:
    if page.form is HouseholderChangeForm:
        return HouseholderChangeForm(_bound(request), household=household)
    return page.form(_bound(request))


def _household_message(recorded: services.HouseholdRecorded) -> str:
    members = len(recorded.members)
    if not members:
        return _("Saved. No member was insured on that day, so no member's records changed.")
    due = sum(1 for member in recorded.members if member.document_due is not None)
    saved = ngettext("Saved for %(count)d member.", "Saved for %(count)d members.", members) % {
        "count": members
    }
    if not due:
        return saved + " " + _("No document is due now.")
    return (
        saved
        + " "
        + ngettext(
            "A document is now due for %(count)d of them: see the members below.",
            "Documents are now due for %(count)d of them: see the members below.",
            due,
        )
        % {"count": due}
    )
