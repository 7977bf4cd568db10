"""Password sign-in, lockout, sign-out, the idle timeout and password reset by e-mail."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings

from tests.factories.staff import staff_in_role
from tests.portal.helpers import PASSWORD, resident_user

pytestmark = pytest.mark.django_db


def test_a_resident_signs_in_with_e_mail_and_password(family):
    user = resident_user(family["head"])
    client = Client()
    response = client.post("/portal/sign-in/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_the_sign_in_page_offers_both_doors(db):
    page = Client().get("/portal/sign-in/").content.decode()
    assert "/portal/sign-in/app/" in page
    assert "/portal/activate/" in page


def test_a_wrong_password_is_refused(family):
    user = resident_user(family["head"])
    response = Client().post("/portal/sign-in/", {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session


def test_a_staff_account_cannot_sign_in_at_the_portal(db):
    staff = staff_in_role()
    staff.set_password(PASSWORD)
    staff.save()
    response = Client().post("/portal/sign-in/", {"username": staff.username, "password": PASSWORD})
    assert response.status_code == 200


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_wrong_passwords_lock_the_account_out_even_for_the_right_one(family):
    user = resident_user(family["head"])
    client = Client()
    for _ in range(2):
        client.post("/portal/sign-in/", {"username": user.username, "password": "wrong"})
    third = client.post("/portal/sign-in/", {"username": user.username, "password": "wrong"})
    assert third.status_code == 429
    right = client.post("/portal/sign-in/", {"username": user.username, "password": PASSWORD})
    assert right.status_code == 429


def test_sign_out_ends_the_session(family):
    user = resident_user(family["head"])
    client = Client()
    client.force_login(user)
    assert client.post("/portal/sign-out/").status_code == 302
    assert client.get("/portal/").status_code == 302


def test_sessions_end_after_30_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    # Activity renews the session at most once a minute (the middleware's stamp), not per request.
    assert settings.SESSION_ACTIVITY_STEP <= 60


def test_an_expired_session_sends_the_resident_to_sign_in(family):
    client = Client()
    client.force_login(resident_user(family["head"]))
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/portal/").status_code == 302


def test_argon2_comes_first_in_the_real_settings():
    # The tests swap in a fast hasher (tests/conftest.py); read the settings module itself.
    from sumida_kokuho import settings as real

    assert real.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_a_resident_resets_the_password_by_e_mail(family):
    user = resident_user(family["head"])
    client = Client()
    response = client.post("/portal/password-reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/portal/password-reset/\S+/)", mail.outbox[0].body).group(
        1
    )
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    new = "a brand new sumida password"
    done = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new)


def test_no_reset_mail_goes_to_staff_accounts(db):
    staff = staff_in_role(email="clerk@example.com")
    staff.set_password(PASSWORD)
    staff.save()
    Client().post("/portal/password-reset/", {"email": "clerk@example.com"})
    assert mail.outbox == []
