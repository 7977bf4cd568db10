"""Staff pages for issuance runs: the list, a run's preview and progress (updated without a
reload from progress.json), and the buttons approve, execute, retry failures, hand over.

Planning itself is the `plan_run` command (it assesses every insured person). Viewing needs
`notices.view_issuancerun`; each button needs its own permission.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from notices.batch.handover import hand_over
from notices.batch.planning import approve_run, compare_with_previous
from notices.batch.progress import failures, retry_failed, run_progress
from notices.batch.tasks import NotApproved, start_run
from notices.models import IssuanceItem, IssuanceRun
from sumida_kokuho.access import staff_required

VIEW = "notices.view_issuancerun"
APPROVE = "notices.approve_issuancerun"
EXECUTE = "notices.execute_issuancerun"


@require_safe
@staff_required(VIEW)
def runs(request: HttpRequest) -> HttpResponse:
    return render(request, "batch/runs.html", {"runs": IssuanceRun.objects.all()[:60]})


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
        .order_by("document", "envelope", "position")
    )
    reason = request.GET.get("reason")
    if reason:
        items = items.filter(reason=reason)
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "batch/run.html",
        {
            "run": run,
            "comparison": compare_with_previous(run),
            "progress": run_progress(run),
            "failures": failures(run),
            "page": page,
            "files": run.files.order_by("name"),
            "can_approve": request.user.has_perm(APPROVE),
            "can_execute": request.user.has_perm(EXECUTE),
        },
    )


@require_safe
@staff_required(VIEW)
def run_progress_json(request: HttpRequest, pk: int) -> JsonResponse:
    run = get_object_or_404(IssuanceRun, pk=pk)
    return JsonResponse(run_progress(run).as_json())


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
        messages.error(request, _("The run is not approved."))
    return redirect("batch:run", pk=pk)


@require_POST
@staff_required(EXECUTE)
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(IssuanceRun, pk=pk)
    try:
        retried = retry_failed(run=run, by=request.user)
        start_run(run=run, by=request.user)
        messages.success(request, _("%(n)s failed documents are retried.") % {"n": retried})
    except (ValidationError, NotApproved) as error:
        messages.error(request, str(error))
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
