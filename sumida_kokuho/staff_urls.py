"""Staff pages under /staff/: sign-in (second factor), home and person search, audit trail."""

from __future__ import annotations

from django.urls import URLPattern, path

from sumida_kokuho import staff_views

app_name = "staff"

urlpatterns: list[URLPattern] = [
    path("", staff_views.home, name="home"),
    path("login/", staff_views.sign_in, name="login"),
    path("enrol/", staff_views.enrol, name="enrol"),
    path("logout/", staff_views.sign_out, name="logout"),
    path("search/", staff_views.search, name="search"),
    path("audit/", staff_views.audit_trail, name="audit"),
    path("audit/export.csv", staff_views.audit_export, name="audit_export"),
    path("audit/review/", staff_views.access_review_page, name="access_review"),
    path("audit/review/export.csv", staff_views.access_review_export, name="access_review_export"),
]
