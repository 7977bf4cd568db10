"""Portal forms: normalise (full width → half width) and validate; nothing else."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.models import AbstractBaseUser
from django.utils.translation import gettext_lazy as _

from cards.models import CertificateApplication
from sumida_kokuho.mynumber import refuse_my_number


def _half_width(value: str) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


class HalfWidthField(forms.CharField):
    def to_python(self, value: Any) -> str:
        return _half_width(super().to_python(value))


class DigitsField(HalfWidthField):
    def __init__(self, *, max_length: int, **kwargs: Any) -> None:
        super().__init__(max_length=max_length, **kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def validate(self, value: str) -> None:
        super().validate(value)
        if value and not value.isdigit():
            raise forms.ValidationError(_("Enter digits only."), code="digits")


class ActivationForm(forms.Form):
    """The activation letter: 記号・番号・枝番, date of birth (西暦, three boxes) and the code;
    then the e-mail address and password of the new account."""

    symbol = DigitsField(label=_("Symbol"), max_length=20)
    number = DigitsField(label=_("Number"), max_length=20)
    branch = DigitsField(label=_("Branch number"), max_length=2)
    birth_year = DigitsField(label=_("Year"), max_length=4)
    birth_month = DigitsField(label=_("Month"), max_length=2)
    birth_day = DigitsField(label=_("Day"), max_length=2)
    code = HalfWidthField(
        label=_("Activation code"),
        max_length=20,
        help_text=_("12 letters and digits, as printed on the letter, e.g. ABCD-EFGH-JKLM."),
    )
    email = forms.EmailField(label=_("E-mail address"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters; not only digits, and not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["code"].widget.attrs["autocomplete"] = "off"
        self.fields["birth_year"].widget.attrs["autocomplete"] = "bday-year"
        self.fields["birth_month"].widget.attrs["autocomplete"] = "bday-month"
        self.fields["birth_day"].widget.attrs["autocomplete"] = "bday-day"

    def clean_branch(self) -> str:
        branch: str = self.cleaned_data["branch"]
        return branch.zfill(2)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = [data.get("birth_year"), data.get("birth_month"), data.get("birth_day")]
        if all(parts):
            try:
                data["birth_date"] = date(*(int(part) for part in parts))  # type: ignore[arg-type]
            except ValueError:
                self.add_error(
                    "birth_year", _("Enter a real date of birth, in the Western calendar.")
                )
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            user_stub = _UserStub(data.get("email", ""))
            try:
                password_validation.validate_password(first, user_stub)  # type: ignore[arg-type]
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data

    @property
    def insured_number(self) -> str:
        data = self.cleaned_data
        return f"{data['symbol']}-{data['number']}-{data['branch']}"


class _UserStub:
    """Enough of a user for the similarity validator before the account exists."""

    def __init__(self, email: str) -> None:
        self.username = email
        self.email = email

    def get_username(self) -> str:
        return self.username


class ResidentSignInForm(AuthenticationForm):
    """E-mail and password; only resident accounts may use the portal's door."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail address")
        self.fields["username"].widget.attrs["autocomplete"] = "email"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"

    def clean_username(self) -> str:
        return _half_width(self.cleaned_data.get("username", "")).lower()

    def confirm_login_allowed(self, user: AbstractBaseUser) -> None:
        super().confirm_login_allowed(user)
        if not hasattr(user, "resident_account"):
            raise self.get_invalid_login_error()


class ResidentPasswordResetForm(PasswordResetForm):
    """Resets only resident accounts: staff passwords are changed at the staff desk."""

    def get_users(self, email: str) -> Any:
        return (user for user in super().get_users(email) if hasattr(user, "resident_account"))


class ApplicationForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why do you need an eligibility certificate?"),
        choices=CertificateApplication.Reason.choices,
        widget=forms.RadioSelect,
    )
    detail = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=2000,
        validators=[refuse_my_number],  # free text must not carry a My Number
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Required when the reason is “other”. At most 2,000 characters."),
    )
