"""Back-office page for 資格情報のお知らせ (audited). Its inline on the person page lives in
`eligibility.admin`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cards.admin import PersonRowAdmin
from eligibility.admin import InsuredNumberSearchMixin, StampUserOnAddMixin, person_search_fields
from notices.models import ImportRun, IssuanceChunk, IssuanceItem, IssuanceRun, IssuedFile, Notice
from sumida_kokuho.audit import AuditedAdminMixin


@admin.register(Notice)
class NoticeAdmin(StampUserOnAddMixin, PersonRowAdmin):
    stamp_field = "issued_by"
    list_display = ("person", "issued_on", "reason", "burden_ratio", "issued_by")
    list_filter = ("reason",)
    list_select_related = ("person", "issued_by")
    date_hierarchy = "issued_on"
    readonly_fields = ("issued_by", "created_at")


@admin.register(ImportRun)
class ImportRunAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Import runs, read-only: files are uploaded, previewed and confirmed on the data pages
    (/data/imports/), which the list links to."""

    change_list_template = "data/admin_importrun_changelist.html"
    list_display = (
        "started_at",
        "kind",
        "file_name",
        "status",
        "lines",
        "error_count",
        "by",
        "page",
    )
    list_filter = ("kind", "status")
    list_select_related = ("by",)
    date_hierarchy = "started_at"
    readonly_fields = [field.name for field in ImportRun._meta.fields]
    exclude = ("errors", "changes")

    @admin.display(description=_("Import page"))
    def page(self, run: ImportRun) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("data:import_run", args=[run.pk]), _("open")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ImportRun | None = None) -> bool:
        return False


# --- issuance runs (notices/batch, docs/adr/0012) ------------------------------------------------
# Read-only: runs are planned, approved, executed and handed over by notices.batch (the /batch/
# pages and the commands), whose database constraints and status fences an edit here would
# bypass; deleting a run would delete the record of what was issued. The list links to /batch/.


class ReadOnlyBatchAdmin(AuditedAdminMixin, admin.ModelAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(IssuanceRun)
class IssuanceRunAdmin(ReadOnlyBatchAdmin):
    list_display = (
        "period",
        "kind",
        "status",
        "assessed",
        "planned",
        "planned_by",
        "approved_by",
        "handed_over_at",
        "page",
    )
    list_filter = ("kind", "status")
    list_select_related = ("planned_by", "approved_by")
    date_hierarchy = "period"

    @admin.display(description=_("Run page"))
    def page(self, run: IssuanceRun) -> str:
        return format_html('<a href="{}">{}</a>', reverse("batch:run", args=[run.pk]), _("open"))


@admin.register(IssuanceChunk)
class IssuanceChunkAdmin(ReadOnlyBatchAdmin):
    list_display = (
        "run",
        "seq",
        "document",
        "volume",
        "status",
        "attempts",
        "worker",
        "items_count",
    )
    list_filter = ("status", "document")
    list_select_related = ("run",)


@admin.register(IssuanceItem)
class IssuanceItemAdmin(InsuredNumberSearchMixin, ReadOnlyBatchAdmin):
    household_path = "person__household__"
    search_fields = person_search_fields("person__")
    list_display = ("run", "person", "document", "reason", "trigger_on", "envelope", "status")
    list_filter = ("status", "document", "reason")
    list_select_related = ("run", "person")
    exclude = ("snapshot",)  # what is printed; the run page and the print file show it

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in self.model._meta.fields if field.name != "snapshot"]


@admin.register(IssuedFile)
class IssuedFileAdmin(ReadOnlyBatchAdmin):
    list_display = ("run", "name", "kind", "documents", "pages", "size", "sha256")
    list_filter = ("kind",)
    list_select_related = ("run",)
