"""Staff pages under /data/: imports of the core systems' files, and the statistics.

Imports (administrators: `notices.add_importrun`): upload -> the file is checked in the
background while the page shows progress -> preview (counts, first errors, first changes) ->
confirm (the stored file is checked again and imported in one transaction) -> summary, error
report and, when asked for, the rejected lines. Statistics (supervisors and administrators):
tables with server-drawn SVG charts, each exportable as CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from notices.data_forms import ConfirmForm, StatisticsForm, UploadForm, upload_limit
from notices.imports import background, engine, storage
from notices.imports.base import Change
from notices.imports.errors import LineError
from notices.models import ImportRun
from notices.stats import store
from notices.stats.tables import TABLES, cache_seconds, counted_tables, keep_seconds
from sumida_kokuho import csvsafe
from sumida_kokuho.access import current_counter, staff_required
from sumida_kokuho.audit import record
from sumida_kokuho.roles import Role, counter_label, roles_of
from sumida_kokuho.security import STATISTICS_COUNTS_BY_USER, too_many_requests

IMPORT_PERMISSION = "notices.add_importrun"
STATISTICS_PERMISSION = "notices.view_statistics"
SHOWN_ERRORS = 100
# Multipart overhead allowed on top of the file itself before the request is refused unread.
_FORM_OVERHEAD = 64 * 1024


def _chrome(request: HttpRequest) -> dict[str, Any]:
    """What every data page shows around its content: the staff bar and the data menu."""
    return {
        "counter_label": counter_label(current_counter(request)),
        "can_import": request.user.has_perm(IMPORT_PERMISSION),
        "can_view_statistics": may_view_statistics(request.user),
    }


def may_view_statistics(user: Any) -> bool:
    """Supervisors and administrators (the admin role holds every notices permission)."""
    if user.has_perm(STATISTICS_PERMISSION):
        return True
    return Role.SUPERVISOR in roles_of(user)


def statistics_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @staff_required()
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not may_view_statistics(request.user):
            record(
                actor=request.user,
                action="denied",
                counter=current_counter(request),
                detail={"path": request.path, "permission": STATISTICS_PERMISSION},
            )
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@require_safe
@staff_required()
def index(request: HttpRequest) -> HttpResponse:
    if request.user.has_perm(IMPORT_PERMISSION):
        return redirect("data:imports")
    return redirect("data:stats")


# --- imports -------------------------------------------------------------------------------------


class _SizeLimit(FileUploadHandler):
    """Stops reading an upload once it passes the limit (a declared length is not trusted)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _too_large(request: HttpRequest) -> HttpResponse:
    form = UploadForm.refused(
        _("The file is larger than the limit of %(limit)s.") % {"limit": upload_limit()}
    )
    return _imports_page(request, form, status=413)


def _imports_page(request: HttpRequest, form: UploadForm, *, status: int = 200) -> HttpResponse:
    runs = ImportRun.objects.select_related("by")[:20]
    context = {"form": form, "runs": runs, "limit": upload_limit(), **_chrome(request)}
    return render(request, "data/imports.html", context, status=status)


