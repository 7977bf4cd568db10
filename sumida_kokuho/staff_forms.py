"""Forms of the staff pages: sign-in with a second factor, enrolment, person search, audit filters.

Forms normalise (full width → half width, 和暦 → date) and validate. The sign-in form also checks
the password and the code, as Django's AuthenticationForm does: every failure gets the same
message, so the form never tells which of the three was wrong.
"""

from __future__ import annotations

import unicodedata
from typing import Any, NoReturn

from django import forms
from django.contrib.auth import authenticate, get_user_model
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from eligibility.counter.fields import JapaneseDateField
from sumida_kokuho.models import AuditAction
from sumida_kokuho.roles import COUNTERS

SIGN_IN_REFUSED = _(
    "The user name, password or code is not right. Check them and try again. "
    "(Repeated failures make you wait before the next try.)"
)


class StaffForm(forms.Form):
    # Validation happens on the server only, with an error summary (research/ux.md).
    use_required_attribute = False


def normalise_code(value: str) -> str:
    """ "１２３ ４５６" → "123456"."""
    return "".join(unicodedata.normalize("NFKC", value).split())


class CodeField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> str:
        return normalise_code(super().to_python(value))

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and not (value.isascii() and value.isdigit() and len(value) == 6):
            raise ValidationError(
                _("Enter the 6-digit code shown in your authenticator app."), code="format"
            )


def counter_choices() -> list[tuple[str, Any]]:
    return [("", _("Choose your counter")), *((c.code, c.label) for c in COUNTERS)]


class StaffSignInForm(StaffForm):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
        error_messages={"required": _("Enter your user name.")},
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": _("Enter your password.")},
    )
    code = CodeField(
        label=_("6-digit code"),
        required=False,
        help_text=_(
            "From the authenticator app on your phone. At your first sign-in leave it empty: "
            "you will set the app up next."
        ),
    )
    counter = forms.ChoiceField(
        label=_("Counter you work at today"),
        choices=counter_choices,
        error_messages={"required": _("Choose the counter you work at.")},
    )

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: Any = None
        self.device: TOTPDevice | None = None  # None after a successful clean: enrol first
        self.refusal: str = ""  # why sign-in was refused, for the audit trail
        self.refused_user: Any = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        username, password = cleaned.get("username"), cleaned.get("password")
        if not username or not password:
            return cleaned
        user = authenticate(self.request, username=username, password=password)
        if user is None:
            self._refuse("password", _user_named(username))
        if not user.is_staff:
            self._refuse("not_staff", user)
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True))
        code = cleaned.get("code", "")
        if devices and not code:
            self._refuse("code_missing", user)
        if devices:
            self.device = _device_accepting(user, devices, code)
            if self.device is None:
                self._refuse("code", user)
        self.user = user
        return cleaned

    def _refuse(self, reason: str, user: Any) -> NoReturn:
        self.refusal, self.refused_user = reason, user
        raise ValidationError(SIGN_IN_REFUSED, code="invalid_login")


def _user_named(username: str) -> Any:
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).first()


def _device_accepting(user: Any, devices: list[TOTPDevice], code: str) -> TOTPDevice | None:
    # verify_token locks the device row, throttles after failures and refuses a code used before.
    for device in devices:
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


class EnrolmentForm(StaffForm):
    code = CodeField(
        label=_("6-digit code"),
        help_text=_("The code the app shows now, to confirm it is set up."),
        error_messages={"required": _("Enter the 6-digit code shown in your authenticator app.")},
    )


class PersonSearchForm(StaffForm):
    q = forms.CharField(
        label=_("Search for an insured person"),
        max_length=100,
        help_text=_(
            "Insured number (13-100001-01), name in kanji or kana, date of birth "
            "(1956-04-01, S31.4.1, 昭和31年4月1日), or a name and a date of birth."
        ),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        error_messages={"required": _("Enter a number, a name or a date of birth.")},
    )


KNOWN_ACTIONS = (
    *AuditAction.values,
    "search",
    "export",
    "denied",
    "sign_in",
    "sign_in_refused",
    "sign_out",
    "enrol_second_factor",
)


# Numbers as text boxes with a numeric keyboard, not type=number (research/ux.md).
NUMERIC_TEXT = forms.TextInput(attrs={"inputmode": "numeric"})
DATE_HINT = _("For example 2025-09-30, R7.9.30 or 令和7年9月30日.")


class AuditFilterForm(StaffForm):
    """Filters of the audit trail page (a GET form: every field is optional)."""

    actor = forms.ModelChoiceField(
        label=_("Clerk"),
        required=False,
        queryset=get_user_model()._default_manager.filter(is_staff=True).order_by("username"),
        to_field_name="username",
        empty_label=_("Any clerk"),
    )
    person = forms.IntegerField(
        label=_("Person id"), required=False, min_value=1, widget=NUMERIC_TEXT
    )
    household = forms.IntegerField(
        label=_("Household id"), required=False, min_value=1, widget=NUMERIC_TEXT
    )
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    counter = forms.ChoiceField(
        label=_("Counter"),
        required=False,
        choices=lambda: [("", _("Any counter")), *((c.code, c.label) for c in COUNTERS)],
    )
    date_from = JapaneseDateField(
        label=_("From (date)"), noun=_("the start date"), required=False, help_text=DATE_HINT
    )
    date_to = JapaneseDateField(
        label=_("To (date, included)"), noun=_("the end date"), required=False, help_text=DATE_HINT
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return cleaned
