"""Staff roles (Django groups with model permissions) and the counters staff work at.

Three roles, each a group of the same name:
- counter: look people up, record life events, issue certificates and notices, handle applications;
- supervisor: counter, plus read the audit trail and void certificates;
- admin: every permission of the project's apps (imports, batches, tokens…) and staff accounts.

Reading the audit trail is the default `sumida_kokuho.view_auditevent` permission: a custom one
would need a migration in sumida_kokuho, and the default one already means exactly that (the
trail cannot be changed through the application). `sync_roles()` runs after every `migrate`
(post_migrate, connected in `SumidaKokuhoConfig.ready`) and from `manage.py setup_roles`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class Role(enum.StrEnum):
    COUNTER = "counter"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


# The permission a view checks to show the audit trail (supervisor and admin have it).
BROWSE_AUDIT = "sumida_kokuho.view_auditevent"

_COUNTER = (
    "eligibility.view_household",
    "eligibility.view_insuredperson",
    "eligibility.view_enrolment",
    "eligibility.view_lifeevent",
    "eligibility.add_lifeevent",
    "eligibility.view_incomerecord",
    "eligibility.view_burdendetermination",
    "eligibility.view_premiumarrears",
    "cards.view_mynumbercard",
    "cards.view_papercard",
    "cards.view_certificate",
    "cards.add_certificate",
    "cards.view_certificateapplication",
    "cards.add_certificateapplication",
    "cards.change_certificateapplication",
    "notices.view_notice",
    "notices.add_notice",
    # Residents without a My Number card sign up with a code the clerk prints on demand.
    "sumida_kokuho.add_activationcode",
)
_SUPERVISOR = (
    *_COUNTER,
    BROWSE_AUDIT,
    "cards.change_certificate",  # voiding a certificate is a change of it
)
# The admin role holds every permission of these apps, including ones added later (imports,
# batches), plus the staff accounts and their second-factor devices.
ADMIN_APPS = ("eligibility", "cards", "notices", "sumida_kokuho", "otp_totp")
_ADMIN_EXTRA = (
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.view_group",
)

ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.COUNTER: _COUNTER,
    Role.SUPERVISOR: _SUPERVISOR,
    Role.ADMIN: _ADMIN_EXTRA,
}

ROLE_LABELS = {
    Role.COUNTER: _("Counter clerk"),
    Role.SUPERVISOR: _("Supervisor"),
    Role.ADMIN: _("Administrator"),
}


@dataclass(frozen=True)
class Counter:
    code: str  # stored in AuditEvent.counter
    label: Any  # lazily translated


# Where a clerk works, chosen at sign-in and written on every audit event of the session. A plain
# constant: counters change with the building, not with the deployment.
COUNTERS: tuple[Counter, ...] = (
    *(
        Counter(
            f"honcho-{n}",
            format_lazy(_("City Office 2F, NHI and Pension Division, window {number}"), number=n),
        )
        for n in range(1, 7)
    ),
    Counter("back-office", _("City Office 2F, NHI and Pension Division, back office")),
)
COUNTER_CODES = frozenset(counter.code for counter in COUNTERS)


def counter_label(code: str) -> Any:
    """The label of a counter code; the code itself for one no longer listed."""
    for counter in COUNTERS:
        if counter.code == code:
            return counter.label
    return code


def _permissions(names: tuple[str, ...], using: str) -> tuple[list[Permission], list[str]]:
    wanted = {tuple(name.split(".", 1)) for name in names}
    found = [
        permission
        for permission in Permission.objects.using(using).select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    have = {(p.content_type.app_label, p.codename) for p in found}
    missing = sorted(f"{app}.{codename}" for app, codename in wanted - have)
    return found, missing


def sync_roles(using: str = "default") -> dict[Role, list[str]]:
    """Create the role groups and set their permissions exactly; returns missing permissions.

    A permission of a model that does not exist (yet) is skipped, not an error: roles can be
    synced while parts of the system are still being added.
    """
    missing: dict[Role, list[str]] = {}
    with transaction.atomic(using=using):
        for role, names in ROLE_PERMISSIONS.items():
            permissions, missing[role] = _permissions(names, using)
            if role is Role.ADMIN:
                permissions += Permission.objects.using(using).filter(
                    content_type__app_label__in=ADMIN_APPS
                )
            group, _created = Group.objects.using(using).get_or_create(name=role.value)
            group.permissions.set(permissions)
    return missing


def sync_roles_after_migrate(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """post_migrate receiver. It runs after each app's migrations (the auth app's receiver has
    created that app's permissions just before), so the groups end up complete after the last."""
    sync_roles(using)


def roles_of(user: Any) -> set[Role]:
    names = {group.name for group in user.groups.all()}
    return {role for role in Role if role.value in names}


def create_staff_member(
    *,
    username: str,
    role: Role,
    password: str,
    email: str = "",
    with_device: bool = True,
) -> tuple[Any, Any]:
    """A new staff account in one role; with a confirmed TOTP device unless `with_device` is
    False (then the clerk enrols one at first sign-in). Returns (user, device or None).

    Raises django.core.exceptions.ValidationError for a password the validators refuse.
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user_model = get_user_model()
    user = user_model(username=username, email=email, is_staff=True)
    validate_password(password, user)
    with transaction.atomic():
        sync_roles()
        user.set_password(password)
        user.save()
        user.groups.add(Group.objects.get(name=role.value))
        device = (
            TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
            if with_device
            else None
        )
    return user, device
