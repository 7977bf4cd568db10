"""Back-office pages for the audit trail (read-only) and the API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sumida_kokuho.audit import AuditedAdminMixin
from sumida_kokuho.models import ActivationCode, ApiToken, AuditEvent, ResidentAccount


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by `sumida_kokuho.audit.record` and nothing else."""

    list_display = (
        "at",
        "actor",
        "action",
        "object_type",
        "object_id",
        "person_id",
        "household_id",
        "counter",
    )
    list_filter = ("action", "object_type", "counter")
    list_select_related = ("actor",)
    search_fields = ("=object_id", "person_id__exact", "household_id__exact", "actor__username")
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "prefix", "created_by", "created_at", "last_used_at", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("created_by",)
    search_fields = ("name", "prefix")

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        if obj is None:
            return ("name",)
        return ("name", "prefix", "created_by", "created_at", "last_used_at", "is_active")

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None) -> Any:
        if obj is None:
            return ()
        return ("prefix", "created_by", "created_at", "last_used_at")

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.created_by = request.user  # type: ignore[assignment]
        plain = obj.assign_new_key()
        super().save_model(request, obj, form, change)
        # The only time the plain token exists outside the caller's hands.
        messages.warning(
            request,
            _("Copy this token now; it cannot be shown again: %(token)s") % {"token": plain},
        )


@admin.register(ActivationCode)
class ActivationCodeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read-only: a code is issued by `eligibility.services.issue_activation_code`, which shows
    the plain code once; the admin could only ever show its hash, so it shows neither."""

    list_display = ("person", "created_at", "expires_at", "used_at", "created_by")
    list_filter = (("used_at", admin.EmptyFieldListFilter),)
    list_select_related = ("person", "created_by")
    raw_id_fields = ("person",)
    exclude = ("code_hash",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ResidentAccount)
class ResidentAccountAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Read-only: accounts are made by the resident's own sign-up (eligibility.portal.services);
    staff see who is linked to whom, and each view is audit-logged by the mixin."""

    list_display = ("person", "user", "linked_via", "created_at")
    list_filter = ("linked_via",)
    list_select_related = ("person", "user")
    raw_id_fields = ("person", "user")
    exclude = ("oidc_sub",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
