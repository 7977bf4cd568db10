"""Issuance runs under /batch/ (mounted by sumida_kokuho.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from notices import batch_views

app_name = "batch"

urlpatterns: list[URLPattern] = [
    path("", batch_views.runs, name="runs"),
    path("plan/", batch_views.plan, name="plan"),
    path("planning/<str:period>/<str:kind>/", batch_views.planning_page, name="planning"),
    path(
        "planning/<str:period>/<str:kind>/progress.json",
        batch_views.planning_progress_json,
        name="planning_progress",
    ),
    path("<int:pk>/", batch_views.run_page, name="run"),
    path("<int:pk>/progress.json", batch_views.run_progress_json, name="progress"),
    path("<int:pk>/approve/", batch_views.approve, name="approve"),
    path("<int:pk>/execute/", batch_views.execute, name="execute"),
    path("<int:pk>/retry/", batch_views.retry, name="retry"),
    path("<int:pk>/handover/", batch_views.handover, name="handover"),
]
