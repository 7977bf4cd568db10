"""Cross-cutting middleware: session timeouts, sign-in by default, no-store for signed-in pages.

- `SessionTimeoutMiddleware`: a signed-in session ends after `SESSION_IDLE_TIMEOUT` seconds
  without a request (30 minutes) or `SESSION_ABSOLUTE_TIMEOUT` seconds after sign-in (12 hours),
  for staff and residents alike (ASVS 3.3.2). The session's own expiry (SESSION_COOKIE_AGE,
  renewed when the activity stamp moves, at most once per SESSION_ACTIVITY_STEP) ends idle
  sessions too; this checks both times in the session itself,
  so neither depends on the session backend or on a cookie the browser kept. A page's automatic
  refresh (views marked `sumida_kokuho.security.passive`) is not activity.
- `LoginRequiredMiddleware`: Django's, choosing the sign-in page by URL: the resident portal's
  for portal pages, the admin's for admin pages, the staff sign-in for everything else. Views
  open to anonymous visitors are marked with `sumida_kokuho.security.public`.
- `NoStoreForSignedInMiddleware`: `Cache-Control: no-store` (and private, no-cache) on every
  response to a signed-in user: those pages show personal data (ASVS 8.2.1).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from sumida_kokuho.security import in_resident_portal

SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN_AT = "_last_seen_at"


@receiver(user_logged_in, dispatch_uid="sumida_kokuho.session_times")
def _stamp_sign_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Every sign-in starts the 12-hour clock afresh (the session key was just cycled)."""
    session = getattr(request, "session", None)
    if session is None:
        return
    now = time.time()
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now


def session_expired(session: Any, now: float) -> bool:
    """True when the session has been idle or alive too long (missing times count as now)."""
    started = float(session.get(SIGNED_IN_AT, now))
    seen = float(session.get(LAST_SEEN_AT, now))
    return now - seen > settings.SESSION_IDLE_TIMEOUT or (
        now - started > settings.SESSION_ABSOLUTE_TIMEOUT
    )


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            session = request.session
            if session_expired(session, now):
                logout(request)  # flushes the session; request.user becomes anonymous
                messages.info(
                    request,
                    _("You were signed out because the session ended. Please sign in again."),
                )
            else:
                session.setdefault(SIGNED_IN_AT, now)
                session.setdefault(LAST_SEEN_AT, now)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> None:
        # A request is activity unless its view is a page's automatic refresh (`passive`).
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return
        if getattr(view_func, "session_passive", False):
            return
        now = time.time()
        session = request.session
        # Stamping marks the session modified, so it is saved and its expiry renewed; within
        # SESSION_ACTIVITY_STEP of the last stamp a request writes nothing.
        if now - float(session.get(LAST_SEEN_AT, 0)) >= settings.SESSION_ACTIVITY_STEP:
            session[LAST_SEEN_AT] = now


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's LoginRequiredMiddleware with the sign-in page chosen by the URL's namespace."""

    def handle_no_permission(self, request: HttpRequest, view_func: Any) -> HttpResponse:
        login_url = getattr(view_func, "login_url", None) or self.login_url_for(request)
        # Back to this page after signing in: its path (same site by construction).
        return redirect_to_login(
            request.get_full_path(), login_url, self.get_redirect_field_name(view_func)
        )

    @staticmethod
    def login_url_for(request: HttpRequest) -> str:
        if in_resident_portal(request):
            return reverse("portal:sign_in")
        match = getattr(request, "resolver_match", None)
        if match is not None and "admin" in match.namespaces:
            return reverse("admin:login")
        return reverse(settings.LOGIN_URL)


class NoStoreForSignedInMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
