"""Sign-in is required by default (LoginRequiredMiddleware): every URL pattern of the project,
the admin's and the included apps' too, is walked; a view open to anonymous visitors must be in
the allow-list below, and anonymous visitors are sent to the right sign-in page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from sumida_kokuho.security import is_public

# Every public URL, by its name, with the reason it is public. Adding a name here is a decision.
PUBLIC_URLS = {
    "home": "the landing page",
    "set_language": "the language switch on every page, signed in or not",
    "admin:login": "the admin's sign-in page",
    "api:assess": "API tokens, not sessions; answers 401 itself without one",
    "staff:login": "the staff sign-in page",
    "staff:enrol": "second-factor set-up between password and sign-in (session-bound)",
    "staff:logout": "signing out works (and does nothing) after the session ended",
    "portal:sign_in": "the residents' sign-in page",
    "portal:sign_out": "signing out works after the session ended",
    "portal:activate": "first sign-in with an activation letter",
    "portal:oidc_start": "sign-in with the digital authentication app",
    "portal:oidc_callback": "its return, checked by state, nonce and PKCE",
    "portal:help": "help for people who cannot sign in",
    "portal:password_reset": "password reset by e-mail",
    "portal:password_reset_done": "password reset by e-mail",
    "portal:password_reset_confirm": "password reset by e-mail (the token is the check)",
    "portal:password_reset_complete": "password reset by e-mail",
    "fake_oidc:discovery": "the fake OpenID provider (tests and demo only)",
    "fake_oidc:jwks": "the fake OpenID provider (tests and demo only)",
    "fake_oidc:authorize": "the fake OpenID provider (tests and demo only)",
    "fake_oidc:token": "the fake OpenID provider (tests and demo only)",
    "fake_oidc:userinfo": "the fake OpenID provider (tests and demo only)",
}


def walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, Any]]:
    """(route, qualified name, view) of every pattern, into every include."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = entry.name or ""
            qualified = f"{namespace}:{name}" if namespace and name else name
            yield prefix + str(entry.pattern), qualified, entry.callback


def all_patterns() -> list[tuple[str, str, Any]]:
    return list(walk(get_resolver().url_patterns))


def test_the_middleware_is_on():
    assert "sumida_kokuho.middleware.LoginRequiredMiddleware" in settings.MIDDLEWARE


def test_the_walk_reaches_the_admin_and_every_app():
    names = {name for _route, name, _view in all_patterns()}
    for expected in ("admin:index", "staff:home", "counter:person", "portal:status", "api:assess"):
        assert expected in names
    assert any(name.startswith("admin:auth_user_") for name in names)


def test_every_public_view_is_in_the_allow_list():
    unlisted = [
        (route, name)
        for route, name, view in all_patterns()
        if is_public(view) and name not in PUBLIC_URLS
    ]
    assert unlisted == [], f"public views not in PUBLIC_URLS: {unlisted}"


def test_the_allow_list_has_no_stale_entries():
    public_names = {name for _route, name, view in all_patterns() if is_public(view)}
    assert set(PUBLIC_URLS) - public_names == set()


def test_the_walk_would_catch_an_unmarked_public_view():
    from django.urls import path

    from sumida_kokuho.security import public

    def open_view(request):  # pragma: no cover (never called)
        raise AssertionError

    def shut_view(request):  # pragma: no cover (never called)
        raise AssertionError

    fake = [path("leak/", public(open_view), name="leak"), path("shut/", shut_view, name="shut")]
    found = [name for _route, name, view in walk(fake) if is_public(view)]
    assert found == ["leak"]


def _sample_url(route: str, name: str) -> str | None:
    """A concrete URL for a named pattern (1 for each int, a word for other converters)."""
    if not name or "(?P" in route or route.startswith("^"):
        return None
    kwargs = {}
    for part in route.split("<")[1:]:
        converter, _, arg = part.split(">")[0].rpartition(":")
        kwargs[arg] = 1 if converter == "int" else "x"
    try:
        return reverse(name, kwargs=kwargs)
    except Exception:  # noqa: BLE001 (patterns with extra defaults: skipped)
        return None


@pytest.mark.django_db
def test_anonymous_requests_to_private_pages_go_to_a_sign_in_page():
    client = Client()
    portal_sign_in = reverse("portal:sign_in")
    staff_sign_in = reverse("staff:login")
    admin_sign_in = reverse("admin:login")
    checked = 0
    for route, name, view in all_patterns():
        if is_public(view):
            continue
        url = _sample_url(route, name)
        if url is None:
            continue
        response = client.get(url)
        assert response.status_code == 302, (url, response.status_code)
        location = response["Location"]
        if name.startswith("portal:"):
            expected = portal_sign_in
        elif name.startswith("admin:"):
            expected = admin_sign_in
        else:
            expected = staff_sign_in
        assert location.startswith(expected + "?next="), (url, location)
        checked += 1
    assert checked > 30


@pytest.mark.django_db
def test_a_resident_page_sends_anonymous_visitors_to_the_resident_sign_in(client):
    response = client.get("/portal/people/1/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/sign-in/?next=/portal/people/1/"


@pytest.mark.django_db
def test_a_staff_page_sends_anonymous_visitors_to_the_staff_sign_in(client):
    response = client.get("/counter/person/1/")
    assert response.status_code == 302
    assert response["Location"] == "/staff/login/?next=/counter/person/1/"


@pytest.mark.django_db
def test_public_pages_answer_anonymous_visitors(client):
    for url in ("/", "/portal/sign-in/", "/staff/login/", "/portal/help/", "/admin/login/"):
        assert client.get(url).status_code == 200, url
