"""Test-wide set-up: safe settings before Django loads, and CI strictness for marked tests.

Only cross-cutting pieces live here; fixtures belong in the test modules (and factories in
tests/factories/).
"""

from __future__ import annotations

import os
import re

import pytest

pytest_plugins = ["pytester"]

# Settings come from the environment (django-environ). Tests never need anything exported: the
# defaults below are set before the settings module is first imported. DJANGO_SETTINGS_MODULE is
# set here rather than in pyproject.toml because pytest-django loads the settings it names before
# any conftest runs, which would be too early for these defaults.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sumida_kokuho.settings")
os.environ.setdefault("SECRET_KEY", "test-only-insecure-key-never-used-outside-pytest")  # noqa: S105
# The test client speaks plain HTTP; the production default would redirect every request.
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Tests run with production-like settings whatever the shell has (scripts/run.sh exports DEBUG).
os.environ["DEBUG"] = "false"
# The resident portal's tests sign in through the fake OpenID provider (sumida_kokuho/fake_oidc),
# which is installed only when this is on; it is read with the settings, so it is set here.
os.environ.setdefault("FAKE_OIDC", "true")

import django.conf  # noqa: E402 (after the environment above)

# Load the settings now, so pytest-django finds them configured and sets Django up in its
# pytest_configure; a broken setting fails here with its own message.
django.conf.settings.DATABASES  # noqa: B018


# Tests with these markers need something only CI is guaranteed to have (pcscd and the virtual
# card, Chromium, PostgreSQL, worker processes). Locally they may skip; in CI a skip would hide
# that the thing was never tested, so it is a failure.
CI_REQUIRED_MARKERS = ("reader", "browser", "race", "crash")


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def _skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not (report.skipped and _in_ci()) or hasattr(report, "wasxfail"):
        return
    markers = [name for name in CI_REQUIRED_MARKERS if item.get_closest_marker(name)]
    if markers:
        report.outcome = "failed"
        report.longrepr = (
            f"CI=true: a test marked {', '.join(markers)} must run in CI, "
            f"but it was skipped: {_skip_reason(report)}"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):  # type: ignore[no-untyped-def]
    # A module that skips itself while being imported (pytest.importorskip("smartcard") at the top
    # of a reader test module) has no items for the hook above to see; look at its source instead.
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if not (report.skipped and _in_ci() and isinstance(collector, pytest.Module)):
        return
    source = collector.path.read_text(encoding="utf-8", errors="replace")
    markers = [m for m in CI_REQUIRED_MARKERS if re.search(rf"\bmark\.{m}\b", source)]
    if markers:
        report.outcome = "failed"
        report.longrepr = (
            f"CI=true: {collector.path.name} uses the {', '.join(markers)} marker and must run "
            f"in CI, but the whole module was skipped: {_skip_reason(report)}"
        )


@pytest.fixture
def admin_client(client, admin_user):  # type: ignore[no-untyped-def]
    """pytest-django's admin_client, also verified by a second factor: the admin requires one
    (sumida_kokuho.access.StaffAdminSite)."""
    from tests.factories.staff import sign_in_staff

    sign_in_staff(client, admin_user)
    return client


@pytest.fixture(autouse=True)
def _fast_password_hashing():  # type: ignore[no-untyped-def]
    """Argon2/PBKDF2 cost ~0.7 s a hash here; tests check behaviour, not hashing strength."""
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    """Rate limits (sumida_kokuho.security.RateLimit) count in the cache, and the portal keeps
    pages in its own: each test starts with every cache empty."""
    from django.core.cache import caches

    for alias in caches:
        caches[alias].clear()
    yield
