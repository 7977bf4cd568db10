"""Content-Security-Policy (django-csp 4): the header, the nonce of the inline <style> blocks, no
inline script or style attribute in any template, and the admin and the fake OpenID provider
working under the policy (their scripts and styles from this site only)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.factories.staff import sign_in_staff, staff_in_role

ROOT = Path(settings.BASE_DIR)


def _template_files() -> list[Path]:
    """Every template of the project: templates/ and the apps' own template folders."""
    folders = [ROOT / "templates"]
    for app in ("sumida_kokuho", "eligibility", "cards", "notices"):
        folders.extend(p for p in (ROOT / app).rglob("templates") if p.is_dir())
    files = [f for folder in folders for f in folder.rglob("*.html")]
    assert len(files) > 40
    return files


def _directives(header: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in header.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
STYLE_TAG = re.compile(r"<style\b([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
NONCE = 'nonce="{{ CSP_NONCE }}"'


def problems_in(text: str) -> list[str]:
    """What the policy would block in a template's source."""
    found = []
    for attributes in SCRIPT_TAG.findall(text):
        if "src=" not in attributes and NONCE not in attributes:
            found.append("inline <script> without the nonce")
    for attributes in STYLE_TAG.findall(text):
        if NONCE not in attributes:
            found.append("<style> without the nonce")
    if EVENT_HANDLER.search(text):
        found.append("inline event handler (on...=)")
    if STYLE_ATTRIBUTE.search(text):
        found.append("style attribute")
    if "javascript:" in text.lower():
        found.append("javascript: URL")
    return found


def test_the_template_check_finds_what_the_policy_blocks():
    assert problems_in("<script>alert(1)</script>") == ["inline <script> without the nonce"]
    assert problems_in('<script nonce="{{ CSP_NONCE }}">x()</script>') == []
    assert problems_in('<script src="/static/x.js" defer></script>') == []
    assert problems_in("<style>p{}</style>") == ["<style> without the nonce"]
    assert problems_in('<button onclick="x()">') == ["inline event handler (on...=)"]
    assert problems_in('<span style="color: red">') == ["style attribute"]
    assert problems_in('<a href="javascript:x()">') == ["javascript: URL"]


def test_no_template_has_anything_the_policy_would_block():
    offenders = {
        str(path.relative_to(ROOT)): problems
        for path in _template_files()
        if (problems := problems_in(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_the_policy_is_strict():
    client = Client()
    header = client.get("/")["Content-Security-Policy"]
    policy = _directives(header)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"][0] == "'self'"
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in policy[directive]
        assert "'unsafe-eval'" not in policy[directive]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_inline_styles_carry_this_responses_nonce(client):
    from tests.factories import HouseholdFactory, InsuredPersonFactory

    person = InsuredPersonFactory(household=HouseholdFactory())
    sign_in_staff(client, staff_in_role("counter"))
    response = client.get(f"/counter/person/{person.pk}/")
    assert response.status_code == 200
    nonces = re.findall(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    assert len(nonces) == 2  # script-src and style-src: the same nonce
    assert nonces[0] == nonces[1]
    html = response.content.decode()
    styles = STYLE_TAG.findall(html)
    assert styles
    assert all(f'nonce="{nonces[0]}"' in attributes for attributes in styles)
    # A second response gets another nonce.
    again = client.get(f"/counter/person/{person.pk}/")["Content-Security-Policy"]
    assert nonces[0] not in again


def _scripts_and_styles_are_from_this_site(html: str) -> None:
    for attributes in SCRIPT_TAG.findall(html):
        src = re.search(r'src="([^"]+)"', attributes)
        assert src, f"inline script: {attributes}"
        assert src.group(1).startswith("/"), src.group(1)
        assert not src.group(1).startswith("//")
    for href in re.findall(r'<link[^>]+rel="stylesheet"[^>]*href="([^"]+)"', html):
        assert href.startswith("/") and not href.startswith("//"), href


@pytest.mark.django_db
def test_the_admin_works_under_the_policy(client, admin_user):
    sign_in_staff(client, admin_user)
    for url in ("/admin/", "/admin/auth/user/", f"/admin/auth/user/{admin_user.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Content-Security-Policy" in response
        _scripts_and_styles_are_from_this_site(response.content.decode())


@pytest.mark.django_db
def test_the_admin_sign_in_page_works_under_the_policy(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    _scripts_and_styles_are_from_this_site(response.content.decode())


@pytest.mark.django_db
def test_the_fake_provider_page_works_under_the_policy(client):
    params = {
        "response_type": "code",
        "client_id": settings.OIDC_CLIENT_ID,
        "redirect_uri": "http://testserver/portal/sign-in/app/callback/",
        "state": "s",
        "nonce": "n",
        "code_challenge": "c",
        "code_challenge_method": "S256",
        "scope": "openid",
    }
    response = client.get("/fake-oidc/authorize", params)
    assert response.status_code == 200
    assert "Content-Security-Policy" in response
    _scripts_and_styles_are_from_this_site(response.content.decode())
