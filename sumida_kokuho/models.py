"""Cross-cutting tables: the append-only audit trail and the API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit event through the application."""


class AuditAction(models.TextChoices):
    """Common actions. `AuditEvent.action` takes any short verb; these are the shared ones."""

    VIEW = "view", _("view")
    CREATE = "create", _("create")
    CHANGE = "change", _("change")
    DELETE = "delete", _("delete")
    ASSESS = "assess", _("assess")
    ISSUE = "issue", _("issue")
    VOID = "void", _("void")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    # Bulk paths skip Model.save()/delete(), so they are closed here too.
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit events cannot be changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """Who did what to which record, when. Written only through `sumida_kokuho.audit.record`.

    Append-only for the application: rows are inserted, never updated or deleted. (The database
    role's grants are the stronger guard; this stops accidents in code.)
    """

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # PROTECT: a staff account with a trail is deactivated, never deleted.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    # Plain ids, not foreign keys: the trail must never block or follow deletes.
    person_id = models.BigIntegerField(_("person id"), null=True, blank=True, db_index=True)
    household_id = models.BigIntegerField(_("household id"), null=True, blank=True, db_index=True)
    counter = models.CharField(_("counter"), max_length=50, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit events cannot be deleted.")


def _hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the assessment API. Only the SHA-256 of the token is stored."""

    PREFIX_LENGTH = 8

    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def assign_new_key(self) -> str:
        """Give this (unsaved) token a fresh key; returns the plain key, which is not kept."""
        plain = secrets.token_urlsafe(32)
        self.key_hash = _hash_token(plain)
        self.prefix = plain[: self.PREFIX_LENGTH]
        return plain

    @classmethod
    def create_token(cls, name: str, by: Any) -> tuple[ApiToken, str]:
        """Create a token; the plain key is returned this once and never stored."""
        token = cls(name=name, created_by=by)
        plain = token.assign_new_key()
        token.save()
        return token, plain

    @classmethod
    def authenticate(cls, plain: str) -> ApiToken | None:
        """The active token whose hash matches `plain`, or None; stamps `last_used_at`."""
        if not plain:
            return None
        digest = _hash_token(plain)
        token = cls.objects.filter(key_hash=digest, is_active=True).first()
        if token is None or not hmac.compare_digest(token.key_hash, digest):
            return None
        token.last_used_at = timezone.now()
        cls.objects.filter(pk=token.pk).update(last_used_at=token.last_used_at)
        return token


# How long a printed activation code can be used. A constant rather than a setting: the letter
# says "valid for 30 days", so the number belongs with the code, not with the deployment.
ACTIVATION_CODE_LIFETIME = timedelta(days=30)


def activation_code_expiry() -> datetime:
    return timezone.now() + ACTIVATION_CODE_LIFETIME


class ActivationCode(models.Model):
    """A one-time code printed for a resident, used once to create a portal account.

    Only the SHA-256 of the code is stored; the plain code exists on the printed letter only.
    Written through `eligibility.services.issue_activation_code` and `redeem_activation_code`.
    """

    # String reference: this cross-cutting app must import without eligibility loaded.
    person = models.ForeignKey(
        "eligibility.InsuredPerson",
        verbose_name=_("insured person"),
        on_delete=models.CASCADE,
        related_name="activation_codes",
    )
    code_hash = models.CharField(_("code hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), default=activation_code_expiry)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("activation code")
        verbose_name_plural = _("activation codes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        # Never the code (it is not stored) and not the hash either: both would only invite copying.
        return f"{self.created_at:%Y-%m-%d %H:%M} → {self.expires_at:%Y-%m-%d}"

    def is_usable(self, at: datetime) -> bool:
        return self.used_at is None and at < self.expires_at


class ResidentAccount(models.Model):
    """A resident's portal sign-in, tied to the insured person it was proven to belong to.

    Created only by `eligibility.portal.services`: through the デジタル認証アプリ (`oidc_sub`, the
    provider's pairwise subject, is then the account key) or through an activation letter
    (e-mail and password). Which records the resident may see follows from `person`.
    """

    class LinkedVia(models.TextChoices):
        OIDC = "oidc", _("Digital authentication app")
        ACTIVATION = "activation", _("activation letter")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="resident_account",
    )
    # PROTECT: an account is evidence of who saw the person's records; it is closed, not erased.
    person = models.ForeignKey(
        "eligibility.InsuredPerson",
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="resident_accounts",
    )
    oidc_sub = models.CharField(
        _("OpenID subject"), max_length=255, unique=True, null=True, blank=True
    )
    linked_via = models.CharField(_("linked via"), max_length=10, choices=LinkedVia.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("resident account")
        verbose_name_plural = _("resident accounts")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_linked_via_display()} {self.created_at:%Y-%m-%d}"
