"""Back-office pages for households and insured persons (every view and write is audited).

The person page gathers everything about one person, so the inlines for cards, certificates and
notices are defined here; `cards.admin` and `notices.admin` reuse the search mixin below.
Foreign keys to people use raw-id widgets rather than autocomplete: the raw-id popup is the
audited changelist, while the autocomplete endpoint would list names without a trail.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cards.models import Certificate, MyNumberCard, PaperCard
from eligibility.models import (
    BurdenDetermination,
    Enrolment,
    Household,
    IncomeRecord,
    InsuredPerson,
    LifeEvent,
    PremiumArrears,
)
from notices.models import Notice
from sumida_kokuho.audit import AuditedAdminMixin, RefuseMyNumberFieldsMixin
from sumida_kokuho.templatetags.insured import masked

# 記号-番号 or 記号-番号-枝番, after NFKC (so full-width digits and hyphens work too).
_INSURED_NUMBER = re.compile(r"(?P<symbol>\d+)-(?P<number>\d+)(?:-(?P<branch>\d{2}))?")
_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(ord("ぁ"), ord("ゖ") + 1)}

PERSON_NAME_FIELDS = ("family_name", "given_name", "family_name_kana", "given_name_kana")


def person_search_fields(path: str) -> tuple[str, ...]:
    """Name, reading and 記号・番号 search fields of the person at `path` ("person__" etc.)."""
    return (
        *(f"{path}{name}" for name in PERSON_NAME_FIELDS),
        f"{path}household__symbol",
        f"{path}household__number",
    )


class InsuredNumberSearchMixin:
    """Admin search that also understands "記号-番号(-枝番)" and readings typed in hiragana
    or half-width katakana. `household_path` leads from the model to its household."""

    household_path: str = "household__"
    branch_path: str | None = None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        results, may_have_duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        normalised = unicodedata.normalize("NFKC", search_term).strip()
        katakana = normalised.translate(_HIRAGANA_TO_KATAKANA)
        if katakana != search_term:
            more, duplicates = super().get_search_results(  # type: ignore[misc]
                request, queryset, katakana
            )
            results, may_have_duplicates = results | more, may_have_duplicates or duplicates
        match = _INSURED_NUMBER.fullmatch(normalised)
        if match:
            number = Q(
                **{
                    f"{self.household_path}symbol": match["symbol"],
                    f"{self.household_path}number": match["number"],
                }
            )
            if match["branch"] and self.branch_path:
                number &= Q(**{self.branch_path: match["branch"]})
            results = results | queryset.filter(number)
        return results, may_have_duplicates


class StampUserOnAddMixin:
    """Fills `stamp_field` (issued_by, recorded_by) with the acting user on new rows."""

    stamp_field: str = ""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and self.stamp_field:
            setattr(obj, self.stamp_field, request.user)
        super().save_model(request, obj, form, change)  # type: ignore[misc]


# --- inlines -------------------------------------------------------------------------------------


class InsuredPersonInline(RefuseMyNumberFieldsMixin, admin.TabularInline):
    model = InsuredPerson
    fields = (
        "branch",
        "family_name",
        "given_name",
        "family_name_kana",
        "given_name_kana",
        "birth_date",
        "sex",
        "relation",
        "needs_support",
    )
    extra = 0
    show_change_link = True


class BurdenDeterminationInline(RefuseMyNumberFieldsMixin, admin.TabularInline):
    model = BurdenDetermination
    fields = ("effective_from", "category", "base_income_application", "rule_ids", "decided_at")
    extra = 0


class PremiumArrearsInline(RefuseMyNumberFieldsMixin, admin.TabularInline):
    model = PremiumArrears
    fields = ("since", "settled_on")
    extra = 0


class EnrolmentInline(RefuseMyNumberFieldsMixin, admin.TabularInline):
    model = Enrolment
    fields = ("enrolled_on", "reason", "withdrawn_on", "withdrawal_reason")
    extra = 0


class LifeEventInline(RefuseMyNumberFieldsMixin, admin.TabularInline):
    model = LifeEvent
    fields = ("occurred_on", "kind", "details", "recorded_by", "recorded_at")
    readonly_fields = ("recorded_by", "recorded_at")
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[LifeEvent]:
        return super().get_queryset(request).select_related("recorded_by")


class MyNumberCardInline(RefuseMyNumberFieldsMixin, admin.StackedInline):
    model = MyNumberCard
    fields = ("card_status", "status_changed_on", "registered_on", "e_cert_valid_until")
    extra = 0
    max_num = 1


class PaperCardInline(RefuseMyNumberFieldsMixin, admin.TabularInline):
    model = PaperCard
    fields = ("issued_on", "valid_until", "invalidated_on", "invalidated_reason")
    extra = 0


class CertificateInline(RefuseMyNumberFieldsMixin, admin.TabularInline):
    model = Certificate
    fields = (
        "number",
        "issued_on",
        "valid_until",
        "voided_on",
        "void_reason",
        "reason",
        "burden_ratio",
        "special_medical_expenses",
        "issued_by",
    )
    readonly_fields = ("issued_by",)
    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Certificate]:
        return super().get_queryset(request).select_related("issued_by")


class NoticeInline(RefuseMyNumberFieldsMixin, admin.TabularInline):
    model = Notice
    fields = ("issued_on", "reason", "burden_ratio", "issued_by")
    readonly_fields = ("issued_by",)
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Notice]:
        return super().get_queryset(request).select_related("issued_by")


# Inline rows created on the person page get the acting user in these fields.
_INLINE_STAMPS = {LifeEvent: "recorded_by", Certificate: "issued_by", Notice: "issued_by"}


# --- model admins --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Labelled:
    """An object as the changelist's row checkbox names it: its key and a label."""

    pk: Any
    label: str

    def __str__(self) -> str:
        return self.label


