"""Writing the audit trail: `record()` for services and views, `AuditedAdminMixin` for the admin.

Staff access to personal records is logged (DESIGN.md non-negotiables): who looked at or changed
which person or household, when, and at which counter. Values are not copied into the trail, only
field names and ids: the trail must not become a second copy of the personal data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from sumida_kokuho.models import AuditAction, AuditEvent

# A 12-digit run may be a My Number typed into a search box; it must not reach the trail.
_MY_NUMBER_LIKE = re.compile(r"\d{12}")


def _redact(text: str) -> str:
    return _MY_NUMBER_LIKE.sub("[redacted]", text)


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
        detail=detail or {},
    )


class AuditedAdminMixin:
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
