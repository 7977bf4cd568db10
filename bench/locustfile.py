"""The load of bench/load.sh: residents on the portal and clerks searching at the counter.

Run by bench/load.sh (which seeds the accounts and starts gunicorn); on its own:

    LOAD_ACCOUNTS=var/bench_load/accounts.json .venv-tools/bin/locust -f bench/locustfile.py \\
        --headless -u 10 -r 5 -t 60s --host http://127.0.0.1:8766

Residents (fixed count LOAD_RESIDENTS) each sign in once with their activation-letter e-mail and
password, then go round the status page and one household member's page until LOAD_SECONDS have
passed, and sign out. Clerks (LOAD_CLERKS) each sign in once with password and TOTP code, then
search (insured numbers, kana and kanji name prefixes, birth dates in 西暦 and 和暦) until then,
and sign out. Each user stops itself after signing out (locust's own time limit is only the
outer bound). One sign-in per simulated person keeps the sign-in throttling (django-axes and the
address limits) out of the figures.

The server is addressed as the TLS proxy would (X-Forwarded-Proto: https, with BEHIND_TLS_PROXY
on the server), so the production cookie settings hold: Secure `__Host-` cookies, which this
client keeps and sends back over the loopback's plain HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import random
import re
import struct
import time
from typing import Any

from locust import HttpUser, between, task
from locust.exception import StopUser
from requests.cookies import RequestsCookieJar

ACCOUNTS = json.loads(open(os.environ.get("LOAD_ACCOUNTS", "var/bench_load/accounts.json")).read())
WAIT_MIN = float(os.environ.get("LOAD_WAIT_MIN", "0.1"))
WAIT_MAX = float(os.environ.get("LOAD_WAIT_MAX", "0.5"))
DEADLINE = time.monotonic() + float(os.environ.get("LOAD_SECONDS", "60"))
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MEMBER_LINK = re.compile(r'href="/portal/people/(\d+)/"')

_residents = itertools.cycle(ACCOUNTS["residents"])
_clerks = itertools.cycle(ACCOUNTS["clerks"])


class _ProxySideCookieJar(RequestsCookieJar):
    """Keeps Secure cookies for plain HTTP: the client stands where the TLS proxy would.

    (A cookie policy on the session's jar is not enough: requests copies the cookies into a
    fresh jar with the default policy for each request.)"""

    def set_cookie(self, cookie: Any, *args: Any, **kwargs: Any) -> Any:
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


def totp(key_hex: str, *, step: int = 30, digits: int = 6, at: float | None = None) -> str:
    """RFC 6238 code (HMAC-SHA1, django-otp's defaults) for a hex key."""
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


class _SiteUser(HttpUser):
    abstract = True
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self) -> None:
        self.token = ""  # the CSRF token of the last page, for signing out
        self.client.cookies = _ProxySideCookieJar()
        origin = "https://" + self.host.split("://", 1)[1].rstrip("/")
        self.client.headers.update(
            {"X-Forwarded-Proto": "https", "Origin": origin, "Accept-Language": "ja"}
        )
        self.origin = origin

    def _time_is_up(self, sign_out_path: str, name: str) -> bool:
        """After the deadline: sign out (a measured step) and stop this user."""
        if time.monotonic() < DEADLINE:
            return False
        if self.token:
            self._post_form(sign_out_path, self.token, {}, name=name)
        raise StopUser

    def _csrf(self, html: str) -> str:
        match = CSRF_FIELD.search(html)
        if match is None:
            raise StopUser("no CSRF token in the form")
        return match.group(1)

    def _post_form(self, path: str, token: str, data: dict[str, str], *, name: str) -> Any:
        with self.client.post(
            path,
            data={"csrfmiddlewaretoken": token, **data},
            headers={"Referer": self.origin + path},
            allow_redirects=False,
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{name}: {response.status_code}, not a redirect")
            return response


class Resident(_SiteUser):
    """Sign in once; then the status page and a household member's page; sign out at the end."""

    fixed_count = int(os.environ.get("LOAD_RESIDENTS", "8"))

    def on_start(self) -> None:
        super().on_start()
        self.account = next(_residents)
        form = self.client.get("/portal/sign-in/", name="portal sign-in form")
        response = self._post_form(
            "/portal/sign-in/",
            self._csrf(form.text),
            {"username": self.account["email"], "password": self.account["password"]},
            name="portal sign-in",
        )
        if response.status_code != 302:
            raise StopUser
        self.members: list[str] = []

    @task
    def journey(self) -> None:
        self._time_is_up("/portal/sign-out/", "portal sign-out")
        with self.client.get(
            "/portal/", name="portal status", allow_redirects=False, catch_response=True
        ) as page:
            if page.status_code != 200 or "/portal/people/" not in page.text:
                page.failure(f"status page: {page.status_code} or no household member link")
                return
            self.members = MEMBER_LINK.findall(page.text)
            self.token = self._csrf(page.text)
        with self.client.get(
            f"/portal/people/{random.choice(self.members)}/",
            name="portal member page",
            allow_redirects=False,
            catch_response=True,
        ) as page:
            if page.status_code != 200:
                page.failure(f"member page: {page.status_code}")


class Clerk(_SiteUser):
    """Sign in once (password and TOTP code); then the person search; sign out at the end."""

    fixed_count = int(os.environ.get("LOAD_CLERKS", "2"))

    def on_start(self) -> None:
        super().on_start()
        self.account = next(_clerks)
        self.queries = ACCOUNTS["queries"]
        form = self.client.get("/staff/login/", name="staff sign-in form")
        response = self._post_form(
            "/staff/login/",
            self._csrf(form.text),
            {
                "username": self.account["username"],
                "password": self.account["password"],
                "code": totp(self.account["totp_key"]),
                "counter": self.account["counter"],
            },
            name="staff sign-in",
        )
        if response.status_code != 302 or "/staff/login/" in response.headers.get("Location", ""):
            raise StopUser

    @task
    def search(self) -> None:
        self._time_is_up("/staff/logout/", "staff sign-out")
        query = random.choice(self.queries)
        with self.client.get(
            "/staff/search/",
            params={"q": query},
            name="counter search",
            allow_redirects=False,
            catch_response=True,
        ) as page:
            if page.status_code != 200 or 'name="q"' not in page.text:
                page.failure(f"search page: {page.status_code}")
                return
            self.token = self._csrf(page.text)
