"""Data pages under /data/: imports and statistics (mounted by sumida_kokuho.urls)."""

from __future__ import annotations

from django.urls import URLPattern, path

from notices import data_views

app_name = "data"

urlpatterns: list[URLPattern] = [
    path("", data_views.index, name="index"),
    path("imports/", data_views.imports, name="imports"),
    path("imports/<int:pk>/", data_views.import_run, name="import_run"),
    path("imports/<int:pk>/confirm/", data_views.confirm_import, name="confirm_import"),
    path("imports/<int:pk>/discard/", data_views.discard_import, name="discard_import"),
    path("imports/<int:pk>/errors.csv", data_views.import_errors, name="import_errors"),
    path("imports/<int:pk>/rejected-lines.csv", data_views.rejected_lines, name="rejected_lines"),
    path("stats/", data_views.stats, name="stats"),
    path("stats/<slug:slug>.csv", data_views.stats_csv, name="stats_csv"),
]
