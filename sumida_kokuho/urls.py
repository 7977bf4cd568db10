"""URL map. Apps that are still being written are mounted only once their URL module exists."""

from __future__ import annotations

from importlib.util import find_spec

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _

from sumida_kokuho import views

admin.site.site_header = _("Sumida City National Health Insurance")
admin.site.site_title = _("Sumida Kokuho administration")
admin.site.index_title = _("Administration")

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if find_spec("eligibility.api_urls") is not None:
    urlpatterns.append(path("api/v1/", include("eligibility.api_urls")))
