"""URL map. Apps that are still being written are mounted only once their URL module exists."""

from __future__ import annotations

from importlib.util import find_spec

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import set_language

from sumida_kokuho import views
from sumida_kokuho.security import public

admin.site.site_header = _("Sumida City National Health Insurance")
admin.site.site_title = _("Sumida Kokuho administration")
admin.site.index_title = _("Administration")

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    # The language switch works for everyone (Django's set_language, marked public).
    path("i18n/setlang/", public(set_language), name="set_language"),
    path("admin/", admin.site.urls),
]

# Mounted once their module exists, so each part can land on its own.
_MOUNTS = [
    ("api/v1/", "eligibility.api_urls"),
    ("staff/", "sumida_kokuho.staff_urls"),  # staff sign-in (second factor), audit trail
    ("counter/", "eligibility.counter.urls"),  # counter workspace: search, person, events
    ("counter/reader/", "cards.reader_urls"),  # card reader verifications at the counter
    ("portal/", "eligibility.portal.urls"),  # resident portal
    ("data/", "notices.data_urls"),  # imports and statistics
    ("batch/", "notices.batch_urls"),  # monthly issuance runs
]


def _exists(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is not there yet
        return False


# The fake OpenID provider exists for the tests and the demo only (settings.FAKE_OIDC).
if settings.FAKE_OIDC:
    urlpatterns.append(path("fake-oidc/", include("sumida_kokuho.fake_oidc.urls")))

for prefix, module in _MOUNTS:
    if _exists(module):
        urlpatterns.append(path(prefix, include(module)))