# CSRF is checked by the inner view: the check reads the body, and the size limit must be in
# place before anything does (Django's "modifying upload handlers on the fly").
@require_http_methods(["GET", "HEAD", "POST"])
@staff_required(IMPORT_PERMISSION)
@csrf_exempt
def imports(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > storage.max_upload_bytes() + _FORM_OVERHEAD:
            return _too_large(request)  # refused unread: nothing is stored anywhere
        request.upload_handlers.insert(0, _SizeLimit(request, storage.max_upload_bytes()))
    return _imports(request)


@csrf_protect
def _imports(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _imports_page(request, UploadForm())
    form = UploadForm(request.POST, request.FILES)
    if any(isinstance(h, _SizeLimit) and h.exceeded for h in request.upload_handlers):
        return _too_large(request)
    if not form.is_valid():
        return _imports_page(request, form, status=400)
    run = _store_and_check(request, form)
    return redirect("data:import_run", pk=run.pk)


def _store_and_check(request: HttpRequest, form: UploadForm) -> ImportRun:
    uploaded = form.cleaned_data["file"]
    run = engine.start_run(
        kind=form.cleaned_data["kind"], file_name=Path(uploaded.name).name, by=request.user
    )
    path, sha, size = storage.store_chunks(uploaded.chunks(), run.pk)
    run.stored_file, run.sha256, run.size = str(path), sha, size
    run.save(update_fields=["stored_file", "sha256", "size"])
    progress = background.progress_writer(run.pk)
    background.start(run.pk, lambda: engine.execute(run, path, preview=True, progress=progress))
    return run


def _run_for(pk: int) -> ImportRun:
    return background.mark_if_stalled(
        get_object_or_404(ImportRun.objects.select_related("by"), pk=pk)
    )


@require_safe
@staff_required(IMPORT_PERMISSION)
def import_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(pk)
    progress = storage.read_progress(run.pk) if not run.is_finished else None
    percent = None
    if progress and progress.get("total"):
        percent = min(100, 100 * int(progress["done"]) // int(progress["total"]))
    errors = [LineError.from_json(data) for data in run.errors[:SHOWN_ERRORS]]
    changes = [Change.from_json(data) for data in run.changes]
    context = {
        "run": run,
        "progress": progress,
        "percent": percent,
        "errors": errors,
        "more_errors": max(0, run.error_count - len(errors)),
        "changes": changes,
        "confirm": ConfirmForm(initial={"sha256": run.sha256}),
        "previewed": run.status == ImportRun.Status.PREVIEWED,
        **_chrome(request),
    }
    return render(request, "data/import_run.html", context)


@require_POST
@staff_required(IMPORT_PERMISSION)
def confirm_import(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(pk)
    form = ConfirmForm(request.POST)
    stored = Path(run.stored_file) if run.stored_file else None
    if (
        not form.is_valid()
        or form.cleaned_data["sha256"] != run.sha256
        or stored is None
        or not stored.exists()
    ):
        messages.error(request, _("This file can no longer be imported: upload it again."))
        return redirect("data:import_run", pk=run.pk)
    mode = ImportRun.Mode.GOOD_LINES if form.cleaned_data["good_lines"] else run.Mode.ALL_OR_NOTHING
    # Claimed with a conditional UPDATE: a second click (or a second admin) cannot start it twice.
    claimed = ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PREVIEWED).update(
        status=ImportRun.Status.RUNNING, mode=mode, by=request.user, as_of=timezone.localdate()
    )
    if not claimed:
        messages.error(request, _("This import has already been confirmed or discarded."))
        return redirect("data:import_run", pk=run.pk)
    run.refresh_from_db()
    progress = background.progress_writer(run.pk)
    background.start(run.pk, lambda: engine.execute(run, stored, progress=progress))
    return redirect("data:import_run", pk=run.pk)


@require_POST
@staff_required(IMPORT_PERMISSION)
def discard_import(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(pk)
    if ImportRun.objects.filter(pk=run.pk, status=ImportRun.Status.PREVIEWED).update(
        status=ImportRun.Status.DISCARDED, finished_at=timezone.now(), stored_file=""
    ):
        storage.remove(run.stored_file)
        record(
            actor=request.user,
            action="import",
            obj=run,
            counter=current_counter(request),
            detail={"kind": run.kind, "status": ImportRun.Status.DISCARDED},
        )
        messages.success(request, _("The file was discarded; nothing was imported."))
    return redirect("data:imports")


def _csv(header: list[str], rows: Iterator[list[Any]]) -> Iterator[str]:
    # Cells that a spreadsheet would run as formulas are escaped (sumida_kokuho.csvsafe).
    return csvsafe.stream_lines(header, rows)


@require_safe
@staff_required(IMPORT_PERMISSION)
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(pk)
    rows = (
        [error.line, error.column, error.category_label, error.message]
        for error in storage.read_report(run.report_file)
    )
    header = [_("Line"), _("Column"), _("Kind of error"), _("Reason")]
    response = StreamingHttpResponse(_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-errors.csv"'
    return response


@require_safe
@staff_required(IMPORT_PERMISSION)
def rejected_lines(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_for(pk)
    path = Path(run.rejects_file) if run.rejects_file else None
    if path is None or not path.exists():
        raise Http404
    # The lines hold personal data, byte for byte as they came: who took them is recorded.
    record(
        actor=request.user,
        action="download",
        obj=run,
        counter=current_counter(request),
        detail={"file": "rejected-lines"},
    )
    charset = "shift_jis" if "CP932" in run.encoding else "utf-8"
    return FileResponse(
        path.open("rb"),
        as_attachment=True,
        filename=f"import-{run.pk}-rejected-lines.csv",
        content_type=f"text/csv; charset={charset}",
    )


# --- statistics ----------------------------------------------------------------------------------


def _as_of(request: HttpRequest) -> tuple[StatisticsForm, Any]:
    form = StatisticsForm(request.GET or None)
    as_of = form.cleaned_data["as_of"] if form.is_bound and form.is_valid() else None
    return form, as_of or timezone.localdate()


def _may_count(request: HttpRequest, as_of: Any, *, fresh: bool) -> bool:
    """Whether this request may count the slow figures afresh (a "count again now", or a day
    without kept figures): at most STATISTICS_COUNTS_BY_USER an hour per staff member, so that
    no one keeps the database busy by reloading or walking through the days."""
    kept_for = keep_seconds("insured")
    if not kept_for:
        return True  # nothing is kept (STATISTICS_CACHE_SECONDS = 0): every visit counts
    if not fresh and store.is_kept("insured", as_of, kept_for):
        return True
    return STATISTICS_COUNTS_BY_USER.hit(str(request.user.pk))


@require_safe
@statistics_required
def stats(request: HttpRequest) -> HttpResponse:
    form, as_of = _as_of(request)
    fresh = bool(request.GET.get("fresh"))
    if not _may_count(request, as_of, fresh=fresh):
        return too_many_requests(request)
    if fresh:
        store.forget(as_of)
    tables, counted_at = counted_tables(as_of)
    context = {
        "form": form,
        "as_of": as_of,
        "tables": tables,
        "counted_at": counted_at,
        "kept_hours": cache_seconds() // 3600,
        "quick_minutes": keep_seconds("due") // 60,
        **_chrome(request),
    }
    return render(request, "data/stats.html", context)


@require_safe
@statistics_required
def stats_csv(request: HttpRequest, slug: str) -> HttpResponse:
    build = TABLES.get(slug)
    if build is None:
        raise Http404
    _form, as_of = _as_of(request)
    if not _may_count(request, as_of, fresh=False):
        return too_many_requests(request)
    table = build(as_of)
    response = StreamingHttpResponse(
        _csv(table.columns, iter(table.raw)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{slug}-{as_of.isoformat()}.csv"'
    return response
