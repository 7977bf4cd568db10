"""Back-office page for 資格情報のお知らせ (audited). Its inline on the person page lives in
`eligibility.admin`."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cards.admin import PersonRowAdmin
from eligibility.admin import StampUserOnAddMixin
from notices.models import ImportRun, Notice
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


# Issuance runs (notices/batch) have no admin pages yet: /batch/ is their page (progress, approve,
# execute, retry, hand over). Registering them here needs tests/test_admin.py to list them, with a
# row for each change page; left for when that shared test is next edited.
