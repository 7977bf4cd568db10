"""The counter's card-reader page: start a verification, see the result live, open the person.

The page never sees a PIN: it only asks the counter's reader process (`manage.py reader`) for a
check, and shows what the process recorded. Showing a matched person or a near miss to staff is a
staff view of that person and is audit-logged (once per verification and staff member).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from cards.models import CardVerification, CounterReader
from cards.reader.records import request_verification
from eligibility.models import InsuredPerson
from sumida_kokuho import audit
from sumida_kokuho.access import staff_required
from sumida_kokuho.models import AuditAction, AuditEvent
from sumida_kokuho.roles import COUNTER_CODES, counter_label
from sumida_kokuho.security import passive

VIEW_PERSON = "eligibility.view_insuredperson"
# The reader process writes its state at least every 10 s; older than this, it is not running.
READER_STALE_AFTER = timedelta(seconds=30)

ITEM_LABELS = {
    "name": _("name"),
    "address": _("address"),
    "birth_date": _("date of birth"),
    "sex": _("sex"),
}

UNLOCK_ADVICE = _(
    "To unlock the PIN, the resident resets the user-authentication PIN (4 digits) at the My "
    "Number card counter (City Office 2nd floor) or at a branch office."
)

# What staff should know or do, by error code (or basic-four note).
GUIDANCE = {
    "wrong_pin": _("The PIN was wrong. Do not guess: the PIN locks after three wrong entries."),
    "pin_locked": _(
        "The PIN is locked. The card still works as a health insurance card: use face "
        "authentication or a visual check."
    ),
    "not_my_number_card": _("This is not a My Number card. Ask for the My Number card."),
    "untrusted_card": _(
        "The card could not be verified as a genuine My Number card. Do not accept it; consult "
        "your supervisor."
    ),
    "certificate_expired": _(
        "The card's electronic certificate has expired. It still works as a health insurance card "
        "for three more months; the resident renews the certificate at the My Number card "
        "counter. Use a visual check today."
    ),
    "card_removed": _("The card was taken off the reader. Place it again and start again."),
    "no_card": _("No card was placed on the reader in time."),
    "card_busy": _("Another program is using the card reader. Ask IT support."),
    "no_reader": _("No card reader is connected at this counter."),
    "reader_unavailable": _("The card reader was disconnected. Connect it and start again."),
    "pcsc_unavailable": _("The smart-card service of this counter machine is not running."),
    "card_data_error": _("The card's data could not be read. Try again or use a visual check."),
    "card_error": _("The card answered with an error. Try again or use a visual check."),
    "no_entry": _("No PIN was entered in time."),
    "pin_format": _("The entry was not a 4-digit PIN; no try was used."),
    "not_attested": _("A visual check needs the staff member's confirmation."),
    "face_not_matched": _(
        "The face did not match the card's photo. Use the PIN or a visual check."
    ),
    "face_cancelled": _("Face authentication was cancelled."),
    "face_unavailable": _("No face-authentication device is available at this counter."),
    "superseded": _("Replaced by a newer request."),
    "expired": _("The reader did not take this request in time."),
    "interrupted": _("The card reader program stopped during this check. Start again."),
    "internal_error": _("The card reader program failed. Start again or use a visual check."),
    "text_pin_differs": _(
        "The card's PIN for reading name and address differs from the PIN entered, so they were "
        "not read: search for the person by name."
    ),
    "text_pin_locked": _(
        "The card's PIN for reading name and address is locked: search for the person by name."
    ),
    "text_pin_not_tried": _(
        "Name and address were not read (one try left on that PIN): search for the person."
    ),
    "no_access_key": _(
        "Name and address were not read (no card access number): search for the person."
    ),
    "access_key_rejected": _(
        "The card access number was wrong, so name and address were not read: search for the "
        "person."
    ),
    "access_key_format": _("The card access number has 14 digits; name and address were not read."),
    "access_key_locked": _("The card access number is locked: search for the person by name."),
    "access_key_not_tried": _(
        "Name and address were not read (one try left on the card access number)."
    ),
}


class StartVerificationForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How does the resident confirm it is them?"),
        choices=CardVerification.Method.choices,
        widget=forms.RadioSelect,
        initial=CardVerification.Method.PIN,
    )
    attest = forms.BooleanField(
        label=_("I compared the resident's face with the photo on the card (visual check)."),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("method") == CardVerification.Method.VISUAL and not data.get("attest"):
            self.add_error(
                "attest", _("Confirm that you compared the face with the photo on the card.")
            )
        return data


def _counter_or_404(counter: str) -> str:
    if counter not in COUNTER_CODES:
        raise Http404
    return counter


def person_url(pk: int) -> str:
    """The counter's person page (built by the counter workspace); a plain path until it is."""
    try:
        return reverse("counter:person", args=[pk])
    except NoReverseMatch:
        return f"/counter/person/{pk}/"


