"""Staff pages for issuance runs: the list with the planning form, a run's preview (counts by
document and reason against last month, who is due what and why), its progress (updated without
a reload from progress.json), and the buttons approve, execute, retry failures, hand over.

Viewing needs `notices.view_issuancerun`; planning `plan_issuancerun`, approving
`approve_issuancerun`, executing and handing over `execute_issuancerun` (the admin role has them
all, sumida_kokuho/roles.py). The services enforce the rules (four eyes, status order); the pages
show only the buttons that can work and turn the services' refusals into messages.

Planning runs in the request for wards up to BATCH_PLAN_IN_PAGE_MAX insured persons; for larger
ones a thread plans (notices/batch/background_planning.py) and the planning page shows its
progress, then opens the run; `manage.py plan_run` does the same from a shell (docs/adr/0012).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from cards.models import DocumentReason
from eligibility.counter.fields import JapaneseDateField
from eligibility.models import InsuredPerson
from notices.batch import background_planning
from notices.batch.handover import hand_over
from notices.batch.planning import approve_run, compare_with_previous, plan_run
from notices.batch.progress import Progress, failures, retry_failed, run_progress
from notices.batch.tasks import NotApproved, start_run
from notices.models import IssuanceItem, IssuanceRun
from sumida_kokuho.access import staff_required
from sumida_kokuho.security import passive
from sumida_kokuho.wareki import DateParseError, parse_month

VIEW = "notices.view_issuancerun"
PLAN = "notices.plan_issuancerun"
APPROVE = "notices.approve_issuancerun"
EXECUTE = "notices.execute_issuancerun"
PLAN_IN_PAGE_MAX = 50_000  # default of settings.BATCH_PLAN_IN_PAGE_MAX
PAGE_SIZE = 50

DOCUMENT_LABELS = {
    "certificate": gettext_lazy("資格確認書 (eligibility certificate)"),
    "notice": gettext_lazy("資格情報のお知らせ (qualification notice)"),
}


def document_label(document: str) -> str:
    return str(DOCUMENT_LABELS.get(document, document))


def reason_label(reason: str) -> str:
    try:
        return str(DocumentReason(reason).label)
    except ValueError:
        return reason


# --- the planning form ---------------------------------------------------------------------------


class MonthField(forms.CharField):
    default_error_messages = {  # noqa: RUF012 (Django's own pattern)
        "required": gettext_lazy("Enter the month of the run."),
        "invalid": gettext_lazy("Enter the month like 2026-12, R8.12 or 令和8年12月."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", gettext_lazy("For example 2026-12, R8.12 or 令和8年12月."))
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off", "maxlength": 30}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        if len(text) > 30:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return parse_month(text)
        except DateParseError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        return f"{value:%Y-%m}" if isinstance(value, date) else value


class PlanForm(forms.Form):
    use_required_attribute = False  # validated on the server, with an error summary

    period = MonthField(label=gettext_lazy("Month"))
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of run"),
        choices=IssuanceRun.Kind.choices,
        initial=IssuanceRun.Kind.MONTHLY,
    )
    as_of = JapaneseDateField(
        label=gettext_lazy("Assessment and issue day"),
        noun=gettext_lazy("the assessment and issue day"),
    )
    replan = forms.BooleanField(
        label=gettext_lazy("Plan again if the month already has a run that is not approved yet"),
        required=False,
    )


# --- pages ---------------------------------------------------------------------------------------


def _plan_limit() -> int:
    return int(getattr(settings, "BATCH_PLAN_IN_PAGE_MAX", PLAN_IN_PAGE_MAX))


def _runs_page(request: HttpRequest, form: PlanForm, *, status: int = 200) -> HttpResponse:
    return render(
        request,
        "batch/runs.html",
        {
            "runs": IssuanceRun.objects.select_related("planned_by", "approved_by")[:60],
            "form": form,
            "can_plan": request.user.has_perm(PLAN),
        },
        status=status,
    )


@require_safe
@staff_required(VIEW)
def runs(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    first_of_next = (today.replace(day=28) + timedelta(days=4)).replace(day=1)
    form = PlanForm(initial={"period": first_of_next, "as_of": today})
    return _runs_page(request, form)


@require_POST
@staff_required(PLAN)
def plan(request: HttpRequest) -> HttpResponse:
    form = PlanForm(request.POST)
    if not form.is_valid():
        return _runs_page(request, form, status=400)
    data = form.cleaned_data
    if InsuredPerson.objects.count() > _plan_limit():
        # Too many to assess within the request: a thread plans, the planning page shows it.
        started = background_planning.start(
            period=data["period"],
            kind=data["kind"],
            as_of=data["as_of"],
            by=request.user,
            replan=data["replan"],
        )
        if not started:
            messages.info(request, _("This month is already being planned; here is its progress."))
        return redirect("batch:planning", period=f"{data['period']:%Y-%m}", kind=data["kind"])
    try:
        result = plan_run(
            period=data["period"],
            kind=data["kind"],
            as_of=data["as_of"],
            by=request.user,
            replan=data["replan"],
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _runs_page(request, form, status=400)
    _say_planned(request, result.run, created=result.created)
    return redirect("batch:run", pk=result.run.pk)


def _say_planned(request: HttpRequest, run: IssuanceRun, *, created: bool) -> None:
    if created:
        messages.success(
            request,
            ngettext(
                "Planned: %(documents)s document for %(assessed)s persons assessed. "
                "Nothing is issued until the run is approved and executed.",
                "Planned: %(documents)s documents for %(assessed)s persons assessed. "
                "Nothing is issued until the run is approved and executed.",
                run.planned,
            )
            % {"documents": run.planned, "assessed": run.assessed},
        )
    else:
        messages.info(request, _("This month already has a run of this kind; it is unchanged."))


def _planning_of(period: str, kind: str) -> tuple[date, background_planning.Planning]:
    try:
        month = parse_month(period)
    except DateParseError as error:
        raise Http404 from error
    if kind not in IssuanceRun.Kind.values:
        raise Http404
    state = background_planning.read(month, kind)
    if state is None:
        raise Http404
    return month, state


def _planning_text(state: background_planning.Planning) -> tuple[str, str]:
    """(status shown, summary) of a planning."""
    if state.status == background_planning.DONE:
        return _("Planned"), _("%(n)s persons assessed") % {"n": state.done}
    if state.status == background_planning.FAILED or state.stalled:
        return _("Not planned"), ""
    if not state.total:
        return _("Planning"), _("Starting…")
    return _("Planning"), _("%(done)s of %(total)s persons assessed (%(percent)s%%)") % {
        "done": state.done,
        "total": state.total,
        "percent": state.percent,
    }


@require_safe
@staff_required(VIEW)
def planning_page(request: HttpRequest, period: str, kind: str) -> HttpResponse:
    month, state = _planning_of(period, kind)
    if state.status == background_planning.DONE and state.run is not None:
        run = IssuanceRun.objects.filter(pk=state.run).first()
        if run is not None:
            _say_planned(request, run, created=state.created)
            background_planning.forget(month, kind)
            return redirect("batch:run", pk=run.pk)
    status_display, summary = _planning_text(state)
    failed = state.status != background_planning.RUNNING or state.stalled
    return render(
        request,
        "batch/planning.html",
        {
            "period": month,
            "period_text": period,
            "kind": kind,
            "kind_display": IssuanceRun.Kind(kind).label,
            "planning": state,
            "failed": failed,
            "status_display": status_display,
            "summary": summary,
        },
        status=200,
    )


@passive  # the page polls it: not activity for the idle timeout
@require_safe
@staff_required(VIEW)
def planning_progress_json(request: HttpRequest, period: str, kind: str) -> JsonResponse:
    _month, state = _planning_of(period, kind)
    status_display, summary = _planning_text(state)
    status = "failed" if state.stalled else state.status
    return JsonResponse(
        {
            "status": status,
            "status_display": status_display,
            "percent": 100 if status == background_planning.DONE else state.percent,
            "summary": summary,
        }
    )


class ItemFilter(forms.Form):
    document = forms.ChoiceField(label=gettext_lazy("Document"), required=False)
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), required=False)
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any status")), *IssuanceItem.Status.choices],
    )

    def __init__(self, *args: Any, run: IssuanceRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        documents = sorted(run.counts)
        reasons = sorted({r for rs in run.counts.values() for r in rs})
        self.fields["document"].choices = [
            ("", _("Any document")),
            *((d, document_label(d)) for d in documents),
        ]
        self.fields["reason"].choices = [
            ("", _("Any reason")),
            *((r, reason_label(r)) for r in reasons),
        ]


@require_safe
@staff_required(VIEW)
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(
        IssuanceRun.objects.select_related("planned_by", "approved_by", "run_by", "handed_over_by"),
        pk=pk,
    )
    items = (
        IssuanceItem.objects.filter(run=run)
        .select_related("person")
        .order_by("envelope", "document", "position")
    )
    filters = ItemFilter(request.GET or None, run=run)
    query = ""
    if filters.is_bound and filters.is_valid():
        for name in ("document", "reason", "status"):
            if filters.cleaned_data[name]:
                items = items.filter(**{name: filters.cleaned_data[name]})
        query = "&".join(
            f"{name}={filters.cleaned_data[name]}"
            for name in ("document", "reason", "status")
            if filters.cleaned_data[name]
        )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    shown_failures = failures(run)
    for item in [*page, *shown_failures]:
        item.document_label = document_label(item.document)
    rows = [
        {
            "document": row["document"],
            "document_label": document_label(row["document"]),
            "reason": row["reason"],
            "reason_label": reason_label(row["reason"]),
            "count": row["count"],
            "previous": row["previous"],
            "change": None if row["previous"] is None else row["count"] - row["previous"],
        }
        for row in compare_with_previous(run)
    ]
    user = request.user
    four_eyes_blocks = bool(
        settings.BATCH_FOUR_EYES and run.planned_by_id is not None and run.planned_by_id == user.pk
    )
    return render(
        request,
        "batch/run.html",
        {
            "run": run,
            "comparison": rows,
            "progress": run_progress(run),
            "failures": shown_failures,
            "filters": filters,
            "query": query,
            "page": page,
            "files": run.files.order_by("name"),
            "can_approve": user.has_perm(APPROVE) and not four_eyes_blocks,
            "four_eyes_blocks": user.has_perm(APPROVE) and four_eyes_blocks,
            "can_execute": user.has_perm(EXECUTE),
        },
    )


def progress_summary(progress: Progress) -> str:
    return _(
        "%(done)s done, %(failed)s failed, %(pending)s pending of %(planned)s (%(percent)s%%)"
    ) % {
        "done": progress.done,
        "failed": progress.failed,
        "pending": progress.pending + progress.issued,
        "planned": progress.planned,
        "percent": progress.percent,
    }


@passive  # the page polls it: not activity for the idle timeout
@require_safe
@staff_required(VIEW)
def run_progress_json(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(IssuanceRun, pk=pk)
    progress = run_progress(run)
    return JsonResponse(
        {
            **progress.as_json(),
            "status_display": capfirst(str(IssuanceRun.Status(progress.status).label)),
            "summary": progress_summary(progress),
        }
    )


@require_POST
@staff_required(APPROVE)
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(IssuanceRun, pk=pk)
    try:
        approve_run(run=run, by=request.user)
        messages.success(request, _("The run is approved."))
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    return redirect("batch:run", pk=pk)


@require_POST
@staff_required(EXECUTE)
def execute(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(IssuanceRun, pk=pk)
    try:
        start_run(run=run, by=request.user)
        messages.success(request, _("The run has started."))
    except NotApproved:
        messages.error(request, _("The run is not approved yet: it cannot be executed."))
    return redirect("batch:run", pk=pk)


@require_POST
@staff_required(EXECUTE)
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(IssuanceRun, pk=pk)
    try:
        retried = retry_failed(run=run, by=request.user)
        start_run(run=run, by=request.user)
        messages.success(
            request,
            ngettext(
                "%(n)s failed document is retried.", "%(n)s failed documents are retried.", retried
            )
            % {"n": retried},
        )
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    except NotApproved:
        messages.error(request, _("The run is not approved yet: it cannot be executed."))
    return redirect("batch:run", pk=pk)


@require_POST
@staff_required(EXECUTE)
def handover(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(IssuanceRun, pk=pk)
    try:
        hand_over(run=run, by=request.user)
        messages.success(request, _("The print files are handed over."))
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    return redirect("batch:run", pk=pk)
