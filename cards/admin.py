"""Back-office pages for My Number card status, paper cards and 資格確認書 (audited).

Their inlines on the person page live in `eligibility.admin`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cards.models import (
    Certificate,
    CertificateApplication,
    DocumentCounter,
    MyNumberCard,
    PaperCard,
)
from eligibility.admin import InsuredNumberSearchMixin, StampUserOnAddMixin, person_search_fields
from sumida_kokuho.audit import AuditedAdminMixin


class PersonRowAdmin(AuditedAdminMixin, InsuredNumberSearchMixin, admin.ModelAdmin):
    """Shared settings for rows that belong to one insured person."""

    household_path = "person__household__"
    search_fields = person_search_fields("person__")
    list_select_related = ("person",)
    raw_id_fields = ("person",)


@admin.register(MyNumberCard)
class MyNumberCardAdmin(PersonRowAdmin):
    list_display = (
        "person",
        "card_status",
        "registered_on",
        "e_cert_valid_until",
        "status_changed_on",
    )
    list_filter = ("card_status", ("registered_on", admin.EmptyFieldListFilter))
    readonly_fields = ("created_at", "updated_at")


@admin.register(PaperCard)
class PaperCardAdmin(PersonRowAdmin):
    list_display = ("person", "issued_on", "valid_until", "invalidated_on", "invalidated_reason")
    list_filter = ("invalidated_reason",)
    date_hierarchy = "issued_on"


@admin.register(Certificate)
class CertificateAdmin(StampUserOnAddMixin, PersonRowAdmin):
    stamp_field = "issued_by"
    list_display = (
        "number",
        "person",
        "issued_on",
        "valid_until",
        "voided_on",
        "reason",
        "burden_ratio",
        "special_medical_expenses",
    )
    list_filter = (
        "reason",
        "void_reason",
        "special_medical_expenses",
        ("voided_on", admin.EmptyFieldListFilter),
    )
    search_fields = ("number", *person_search_fields("person__"))
    date_hierarchy = "issued_on"
    readonly_fields = ("issued_by", "created_at")


class ReadOnlyAdminMixin:
    """Rows written only by the services (`cards.services`): the admin shows them, audited,
    but adds and changes nothing, so every decision keeps its certificate and its trail."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CertificateApplication)
class CertificateApplicationAdmin(ReadOnlyAdminMixin, PersonRowAdmin):
    list_display = (
        "person",
        "reason",
        "channel",
        "status",
        "submitted_at",
        "decided_at",
        "certificate",
    )
    list_filter = ("status", "reason", "channel")
    list_select_related = ("person", "certificate")
    raw_id_fields = ("person", "certificate")
    date_hierarchy = "submitted_at"


@admin.register(DocumentCounter)
class DocumentCounterAdmin(ReadOnlyAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("kind", "fiscal_year", "last_value")
    list_filter = ("kind",)
