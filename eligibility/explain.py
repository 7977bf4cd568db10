"""Translated sentences for the decisions of an assessment: one sentence per decision.

The rules module returns decision codes with their rule ids and figures; this module words them
in the requested language (Japanese first, English). Dates are shown as 和暦 with 西暦 in Japanese
and as plain Western dates in English.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eligibility.rules.assessment import Assessment, Decision
from sumida_kokuho.wareki import format_date_en, to_wareki

_SENTENCES = {
    "insured.yes": gettext_lazy(
        "Insured by Sumida National Health Insurance since %(enrolled_on)s."
    ),
    "insured.not_yet": gettext_lazy(
        "Not insured on this date: the coverage starts on %(enrolled_on)s."
    ),
    "insured.withdrawn": gettext_lazy(
        "Not insured: the coverage ended; %(withdrawn_on)s was the first day without it."
    ),
    "insured.late_elderly": gettext_lazy(
        "Not insured by National Health Insurance: from the 75th birthday (%(on)s) the "
        "Late-Stage Elderly Medical Care System covers the person."
    ),
    "ratio.standard": gettext_lazy("The co-payment ratio is %(ratio)s."),
    "ratio.preschool": gettext_lazy(
        "The co-payment ratio is %(ratio)s until %(until)s, before compulsory school starts."
    ),
    "ratio.elderly": gettext_lazy(
        "Aged 70 to 74 (elderly recipient): the co-payment ratio is %(ratio)s."
    ),
    "ratio.elderly_active": gettext_lazy(
        "Aged 70 to 74 with income at the level of working people: the co-payment ratio is "
        "%(ratio)s."
    ),
    "proof.myna.usable": gettext_lazy(
        "The My Number card can be used as the health insurance card (My Number insurance card)."
    ),
    "proof.myna.not_registered": gettext_lazy(
        "There is no My Number card registered for health-insurance use, so it cannot serve as "
        "the insurance card."
    ),
    "proof.myna.card_not_valid": gettext_lazy(
        "The My Number card cannot be used: it is lost, suspended or returned, or its electronic "
        "certificate expired beyond the grace period."
    ),
    "proof.paper_card.usable": gettext_lazy(
        "The old paper insurance card can still be used until its printed expiry."
    ),
    "proof.paper_card.none": gettext_lazy(
        "There is no paper insurance card; none has been issued since 2 December 2024."
    ),
    "proof.paper_card.expired": gettext_lazy(
        "The paper insurance card has expired (from %(since)s); paper cards were valid until "
        "30 September 2025 at the latest."
    ),
    "proof.paper_card.contents_changed": gettext_lazy(
        "The paper insurance card can no longer be used: its contents (address or householder) "
        "changed on %(since)s."
    ),
    "proof.paper_card.lost": gettext_lazy(
        "The paper insurance card was reported lost on %(since)s; paper cards are not reissued."
    ),
    "proof.certificate.usable": gettext_lazy("The eligibility certificate can be used."),
    "proof.certificate.none": gettext_lazy("No eligibility certificate has been issued."),
    "proof.certificate.not_yet_valid": gettext_lazy(
        "The eligibility certificate can be used from %(since)s."
    ),
    "proof.certificate.expired": gettext_lazy(
        "The eligibility certificate has expired (from %(since)s)."
    ),
    "document.none": gettext_lazy("No document is due now."),
    "note.myna_cert_grace": gettext_lazy(
        "The card's electronic certificate has expired; the card still works as the insurance "
        "card until %(until)s. Please renew the certificate at the ward office."
    ),
    "note.limit_category_unconfirmable": gettext_lazy(
        "Premiums are unpaid, so clinics cannot confirm the high-cost limit category with the "
        "card. Please consult the premium desk (03-5608-6125 to 6128)."
    ),
    "note.special_medical_expenses": gettext_lazy(
        "Premiums have been unpaid for over a year: the household pays the full cost at the "
        "clinic and claims the insured share back (special medical expenses)."
    ),
    "note.ready_in_about_a_week": gettext_lazy(
        "The new enrolment can be used with the My Number insurance card from about "
        "%(ready_on)s, about a week after the procedure."
    ),
}

_DOCUMENTS = {
    "certificate": gettext_lazy("An eligibility certificate"),
    "notice": gettext_lazy("A notice of insurance information"),
}

_DUE = {
    "new_enrolment": gettext_lazy("%(document)s is due because the person newly joined."),
    "contents_changed": gettext_lazy(
        "%(document)s is due because the paper card's contents (address or householder) changed."
    ),
    "turns_70": gettext_lazy(
        "%(document)s showing the co-payment ratio is due because the person turns 70 this month."
    ),
    "paper_card_expiry": gettext_lazy(
        "%(document)s is due because the paper insurance card expires."
    ),
    "certificate_expiry": gettext_lazy(
        "%(document)s is due because the current certificate expires."
    ),
    "myna_registration_cancelled": gettext_lazy(
        "%(document)s is due because the card's health-insurance registration was cancelled."
    ),
    "myna_cert_expired": gettext_lazy(
        "%(document)s is due because the card's electronic certificate expired."
    ),
    "needs_support": gettext_lazy(
        "%(document)s is due because the person is registered as needing support."
    ),
    "paper_card_lost": gettext_lazy("%(document)s is due because the paper card was lost."),
    "myna_card_lost": gettext_lazy(
        "%(document)s is due because the My Number card was lost or is being reissued."
    ),
}


def format_day(day: date, language: str | None = None) -> str:
    """和暦 with 西暦 in Japanese, a Western date in English."""
    language = language or translation.get_language() or "ja"
    if language.startswith("ja"):
        return to_wareki(day, seireki=True)
    return format_date_en(day)


def _ratio(percent: int) -> str:
    return _("%(tenths)d割 (%(percent)d%%)") % {"tenths": percent // 10, "percent": percent}


def _values(decision: Decision, language: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in decision.params:
        if isinstance(value, date):
            values[name] = format_day(value, language)
        elif name == "ratio":
            values[name] = _ratio(value)
        else:
            values[name] = value
    return values


def sentence(decision: Decision, language: str = "ja") -> str:
    """The sentence for one decision, in `language`."""
    with translation.override(language):
        values = _values(decision, language)
        if decision.code.startswith("document.") and decision.code != "document.none":
            _prefix, document, reason = decision.code.split(".", 2)
            text = _DUE[reason] % {"document": _DOCUMENTS[document]}
            gap = "" if language.startswith("ja") else " "
            if decision.param("by"):
                text += gap + _("Deliver by %(by)s.") % {"by": values["by"]}
            if decision.param("on_application"):
                text += gap + _("It is issued on application, online or at the counter.")
            return text
        template = _SENTENCES.get(decision.code)
        if template is None:  # a new decision without words yet: say so rather than fail
            return decision.code
        return str(template) % values


def explain(result: Assessment, language: str = "ja") -> list[str]:
    return [sentence(decision, language) for decision in result.decisions]