@admin.register(Household)
class HouseholdAdmin(AuditedAdminMixin, InsuredNumberSearchMixin, admin.ModelAdmin):
    household_path = ""
    list_display = ("insured_number", "householder", "postal_code", "address", "member_count")
    list_select_related = ("householder",)
    search_fields = (
        "symbol",
        "number",
        "postal_code",
        "address",
        *(f"members__{name}" for name in PERSON_NAME_FIELDS),
    )
    raw_id_fields = ("householder",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (InsuredPersonInline, BurdenDeterminationInline, PremiumArrearsInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Household]:
        return super().get_queryset(request).annotate(member_count=Count("members"))

    def action_checkbox(self, obj: Household) -> str:
        # The row's checkbox is labelled with str(household), the whole insured number.
        return super().action_checkbox(_Labelled(obj.pk, masked(obj.insured_number)))  # type: ignore[arg-type]

    @admin.display(description=_("insured number"), ordering="symbol")
    def insured_number(self, household: Household) -> str:
        return masked(household.insured_number)  # whole on the change page only

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, household: Household) -> int:
        return household.member_count  # type: ignore[attr-defined]


@admin.register(InsuredPerson)
class InsuredPersonAdmin(AuditedAdminMixin, InsuredNumberSearchMixin, admin.ModelAdmin):
    branch_path = "branch"
    list_display = (
        "full_name",
        "full_name_kana",
        "insured_number",
        "birth_date",
        "sex",
        "relation",
        "needs_support",
        "myna_card_status",
    )
    list_filter = ("sex", "relation", "needs_support", "myna_card__card_status")
    list_select_related = ("household", "myna_card")
    search_fields = person_search_fields("")
    raw_id_fields = ("household",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (
        EnrolmentInline,
        LifeEventInline,
        MyNumberCardInline,
        PaperCardInline,
        CertificateInline,
        NoticeInline,
    )

    @admin.display(description=_("name"), ordering="family_name_kana")
    def full_name(self, person: InsuredPerson) -> str:
        return person.full_name

    @admin.display(description=_("reading"), ordering="family_name_kana")
    def full_name_kana(self, person: InsuredPerson) -> str:
        return person.full_name_kana

    @admin.display(description=_("insured number"), ordering="household__symbol")
    def insured_number(self, person: InsuredPerson) -> str:
        return masked(person.insured_number)  # whole on the change page only

    @admin.display(description=_("My Number card"))
    def myna_card_status(self, person: InsuredPerson) -> str:
        card = getattr(person, "myna_card", None)  # selected with the row; None when absent
        return card.get_card_status_display() if card is not None else "—"

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        stamp = _INLINE_STAMPS.get(formset.model)
        if stamp:
            for inline_form in formset.forms:
                if inline_form.instance.pk is None:
                    setattr(inline_form.instance, stamp, request.user)
        super().save_formset(request, form, formset, change)


@admin.register(Enrolment)
class EnrolmentAdmin(AuditedAdminMixin, InsuredNumberSearchMixin, admin.ModelAdmin):
    household_path = "person__household__"
    list_display = ("person", "enrolled_on", "reason", "withdrawn_on", "withdrawal_reason")
    list_filter = ("reason", "withdrawal_reason")
    list_select_related = ("person",)
    search_fields = person_search_fields("person__")
    date_hierarchy = "enrolled_on"
    raw_id_fields = ("person",)


@admin.register(LifeEvent)
class LifeEventAdmin(
    AuditedAdminMixin, StampUserOnAddMixin, InsuredNumberSearchMixin, admin.ModelAdmin
):
    household_path = "person__household__"
    stamp_field = "recorded_by"
    list_display = ("person", "kind", "occurred_on", "recorded_by", "recorded_at")
    list_filter = ("kind",)
    list_select_related = ("person", "recorded_by")
    search_fields = person_search_fields("person__")
    date_hierarchy = "occurred_on"
    raw_id_fields = ("person",)
    readonly_fields = ("recorded_by", "recorded_at")


@admin.register(IncomeRecord)
class IncomeRecordAdmin(AuditedAdminMixin, InsuredNumberSearchMixin, admin.ModelAdmin):
    household_path = "person__household__"
    list_display = ("person", "fiscal_year", "taxable_income", "old_proviso_income", "income")
    list_filter = ("fiscal_year",)
    list_select_related = ("person",)
    search_fields = person_search_fields("person__")
    raw_id_fields = ("person",)


class MaskedHouseholdColumn:
    """A list column naming the household by its masked insured number (README "Personal
    data": lists mask it; the household's own change page shows it whole)."""

    @admin.display(description=_("household"), ordering="household__symbol")
    def masked_household(self, row: Any) -> str:
        return masked(row.household.insured_number)


@admin.register(BurdenDetermination)
class BurdenDeterminationAdmin(
    MaskedHouseholdColumn, AuditedAdminMixin, InsuredNumberSearchMixin, admin.ModelAdmin
):
    list_display = (
        "masked_household",
        "effective_from",
        "category",
        "base_income_application",
        "decided_at",
    )
    list_filter = ("category", "base_income_application")
    list_select_related = ("household",)
    search_fields = ("household__symbol", "household__number")
    date_hierarchy = "effective_from"
    raw_id_fields = ("household",)


@admin.register(PremiumArrears)
class PremiumArrearsAdmin(
    MaskedHouseholdColumn, AuditedAdminMixin, InsuredNumberSearchMixin, admin.ModelAdmin
):
    list_display = ("masked_household", "since", "settled_on")
    list_filter = (("settled_on", admin.EmptyFieldListFilter),)
    list_select_related = ("household",)
    search_fields = ("household__symbol", "household__number")
    date_hierarchy = "since"
    raw_id_fields = ("household",)