def _audit_shown(request: HttpRequest, verification: CardVerification, shown: list[int]) -> None:
    if not shown or not verification.is_finished:
        return
    already = AuditEvent.objects.filter(
        actor=request.user,
        action=AuditAction.VIEW,
        object_type=verification._meta.label_lower,
        object_id=str(verification.pk),
    ).exists()
    if already:
        return
    people = InsuredPerson.objects.in_bulk(shown)
    for pk in shown:
        audit.record(
            actor=request.user,
            action=AuditAction.VIEW,
            obj=verification,
            person=people.get(pk),
            counter=verification.counter,
            detail={"match": pk == verification.matched_person_id},
        )


def panel_context(request: HttpRequest, counter: str) -> dict[str, Any]:
    reader = CounterReader.objects.filter(counter=counter).first()
    reader_running = reader is not None and reader.updated_at >= timezone.now() - READER_STALE_AFTER
    latest = CardVerification.objects.filter(counter=counter).select_related("staff").first()
    matched = None
    near_misses: list[dict[str, Any]] = []
    guidance: list[Any] = []
    if latest is not None and latest.is_finished:
        ids = [m["person_id"] for m in latest.near_misses]
        if latest.matched_person_id:
            ids.insert(0, latest.matched_person_id)
        people = InsuredPerson.objects.select_related("household").in_bulk(ids)
        if latest.matched_person_id in people:
            matched = people[latest.matched_person_id]
            matched.url = person_url(matched.pk)  # type: ignore[attr-defined]
        for miss in latest.near_misses:
            person = people.get(miss["person_id"])
            if person is not None:
                person.url = person_url(person.pk)  # type: ignore[attr-defined]
                near_misses.append(
                    {"person": person, "differs": [ITEM_LABELS[d] for d in miss["differs"]]}
                )
        _audit_shown(request, latest, [p for p in ids if p in people])
        for code in (latest.error_code, latest.basic_four_note):
            if code in GUIDANCE:
                guidance.append(GUIDANCE[code])
        if latest.error_code == "pin_locked" or latest.tries_left == 0:
            guidance.append(UNLOCK_ADVICE)
    return {
        "counter": counter,
        "counter_label": counter_label(counter),
        "reader": reader,
        "reader_running": reader_running,
        "latest": latest,
        "matched": matched,
        "near_misses": near_misses,
        "guidance": guidance,
    }


@require_GET
@staff_required(VIEW_PERSON)
def counter_reader(request: HttpRequest, counter: str) -> HttpResponse:
    counter = _counter_or_404(counter)
    context = panel_context(request, counter)
    context["form"] = StartVerificationForm()
    return render(request, "reader/counter.html", context)


@require_POST
@staff_required(VIEW_PERSON)
def start_verification(request: HttpRequest, counter: str) -> HttpResponse:
    counter = _counter_or_404(counter)
    form = StartVerificationForm(request.POST)
    if form.is_valid():
        try:
            request_verification(
                counter=counter,
                method=form.cleaned_data["method"],
                by=request.user,
                attested=form.cleaned_data["attest"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("reader:counter", counter=counter)
    context = panel_context(request, counter)
    context["form"] = form
    return render(request, "reader/counter.html", context, status=400)


@passive  # the page polls it: not activity for the idle timeout
@require_GET
@staff_required(VIEW_PERSON)
def latest_verification(request: HttpRequest, counter: str) -> JsonResponse:
    """The live part of the page, for its script: state, and the panel's HTML."""
    counter = _counter_or_404(counter)
    context = panel_context(request, counter)
    latest = context["latest"]
    return JsonResponse(
        {
            "counter": counter,
            "reader_state": context["reader"].state if context["reader"] else None,
            "reader_running": context["reader_running"],
            "verification": None
            if latest is None
            else {
                "id": latest.pk,
                "method": latest.method,
                "outcome": latest.outcome,
                "finished": latest.is_finished,
                "tries_left": latest.tries_left,
                "error_code": latest.error_code,
                "matched_person_url": context["matched"].url if context["matched"] else None,
            },
            "html": render_to_string("reader/_panel.html", context, request=request),
        }
    )
