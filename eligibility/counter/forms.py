"""Forms of the counter pages. They normalise and validate only; the services decide the rest.

Field names are the keyword arguments of the service each form feeds (`occurred_on`,
`enrolled_on`, `reason`, …), so `cleaned_data` is passed on as it is and a service's
`ValidationError`, keyed by argument, lands on the field it names (`add_service_errors`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from cards.models import Certificate, CertificateApplication, DocumentReason
from eligibility.counter.fields import AddressField, JapaneseDateField, PostalCodeField
from eligibility.explain import format_day
from eligibility.models import Enrolment, Household, InsuredPerson, LifeEvent
from eligibility.sumida_addresses import PREFECTURE_AND_WARD
from sumida_kokuho.mynumber import refuse_my_number

DETAIL_MAX_LENGTH = 2000  # cards.services.DETAIL_MAX_LENGTH: the form stops it first


class CounterForm(forms.Form):
    # Validation happens on the server only, with an error summary (research/ux.md §2.3).
    use_required_attribute = False


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's refusal on the form: on the field it names, else above the form.

    Dates in a message's parameters are shown the way the pages show dates (和暦 in Japanese).
    """
    by_field = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: [error]}
    for name, errors in by_field.items():
        field = name if name in form.fields else None
        for each in errors:
            form.add_error(field, _readable(each))


def refusal_text(error: ValidationError) -> str:
    """A service's refusal as one line, for a message after a button (which has no field)."""
    by_field = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: [error]}
    return " ".join(
        message for errors in by_field.values() for each in errors for message in _readable(each)
    )


def _readable(error: ValidationError) -> ValidationError:
    params = {
        key: format_day(value) if isinstance(value, date) else value
        for key, value in (error.params or {}).items()
    }
    return ValidationError(error.message, code=error.code, params=params or None)


# --- the person page's GET forms ---------------------------------------------------------------


class AsOfForm(CounterForm):
    as_of = JapaneseDateField(
        label=_("Show the person as of"),
        noun=_("the date to show"),
        required=False,
        help_text=_("Any past or future day. For example 2026-11-26, R8.11.26 or 令和8年11月26日."),
    )


class HouseholdAsOfForm(AsOfForm):
    as_of = JapaneseDateField(
        label=_("Show the household as of"),
        noun=_("the date to show"),
        required=False,
        help_text=_("Any past or future day. For example 2026-11-26, R8.11.26 or 令和8年11月26日."),
    )


class WhatIfForm(CounterForm):
    """ "What if this event were recorded?" (eligibility.services.what_if). Nothing is saved."""

    kind = forms.ChoiceField(
        label=_("Event"),
        choices=[("", _("Choose an event")), *LifeEvent.Kind.choices],
        error_messages={"required": _("Choose the event to try.")},
    )
    on = JapaneseDateField(
        label=_("Date of the event"),
        noun=_("the date of the event"),
        help_text=_("It counts only if it is on or before the date shown. For example R8.11.20."),
    )


# --- life events of one person -----------------------------------------------------------------


class EnrolForm(CounterForm):
    enrolled_on = JapaneseDateField(
        label=_("First covered day"),
        noun=_("the first covered day"),
        help_text=_(
            "資格取得日: the day the person left their job's insurance, moved in or was born. "
            "For example 2025-03-01, R7.3.1 or 令和7年3月1日."
        ),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason")), *Enrolment.Reason.choices],
        error_messages={"required": _("Choose the reason for the enrolment.")},
    )


class WithdrawForm(CounterForm):
    withdrawn_on = JapaneseDateField(
        label=_("First day without coverage"),
        noun=_("the first day without coverage"),
        help_text=_(
            "資格喪失日: for a move out, the day after the move; for a new job's insurance, the "
            "day it starts. For example 2025-03-01, R7.3.1 or 令和7年3月1日."
        ),
    )
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", _("Choose a reason")), *Enrolment.WithdrawalReason.choices],
        error_messages={"required": _("Choose the reason for the withdrawal.")},
    )


class EventDateForm(CounterForm):
    """Paper card lost, My Number card lost, registration cancelled: the day it happened."""

    occurred_on = JapaneseDateField(label=_("Date"), noun=_("the date"))


