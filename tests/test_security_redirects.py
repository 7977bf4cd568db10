"""Open redirects are refused: every `next` or return address (staff sign-in, resident sign-in,
the language switch, the OpenID return) must stay on this site."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from sumida_kokuho.security import safe_next_url
from tests.factories.staff import TOTPDeviceFactory, staff_in_role, totp_code
from tests.portal.helpers import PASSWORD, insured, resident_user

EVIL = [
    "//evil.example",
    "//evil.example/staff/",
    "https://evil.example",
    "https://evil.example/portal/",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "http:///evil.example",
    "https:evil.example",
    "http://testserver/portal/",  # this host, but a downgrade when the request was https
]
GOOD = ["/portal/people/1/", "/counter/person/2/?tab=events"]


@pytest.mark.parametrize("candidate", EVIL)
def test_the_helper_refuses_other_sites(candidate):
    request = RequestFactory().get("/", secure=True)
    assert safe_next_url(request, candidate, "/fallback/") == "/fallback/"


@pytest.mark.parametrize("candidate", GOOD)
def test_the_helper_keeps_paths_on_this_site(candidate):
    request = RequestFactory().get("/", secure=True)
    assert safe_next_url(request, candidate, "/fallback/") == candidate


def _hidden_next(page) -> str:  # type: ignore[no-untyped-def]
    """The value of the sign-in form's hidden `next` field (the language switch on the page has
    its own: this page's own address, which set_language checks again)."""
    found = re.findall(r'<input[^>]*name="next"[^>]*value="([^"]*)"', page.content.decode())
    own = page.wsgi_request.get_full_path()
    values = [html.unescape(value) for value in found if html.unescape(value) != own]
    assert len(values) == 1, found
    return values[0]


def _staff_with_device():  # type: ignore[no-untyped-def]
    clerk = staff_in_role("counter")
    clerk.set_password(PASSWORD)
    clerk.save()
    return clerk, TOTPDeviceFactory(user=clerk)


@pytest.mark.django_db
@pytest.mark.parametrize("candidate", EVIL)
def test_staff_sign_in_never_sends_elsewhere(candidate):
    clerk, device = _staff_with_device()
    client = Client()
    page = client.get("/staff/login/", {"next": candidate}, secure=True)
    assert _hidden_next(page) == "/staff/"
    data = {
        "username": clerk.username,
        "password": PASSWORD,
        "code": totp_code(device),
        "counter": "honcho-1",
        "next": candidate,
    }
    response = client.post("/staff/login/", data, secure=True)
    assert response.status_code == 302
    assert response["Location"] == "/staff/"


@pytest.mark.django_db
def test_staff_sign_in_follows_a_path_on_this_site():
    clerk, device = _staff_with_device()
    data = {
        "username": clerk.username,
        "password": PASSWORD,
        "code": totp_code(device),
        "counter": "honcho-1",
        "next": "/staff/audit/",
    }
    response = Client().post("/staff/login/", data)
    assert response["Location"] == "/staff/audit/"


@pytest.mark.django_db
@pytest.mark.parametrize("candidate", EVIL)
def test_resident_sign_in_never_sends_elsewhere(candidate):
    user = resident_user(insured())
    client = Client()
    page = client.get("/portal/sign-in/", {"next": candidate}, secure=True)
    assert _hidden_next(page) == "/portal/"
    response = client.post(
        "/portal/sign-in/",
        {"username": user.username, "password": PASSWORD, "next": candidate},
        secure=True,
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


@pytest.mark.django_db
def test_resident_sign_in_follows_a_path_on_this_site():
    user = resident_user(insured())
    response = Client().post(
        "/portal/sign-in/",
        {"username": user.username, "password": PASSWORD, "next": "/portal/help/"},
    )
    assert response["Location"] == "/portal/help/"


@pytest.mark.django_db
@pytest.mark.parametrize("candidate", EVIL)
def test_the_language_switch_never_sends_elsewhere(candidate):
    response = Client().post("/i18n/setlang/", {"language": "en", "next": candidate}, secure=True)
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("candidate", EVIL)
def test_the_language_switch_ignores_a_foreign_referer(candidate):
    response = Client().post(
        "/i18n/setlang/", {"language": "en"}, HTTP_REFERER=candidate, secure=True
    )
    assert response["Location"] == "/"


def _authorize(redirect_uri: str):  # type: ignore[no-untyped-def]
    params = {
        "response_type": "code",
        "client_id": settings.OIDC_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "state": "s",
        "nonce": "n",
        "code_challenge": "c",
        "code_challenge_method": "S256",
        "scope": "openid",
        "sub": "someone",
        "name": "墨田 花子",
        "address": "東京都墨田区",
        "birthdate": "1960-05-20",
        "gender": "female",
    }
    return Client().post("/fake-oidc/authorize", params)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "candidate",
    [
        *EVIL,
        "https://evil.example/portal/sign-in/app/callback/",
        "http://testserver/staff/",  # this site, but not the registered callback
    ],
)
def test_the_fake_provider_returns_only_to_the_registered_callback(candidate):
    response = _authorize(candidate)
    assert response.status_code == 400
    assert "Location" not in response


@pytest.mark.django_db
def test_the_fake_provider_returns_to_the_portal_callback():
    response = _authorize("http://testserver/portal/sign-in/app/callback/")
    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/portal/sign-in/app/callback/?")


@pytest.mark.django_db
def test_the_sign_in_requirement_only_ever_returns_to_the_same_path(client):
    response = client.get("/counter/person/1/", {"next": "https://evil.example"})
    assert response["Location"].startswith("/staff/login/?next=/counter/person/1/")
