"""Sessions end after 30 idle minutes and 12 hours in all, for staff and residents alike
(ASVS 3.3.2), checked by travelling in time (time-machine moves time.time and datetime)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from sumida_kokuho.middleware import LAST_SEEN_AT, SIGNED_IN_AT, session_expired
from tests.factories.staff import sign_in_staff, staff_in_role
from tests.portal.helpers import insured, resident_user

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def _staff_client() -> tuple[Client, str, str]:
    client = Client()
    sign_in_staff(client, staff_in_role("counter"))
    return client, "/staff/", "/staff/login/"


def _resident_client() -> tuple[Client, str, str]:
    client = Client()
    client.force_login(resident_user(insured()))
    return client, "/portal/", "/portal/sign-in/"


KINDS = {"staff": _staff_client, "resident": _resident_client}


def _signed_in(response, sign_in: str) -> bool:  # type: ignore[no-untyped-def]
    if response.status_code == 200:
        return True
    assert response.status_code == 302
    assert response["Location"].startswith(sign_in + "?next=")
    return False


@pytest.mark.parametrize("kind", KINDS)
def test_29_idle_minutes_keep_the_session_and_31_end_it(kind):
    with time_machine.travel(START, tick=False) as traveller:
        client, page, sign_in = KINDS[kind]()
        assert _signed_in(client.get(page), sign_in)
        traveller.shift(timedelta(minutes=29))
        assert _signed_in(client.get(page), sign_in)
        traveller.shift(timedelta(minutes=31))
        assert not _signed_in(client.get(page), sign_in)
        # Gone for good: coming back at once does not revive it.
        assert not _signed_in(client.get(page), sign_in)


@pytest.mark.parametrize("kind", KINDS)
def test_an_active_session_ends_12_hours_after_sign_in(kind):
    with time_machine.travel(START, tick=False) as traveller:
        client, page, sign_in = KINDS[kind]()
        # A request every 20 minutes: never idle, so only the 12-hour limit can end it.
        for _ in range(35):  # 11 h 40 min
            traveller.shift(timedelta(minutes=20))
            assert _signed_in(client.get(page), sign_in)
        traveller.shift(timedelta(minutes=19))  # 11 h 59 min
        assert _signed_in(client.get(page), sign_in)
        traveller.shift(timedelta(minutes=2))  # 12 h 1 min
        assert not _signed_in(client.get(page), sign_in)


def test_a_new_sign_in_starts_the_12_hours_afresh():
    with time_machine.travel(START, tick=False) as traveller:
        client, page, sign_in = _staff_client()
        traveller.shift(timedelta(hours=11, minutes=50))
        # Re-signing in (session idle for 11 h 50 min has ended anyway): a fresh start.
        client2, page, sign_in = _staff_client()
        traveller.shift(timedelta(minutes=20))
        assert _signed_in(client2.get(page), sign_in)
        session = SessionStore(session_key=client2.session.session_key)
        assert session[SIGNED_IN_AT] == pytest.approx(
            (START + timedelta(hours=11, minutes=50)).timestamp()
        )


def test_the_idle_check_does_not_rely_on_the_session_store_expiry():
    # A session whose store expiry were longer (another backend, a changed SESSION_COOKIE_AGE)
    # still ends by the times kept in it.
    now = START.timestamp()
    assert not session_expired({SIGNED_IN_AT: now - 60, LAST_SEEN_AT: now - 60}, now)
    assert session_expired({SIGNED_IN_AT: now - 3600, LAST_SEEN_AT: now - 31 * 60}, now)
    assert session_expired({SIGNED_IN_AT: now - 12 * 3600 - 1, LAST_SEEN_AT: now}, now)
    assert not session_expired({SIGNED_IN_AT: now - 12 * 3600 + 1, LAST_SEEN_AT: now}, now)


def test_a_timed_out_staff_member_is_told_why(client):
    with time_machine.travel(START, tick=False) as traveller:
        sign_in_staff(client, staff_in_role("counter"))
        for _ in range(36):  # active for 12 hours
            traveller.shift(timedelta(minutes=20))
            client.get("/staff/")
        traveller.shift(timedelta(minutes=1))
        response = client.get("/staff/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/staff/login/")
    messages = [str(m) for m in response.context["messages"]]
    assert messages, "no message said the session ended"


def test_a_page_polling_in_the_background_does_not_keep_the_session_alive():
    with time_machine.travel(START, tick=False) as traveller:
        client, page, sign_in = _staff_client()
        assert _signed_in(client.get(page), sign_in)
        # The card-reader page polls latest.json every few seconds while it stays open.
        for _ in range(16):  # 32 minutes of polling, nobody at the keyboard
            traveller.shift(timedelta(minutes=2))
            client.get("/counter/reader/honcho-1/latest.json")
        assert not _signed_in(client.get(page), sign_in)
    from cards.reader_views import latest_verification

    assert getattr(latest_verification, "session_passive", False)  # marked with `passive`


def test_ordinary_requests_count_as_activity():
    with time_machine.travel(START, tick=False) as traveller:
        client, page, sign_in = _staff_client()
        for _ in range(16):  # 32 minutes, a page every 2 minutes
            traveller.shift(timedelta(minutes=2))
            assert _signed_in(client.get(page), sign_in)


@pytest.mark.parametrize("kind", KINDS)
def test_requests_within_a_minute_do_not_write_the_session_but_later_ones_renew_it(kind):
    from django.contrib.sessions.models import Session

    with time_machine.travel(START, tick=False) as traveller:
        client, page, sign_in = KINDS[kind]()
        assert _signed_in(client.get(page), sign_in)
        key = client.cookies[settings.SESSION_COOKIE_NAME].value
        expiry = Session.objects.get(pk=key).expire_date
        traveller.shift(timedelta(seconds=30))
        assert _signed_in(client.get(page), sign_in)
        assert Session.objects.get(pk=key).expire_date == expiry  # nothing written
        traveller.shift(timedelta(seconds=31))
        assert _signed_in(client.get(page), sign_in)
        assert Session.objects.get(pk=key).expire_date == expiry + timedelta(seconds=61)
