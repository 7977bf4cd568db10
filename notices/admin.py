"""Back-office page for 資格情報のお知らせ (audited). Its inline on the person page lives in
`eligibility.admin`."""

from __future__ import annotations

from django.contrib import admin

from cards.admin import PersonRowAdmin
from eligibility.admin import StampUserOnAddMixin
from notices.models import Notice


@admin.register(Notice)
class NoticeAdmin(StampUserOnAddMixin, PersonRowAdmin):
    stamp_field = "issued_by"
    list_display = ("person", "issued_on", "reason", "burden_ratio", "issued_by")
    list_filter = ("reason",)
    list_select_related = ("person", "issued_by")
    date_hierarchy = "issued_on"
    readonly_fields = ("issued_by", "created_at")
