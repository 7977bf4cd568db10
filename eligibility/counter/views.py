"""The person and household pages: the assessment on any day with its reasons, what is due,
the history, and a what-if that saves nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from cards.models import Certificate, CertificateApplication
from eligibility import services
from eligibility.counter import clock
from eligibility.counter.common import VIEW_HOUSEHOLD, VIEW_PERSON, chrome, language
from eligibility.counter.forms import (
    ApplicationForm,
    AsOfForm,
    HouseholdAsOfForm,
    WhatIfForm,
    add_service_errors,
)
from eligibility.counter.records import members_for_page, person_for_page
from eligibility.counter.summary import Summary, assess_or_none, summarise
from eligibility.counter.timeline import build_timeline
from eligibility.models import InsuredPerson, LifeEvent
from sumida_kokuho.access import get_household_for_staff, get_person_for_staff, staff_required

TIMELINE_URLS = {
    "certificate": lambda pk: reverse("counter:certificate", args=[pk]),
    "notice": lambda pk: reverse("counter:notice", args=[pk]),
}


def as_of_from(
    request: HttpRequest, form_class: type[AsOfForm] = AsOfForm
) -> tuple[AsOfForm, date]:
    """The day to show (?as_of=…, 和暦 welcome); today when empty or unreadable."""
    form = form_class(request.GET)
    day = form.cleaned_data.get("as_of") if form.is_valid() else None
    return form, day or clock.today()


def _what_if(
    request: HttpRequest, person: InsuredPerson, as_of: date
) -> tuple[WhatIfForm, Summary | None]:
    """The what-if form, and the assessment as if its event were recorded (nothing is saved)."""
    asked = "kind" in request.GET or "on" in request.GET
    form = WhatIfForm(request.GET if asked else None, auto_id="id_what_if_%s")
    if not form.is_valid():
        return form, None
    try:
        supposed = services.what_if(
            person=person,
            event_kind=form.cleaned_data["kind"],
            occurred_on=form.cleaned_data["on"],
            as_of=as_of,
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return form, None
    return form, summarise(supposed, language())


@require_safe
@staff_required(VIEW_PERSON)
def person_page(request: HttpRequest, pk: int) -> HttpResponse:
    person = person_for_page(get_person_for_staff(request.user, pk))
    as_of_form, as_of = as_of_from(request)
    assessment = assess_or_none(person, as_of)
    summary = summarise(assessment, language()) if assessment is not None else None
    what_if_form, what_if = (
        _what_if(request, person, as_of) if summary is not None else (WhatIfForm(), None)
    )
    applications = list(person.certificate_applications.all())
    context = {
        "person": person,
        "household": person.household,
        "as_of": as_of,
        "today": clock.today(),
        "as_of_form": as_of_form,
        "summary": summary,
        "what_if_form": what_if_form,
        "what_if": what_if,
        "what_if_event": (
            LifeEvent.Kind(what_if_form.cleaned_data["kind"]).label if what_if else ""
        ),
        "timeline": build_timeline(person, TIMELINE_URLS),
        "open_application": next(
            (a for a in applications if a.status == CertificateApplication.Status.SUBMITTED),
            None,
        ),
        "certificate_in_force": _certificate_in_force(person, as_of),
        "application_form": application_form(summary),
        "activation_code": max(
            person.activation_codes.all(), key=lambda c: c.created_at, default=None
        ),
        "error_forms": [form for form in (as_of_form, what_if_form) if form.errors],
        **chrome(request),
    }
    return render(request, "counter/person.html", context)


def _certificate_in_force(person: InsuredPerson, as_of: date) -> Certificate | None:
    current = [
        c
        for c in person.certificates.all()
        if c.issued_on <= as_of and (c.voided_on is None or c.voided_on > as_of)
    ]
    return max(current, key=lambda c: (c.issued_on, c.pk), default=None)


def application_form(summary: Summary | None) -> ApplicationForm:
    """The counter application form, its reason chosen when the due document is on application."""
    due = summary.due if summary is not None else None
    reason = due.reason if due is not None and due.on_application else ""
    if reason not in CertificateApplication.Reason.values:
        reason = ""
    return ApplicationForm(initial={"reason": reason}, auto_id="id_apply_%s")


@dataclass(frozen=True, slots=True)
class MemberRow:
    person: InsuredPerson
    summary: Summary | None


@require_safe
@staff_required(VIEW_HOUSEHOLD)
def household_page(request: HttpRequest, pk: int) -> HttpResponse:
    household = get_household_for_staff(request.user, pk)
    as_of_form, as_of = as_of_from(request, HouseholdAsOfForm)
    rows = []
    for member in members_for_page(household):
        assessment = assess_or_none(member, as_of)
        summary = summarise(assessment, language()) if assessment is not None else None
        rows.append(MemberRow(member, summary))
    context = {
        "household": household,
        "rows": rows,
        "as_of": as_of,
        "today": clock.today(),
        "as_of_form": as_of_form,
        "error_forms": [as_of_form] if as_of_form.errors else [],
        **chrome(request),
    }
    return render(request, "counter/household.html", context)
