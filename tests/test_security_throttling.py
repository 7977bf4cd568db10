"""Throttling of every sign-in, activation and application form: the N+1-th attempt is refused
(429, a translated page) and another user or address is not. django-axes guards the password
sign-ins and activation; sumida_kokuho.security.RateLimit the rest."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.utils import translation

from sumida_kokuho.models import ApiToken
from sumida_kokuho.security import (
    API_TOKEN_FAILURES_BY_ADDRESS,
    APPLICATION_BY_USER,
    OIDC_BY_ADDRESS,
    PASSWORD_RESET_BY_ADDRESS,
    PASSWORD_RESET_BY_EMAIL,
    RateLimit,
)
from tests.factories.staff import staff_in_role
from tests.portal.helpers import PASSWORD, insured, resident_user

pytestmark = pytest.mark.django_db

OTHER_ADDRESS = {"REMOTE_ADDR": "192.0.2.77"}


def test_a_rate_limit_counts_per_key():
    limit = RateLimit("unit", limit=3, window=60)
    assert [limit.hit("a") for _ in range(4)] == [True, True, True, False]
    assert limit.exceeded("a")
    assert limit.hit("b") and not limit.exceeded("b")


# --- staff sign-in (django-axes) ----------------------------------------------------------------


def _staff_sign_in(client: Client, username: str, password: str, **extra):  # type: ignore[no-untyped-def]
    data = {"username": username, "password": password, "code": "", "counter": "honcho-1"}
    return client.post("/staff/login/", data, **extra)


@override_settings(AXES_FAILURE_LIMIT=5)
def test_staff_sign_in_is_refused_after_5_wrong_passwords():
    clerk = staff_in_role("counter", username="clerk-a")
    clerk.set_password(PASSWORD)
    clerk.save()
    other = staff_in_role("counter", username="clerk-b")
    other.set_password(PASSWORD)
    other.save()
    client = Client()
    for _ in range(4):
        assert _staff_sign_in(client, "clerk-a", "wrong").status_code == 200
    fifth = _staff_sign_in(client, "clerk-a", "wrong")
    assert fifth.status_code == 429
    # Now even the right password is refused, with the general page, in Japanese by default.
    locked = _staff_sign_in(client, "clerk-a", PASSWORD)
    assert locked.status_code == 429
    with translation.override("ja"):
        assert translation.gettext("Too many attempts") in locked.content.decode()
    # Another clerk from the same address, and the same clerk from another address, are not.
    assert _staff_sign_in(client, "clerk-b", "wrong").status_code == 200
    assert _staff_sign_in(Client(), "clerk-a", "wrong", **OTHER_ADDRESS).status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_admin_sign_in_is_throttled_too(admin_user):
    client = Client()
    for _ in range(2):
        response = client.post("/admin/login/", {"username": admin_user.username, "password": "x"})
        assert response.status_code == 200
    third = client.post("/admin/login/", {"username": admin_user.username, "password": "x"})
    assert third.status_code == 429


# --- residents ----------------------------------------------------------------------------------


@override_settings(AXES_FAILURE_LIMIT=3)
def test_resident_sign_in_lock_is_per_account_and_address():
    user = resident_user(insured())
    other = resident_user(insured())
    client = Client()
    for _ in range(3):
        client.post("/portal/sign-in/", {"username": user.username, "password": "wrong"})
    assert (
        client.post("/portal/sign-in/", {"username": user.username, "password": PASSWORD})
    ).status_code == 429
    assert (
        client.post("/portal/sign-in/", {"username": other.username, "password": PASSWORD})
    ).status_code == 302
    elsewhere = Client(**OTHER_ADDRESS)
    assert (
        elsewhere.post("/portal/sign-in/", {"username": user.username, "password": PASSWORD})
    ).status_code == 302


def _application_url(client: Client) -> str:
    person = insured(birth_date=date(1980, 1, 1))
    client.force_login(resident_user(person))
    return f"/portal/people/{person.pk}/apply/"


def test_resident_application_form_is_refused_after_the_limit():
    client = Client()
    url = _application_url(client)
    for _ in range(APPLICATION_BY_USER.limit):
        assert client.post(url, {"reason": "other", "detail": ""}).status_code == 200
    refused = client.post(url, {"reason": "other", "detail": ""})
    assert refused.status_code == 429
    # Another resident may still apply.
    other = Client()
    assert other.post(_application_url(other), {"reason": "other", "detail": ""}).status_code == 200


def test_password_reset_requests_are_limited_per_address():
    client = Client()
    emails = [f"nobody{i}@example.com" for i in range(PASSWORD_RESET_BY_ADDRESS.limit + 1)]
    for email in emails[:-1]:
        assert client.post("/portal/password-reset/", {"email": email}).status_code == 302
    assert client.post("/portal/password-reset/", {"email": emails[-1]}).status_code == 429
    elsewhere = Client(**OTHER_ADDRESS)
    assert elsewhere.post("/portal/password-reset/", {"email": emails[-1]}).status_code == 302


def test_password_reset_requests_are_limited_per_email_address():
    for i in range(PASSWORD_RESET_BY_EMAIL.limit):
        client = Client(REMOTE_ADDR=f"192.0.2.{i + 1}")
        assert client.post("/portal/password-reset/", {"email": "x@example.com"}).status_code == 302
    late = Client(REMOTE_ADDR="192.0.2.200")
    assert late.post("/portal/password-reset/", {"email": "x@example.com"}).status_code == 429
    assert late.post("/portal/password-reset/", {"email": "y@example.com"}).status_code == 302


def test_the_oidc_door_is_limited_per_address():
    client = Client()
    for _ in range(OIDC_BY_ADDRESS.limit):
        assert client.get("/portal/sign-in/app/callback/").status_code == 400  # no state
    assert client.get("/portal/sign-in/app/callback/").status_code == 429
    assert Client(**OTHER_ADDRESS).get("/portal/sign-in/app/callback/").status_code == 400


# --- API tokens ---------------------------------------------------------------------------------


def test_wrong_api_tokens_are_limited_per_address():
    owner = get_user_model().objects.create_user("api-owner", is_staff=True)
    _token, plain = ApiToken.create_token("tests", by=owner)
    client = Client()

    def call(token: str, c: Client = client):  # type: ignore[no-untyped-def]
        return c.post(
            "/api/v1/assess",
            data="{}",
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}"},
        )

    for _ in range(API_TOKEN_FAILURES_BY_ADDRESS.limit):
        assert call("guess").status_code == 401
    assert call("guess").status_code == 429
    assert call(plain).status_code == 429  # even the right token, from this address, for now
    assert call(plain, Client(**OTHER_ADDRESS)).status_code != 429
