"""Writing the audit trail: `record()` for services and views, `AuditedAdminMixin` for the admin.

Staff access to personal records is logged (DESIGN.md non-negotiables): who looked at or changed
which person or household, when, and at which counter. Values are not copied into the trail, only
field names and ids: the trail must not become a second copy of the personal data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from statistics import median
from typing import Any

from django import forms
from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import ExtractHour, ExtractWeekDay
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from sumida_kokuho.models import AuditAction, AuditEvent
from sumida_kokuho.mynumber import redact_my_numbers, refuse_my_number

# A 12-digit run may be a My Number typed into a search box; it must not reach the trail.
_MY_NUMBER_LIKE = re.compile(r"\d{12}")


def _redact(text: str) -> str:
    return _MY_NUMBER_LIKE.sub("[redacted]", text)


# Checksums (hex digits) identify files in the trail; a run of 12 decimal digits in one is chance.
_DIGEST_KEYS = frozenset({"sha256", "checksum"})


def _without_my_numbers(value: Any) -> Any:
    """The detail with every My Number in its text replaced (the trail holds none, ever)."""
    if isinstance(value, str):
        return redact_my_numbers(value)
    if isinstance(value, dict):
        return {
            key: item if key in _DIGEST_KEYS else _without_my_numbers(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_without_my_numbers(item) for item in value]
    return value


def _actor_or_none(actor: Any) -> Any:
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    person: models.Model | None = None,
    household: models.Model | None = None,
    counter: str = "",
    detail: dict[str, Any] | None = None,
    object_type: str = "",
) -> AuditEvent:
    """Append one audit event.

    `obj` names the record acted on; when it is (or belongs to) an insured person or a household,
    `person_id` and `household_id` are filled in so the trail can be filtered by them. Pass
    `object_type` (an "app.model" label) for events about a kind of record rather than one row,
    such as a list view. An anonymous actor is stored as no actor.
    """
    # Imported here: the cross-cutting app must not need eligibility loaded to be imported.
    from eligibility.models import Household, InsuredPerson

    if person is None and isinstance(obj, InsuredPerson):
        person = obj
    elif person is None and getattr(obj, "person_id", None) is not None:
        person = obj.person  # type: ignore[union-attr]
    if household is None and isinstance(obj, Household):
        household = obj
    household_id = household.pk if household is not None else None
    if household_id is None and person is not None:
        household_id = person.household_id  # type: ignore[attr-defined]
    if household_id is None and obj is not None:
        household_id = getattr(obj, "household_id", None)

    return AuditEvent.objects.create(
        actor=_actor_or_none(actor),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        person_id=person.pk if person is not None else None,
        household_id=household_id,
        counter=counter,
        detail=_without_my_numbers(detail or {}),
    )


def _refuse_my_number_anywhere(value: object) -> None:
    """refuse_my_number for text, and for the text of a JSON value (a life event's details)."""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    refuse_my_number(value)


class RefuseMyNumberFieldsMixin:
    """Every text field of an admin form (inline forms included, JSON too) refuses a My Number,
    as the counter's and the portal's free-text fields do (README "Personal data")."""

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if isinstance(field, forms.CharField) and not getattr(field, "_refuses_my_number", False):
            field.validators.append(_refuse_my_number_anywhere)
            field._refuses_my_number = True  # type: ignore[attr-defined]
        return field


class AuditedAdminMixin(RefuseMyNumberFieldsMixin):
    """Logs every change page and changelist shown, and every save and delete, as AuditEvents.

    Put it before `admin.ModelAdmin` in the bases. Inline rows saved with the parent are logged
    one event per row. The admin wraps saves in a transaction, so a failed save logs nothing.
    """

    def _label(self) -> str:
        return self.model._meta.label_lower  # type: ignore[attr-defined]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        if isinstance(response, TemplateResponse) and "cl" in (response.context_data or {}):
            changelist = response.context_data["cl"]  # type: ignore[index]
            # The page's rows are evaluated here once and reused by the template.
            shown = [str(row.pk) for row in changelist.result_list]
            record(
                actor=request.user,
                action=AuditAction.VIEW,
                object_type=self._label(),
                detail={"list": True, "query": _redact(request.GET.urlencode()), "ids": shown},
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, extra_context
        )
        # Logged when the page showed the record (a GET, or a POST that failed validation).
        original = (
            response.context_data.get("original")
            if isinstance(response, TemplateResponse) and response.context_data
            else None
        )
        if original is not None:
            record(actor=request.user, action=AuditAction.VIEW, obj=original)
        return response

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        record(
            actor=request.user,
            action=AuditAction.CHANGE if change else AuditAction.CREATE,
            obj=obj,
            detail={"fields": list(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # Logged before the row goes, while its person and household can still be read.
        record(actor=request.user, action=AuditAction.DELETE, obj=obj)
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            record(actor=request.user, action=AuditAction.DELETE, obj=obj)
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Deleted inline rows are logged before they go, as in delete_model.
        for obj in _deleted_forms_objects(formset):
            record(actor=request.user, action=AuditAction.DELETE, obj=obj)
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for obj in formset.new_objects:
            record(actor=request.user, action=AuditAction.CREATE, obj=obj)
        for obj, fields in formset.changed_objects:
            record(
                actor=request.user,
                action=AuditAction.CHANGE,
                obj=obj,
                detail={"fields": list(fields)},
            )


def _deleted_forms_objects(formset: Any) -> Iterable[models.Model]:
    """Saved rows the formset is about to delete (extra forms marked for deletion have no pk)."""
    if not formset.can_delete:
        return []
    return [form.instance for form in formset.deleted_forms if form.instance.pk is not None]


# --- the monthly access review ------------------------------------------------------------------
#
# PPC's guideline asks that access records be analysed periodically. Once a month a supervisor
# reads, per staff member, how many person and household records they opened and changed, and
# looks into the ones flagged by a rule simple enough to explain to the clerk concerned:
#
# 1. volume: views (or changes) more than REVIEW_FACTOR times the median of the staff members
#    active that month, and at least REVIEW_FLOOR of them (so a quiet month flags nobody);
# 2. hours: any view of a person or household outside REVIEW_HOURS (Tokyo time), or on a
#    Saturday or Sunday, when no counter is open.

REVIEW_FACTOR = 3
REVIEW_FLOOR = 20
REVIEW_HOURS = (8, 20)  # from 08:00 to before 20:00
# Reading a record: opening it, assessing it, or taking it away as a download or a print.
READ_ACTIONS = ("view", "assess", "download", "print", "export")
# Neither reading nor changing a record; every other action on a record counts as a change.
OTHER_ACTIONS = (
    "search",
    "denied",
    "sign_in",
    "sign_out",
    "sign_in_refused",
    "enrol_second_factor",
)


@dataclass(frozen=True)
class ReviewRow:
    username: str
    name: str
    views: int
    persons_viewed: int
    changes: int
    searches: int
    off_hours_views: int
    flags: tuple[str, ...]


@dataclass(frozen=True)
class AccessReview:
    month: date  # the first day
    rows: list[ReviewRow]
    median_views: float
    median_changes: float

    @property
    def flagged(self) -> list[ReviewRow]:
        return [row for row in self.rows if row.flags]


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first instant and the next month's, in Tokyo time."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(following, time.min, tzinfo=zone),
    )


def access_review(month: date) -> AccessReview:
    """Per staff member, the month's person and household views and changes, with flags."""
    start, end = month_bounds(month)
    zone = timezone.get_current_timezone()
    events = AuditEvent.objects.filter(at__gte=start, at__lt=end, actor__is_staff=True)
    on_record = Q(person_id__isnull=False) | Q(household_id__isnull=False)
    read = Q(action__in=READ_ACTIONS) & on_record
    hour = ExtractHour("at", tzinfo=zone)
    weekday = ExtractWeekDay("at", tzinfo=zone)  # 1 = Sunday … 7 = Saturday
    counts = (
        events.annotate(hour=hour, weekday=weekday)
        .values("actor", "actor__username", "actor__first_name", "actor__last_name")
        .annotate(
            views=Count("pk", filter=read),
            persons_viewed=Count("person_id", filter=read, distinct=True),
            changes=Count("pk", filter=on_record & ~Q(action__in=(*READ_ACTIONS, *OTHER_ACTIONS))),
            searches=Count("pk", filter=Q(action="search")),
            off_hours_views=Count(
                "pk",
                filter=read
                & (
                    Q(hour__lt=REVIEW_HOURS[0])
                    | Q(hour__gte=REVIEW_HOURS[1])
                    | Q(weekday__in=(1, 7))
                ),
            ),
        )
        .order_by("actor__username")
    )
    found = list(counts)
    median_views = float(median([c["views"] for c in found])) if found else 0.0
    median_changes = float(median([c["changes"] for c in found])) if found else 0.0
    rows = []
    for c in found:
        flags = []
        if c["views"] >= REVIEW_FLOOR and c["views"] > REVIEW_FACTOR * median_views:
            flags.append("views")
        if c["changes"] >= REVIEW_FLOOR and c["changes"] > REVIEW_FACTOR * median_changes:
            flags.append("changes")
        if c["off_hours_views"]:
            flags.append("hours")
        name = f"{c['actor__last_name']} {c['actor__first_name']}".strip()
        rows.append(
            ReviewRow(
                username=c["actor__username"],
                name=name,
                views=c["views"],
                persons_viewed=c["persons_viewed"],
                changes=c["changes"],
                searches=c["searches"],
                off_hours_views=c["off_hours_views"],
                flags=tuple(flags),
            )
        )
    return AccessReview(
        month=month.replace(day=1),
        rows=rows,
        median_views=median_views,
        median_changes=median_changes,
    )
