"""Deploy settings: `check --deploy` is clean with production settings (scripts/check_deploy.sh)
and fails when they are weakened; cookies are `__Host-` and Secure in production and plain over
the HTTP demo; Argon2 first; the security headers on every answer; no-store when signed in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories.staff import sign_in_staff, staff_in_role
from tests.portal.helpers import insured, resident_user

ROOT = Path(settings.BASE_DIR)
PROD_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "production-like-throwaway-key-of-proper-length-0123456789",
    "ALLOWED_HOSTS": "kokuho.city.sumida.example",
    "FAKE_OIDC": "false",
}
_DROP = ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return env


def _settings_in(env: dict[str, str], *names: str) -> dict[str, object]:
    """Read settings as a fresh process with `env` would (the settings module is read once)."""
    code = (
        "import json, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'sumida_kokuho.settings';"
        "from django.conf import settings;"
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_check_deploy_script_reports_no_issue():
    out = subprocess.run(
        ["bash", "scripts/check_deploy.sh"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues (0 silenced)" in out.stdout + out.stderr


def test_check_deploy_fails_when_a_production_setting_is_weakened():
    env = _env(**PROD_ENV, SECURE_HSTS_SECONDS="0", SESSION_COOKIE_SECURE="false")
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode != 0
    assert "security.W004" in out.stderr
    assert "security.W012" in out.stderr


def test_production_cookies_are_host_prefixed_and_secure():
    names = ("SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE")
    values = _settings_in(_env(**PROD_ENV), *names, "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS")
    assert values["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert values["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_HSTS_SECONDS"] == 31536000


def test_the_plain_http_demo_keeps_cookies_a_browser_accepts_over_http():
    # Browsers refuse __Host- (and Secure) cookies over plain HTTP; scripts/run.sh serves that.
    env = _env(DEBUG="true", FAKE_OIDC="true")
    values = _settings_in(
        env, "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "SESSION_COOKIE_SECURE", "DEBUG"
    )
    assert values["DEBUG"] is True
    assert values["SESSION_COOKIE_NAME"] == "sessionid"
    assert values["CSRF_COOKIE_NAME"] == "csrftoken"
    assert values["SESSION_COOKIE_SECURE"] is False


def test_argon2_is_the_first_hasher():
    # tests/conftest.py swaps hashers for speed, so read the settings module itself.
    import sumida_kokuho.settings as module

    assert module.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_session_cookie_on_sign_in_has_every_attribute():
    from tests.portal.helpers import PASSWORD

    person = insured()
    user = resident_user(person)
    client = Client()
    response = client.post(
        "/portal/sign-in/", {"username": user.username, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert settings.SESSION_COOKIE_NAME == "__Host-sessionid"  # the tests run with DEBUG off
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert not cookie["domain"]
    assert cookie["max-age"] == ""  # a browser-session cookie: gone when the browser closes


@pytest.mark.django_db
def test_security_headers_on_an_anonymous_page(client):
    response = client.get("/", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    # An anonymous public page may be cached by the browser; it carries no personal data.
    assert "no-store" not in response.get("Cache-Control", "")


def _assert_no_store(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_no_store_on_a_staff_page(client):
    sign_in_staff(client, staff_in_role("counter"))
    _assert_no_store(client.get("/staff/"))


@pytest.mark.django_db
def test_no_store_on_a_resident_page(client):
    client.force_login(resident_user(insured()))
    _assert_no_store(client.get("/portal/"))
    _assert_no_store(client.get("/portal/help/"))  # a public page, but signed in


@pytest.mark.django_db
def test_no_store_on_the_admin(client, admin_user):
    sign_in_staff(client, admin_user)
    _assert_no_store(client.get("/admin/"))
    _assert_no_store(client.get("/admin/auth/user/"))


@pytest.mark.django_db
def test_no_store_on_a_public_page_once_signed_in(client):
    client.force_login(resident_user(insured()))
    _assert_no_store(client.get("/"))