class MynaReissuedForm(CounterForm):
    occurred_on = JapaneseDateField(
        label=_("Date the new card was received"), noun=_("the date the new card was received")
    )
    e_cert_valid_until = JapaneseDateField(
        label=_("Electronic certificate valid until (optional)"),
        noun=_("the electronic certificate's last valid day"),
        required=False,
        help_text=_(
            "The last valid day of the new card's electronic certificate, if the resident knows "
            "it (usually the 5th birthday after issue)."
        ),
    )


# --- household changes -------------------------------------------------------------------------


class AddressChangeForm(CounterForm):
    occurred_on = JapaneseDateField(label=_("Date of the move"), noun=_("the date of the move"))
    postal_code = PostalCodeField(label=_("New postal code"), help_text=_("For example 130-0001."))
    address = AddressField(
        label=_("New address"),
        initial=PREFECTURE_AND_WARD,
        help_text=_("As on the residence record, for example 東京都墨田区吾妻橋一丁目23番20号."),
    )


class HouseholderChangeForm(CounterForm):
    new_householder = forms.ModelChoiceField(
        label=_("New householder"),
        queryset=InsuredPerson.objects.none(),
        empty_label=_("Choose a member"),
        error_messages={
            "required": _("Choose the new householder."),
            "invalid_choice": _("Choose the new householder from the members listed."),
        },
    )
    occurred_on = JapaneseDateField(label=_("Date of the change"), noun=_("the date of the change"))

    def __init__(self, *args: Any, household: Household, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["new_householder"]
        field.queryset = household_members(household).exclude(pk=household.householder_id)
        field.label_from_instance = _member_label


def household_members(household: Household) -> QuerySet[InsuredPerson]:
    return InsuredPerson.objects.filter(household=household).order_by("branch")


def _member_label(person: InsuredPerson) -> str:
    return f"{person.full_name}（{person.branch}）"


# --- documents ---------------------------------------------------------------------------------


class IssueForm(CounterForm):
    """The "issue" buttons. Without a reason: what is due (or `other`); with one: a reissue."""

    reason = forms.ChoiceField(
        label=_("Reason"),
        required=False,
        choices=[("", _("What is due now")), *DocumentReason.choices],
    )


class VoidForm(CounterForm):
    reason = forms.ChoiceField(
        label=_("Why is the certificate void?"),
        # Renewal and reissue void the old certificate by themselves when the new one is issued.
        choices=[
            ("", _("Choose a reason")),
            *(
                (value, label)
                for value, label in Certificate.VoidReason.choices
                if value not in (Certificate.VoidReason.RENEWED, Certificate.VoidReason.REISSUED)
            ),
        ],
        error_messages={"required": _("Choose why the certificate is void.")},
    )
    on = JapaneseDateField(
        label=_("Void from"),
        noun=_("the first day it is void"),
        required=False,
        help_text=_("Leave empty for today. For example 2026-11-26 or R8.11.26."),
    )


# --- applications ------------------------------------------------------------------------------


class ApplicationForm(CounterForm):
    """A resident applies for a 資格確認書 at the counter (channel: counter)."""

    reason = forms.ChoiceField(
        label=_("Why does the resident need a certificate?"),
        choices=[("", _("Choose a reason")), *CertificateApplication.Reason.choices],
        error_messages={"required": _("Choose why the resident applies.")},
    )
    detail = forms.CharField(
        label=_("Details (optional; required for other)"),
        required=False,
        max_length=DETAIL_MAX_LENGTH,
        validators=[refuse_my_number],  # free text must not carry a My Number
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RejectForm(CounterForm):
    reason = forms.CharField(
        label=_("Reason for the rejection"),
        help_text=_("The resident reads this. Say why, and what they can do instead."),
        max_length=DETAIL_MAX_LENGTH,
        validators=[refuse_my_number],  # free text must not carry a My Number
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Give the reason for the rejection.")},
    )


class QueueFilterForm(CounterForm):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*CertificateApplication.Status.choices, ("all", _("all"))],
    )

    def status_or_default(self) -> str:
        if self.is_valid() and self.cleaned_data["status"]:
            return str(self.cleaned_data["status"])
        return CertificateApplication.Status.SUBMITTED
