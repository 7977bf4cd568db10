"""Small security helpers shared by the views: marking public views, safe return URLs, and a
cache-based rate limit for the forms django-axes does not guard.

- `passive(view)`: the view is a page's automatic refresh; it does not keep the session alive.
- `public(view)`: the view is open to anonymous visitors (LoginRequiredMiddleware lets them
  through). Every public URL is also listed in tests/test_security_login_required.py, so a new
  public page is a decision someone wrote down.
- `safe_next_url(request, candidate, fallback)`: the candidate if it stays on this site (same
  host, and https when the request was), else the fallback: no open redirects.
- `RateLimit`: at most `limit` hits per `window` seconds for one key (e.g. one address), counted
  in Django's cache; `hit()` says whether this one is still allowed.
- `too_many_requests(request)`: the translated 429 page.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

View = TypeVar("View", bound=Callable[..., Any])


def public(view: View) -> View:
    """Mark `view` as open to anonymous visitors (Django's `login_not_required`)."""
    return login_not_required(view)  # type: ignore[no-any-return]


def passive(view: View) -> View:
    """Mark `view` as a page's automatic refresh (polling): its requests do not count as
    activity, so a page left open still reaches the 30-minute idle timeout."""
    view.session_passive = True  # type: ignore[attr-defined]
    return view


def is_public(view: Any) -> bool:
    """True when LoginRequiredMiddleware lets anonymous visitors reach `view`."""
    return not getattr(view, "login_required", True)


def safe_next_url(request: HttpRequest, candidate: str | None, fallback: str) -> str:
    """`candidate` when it is a path or URL on this site (no scheme change to http), else
    `fallback`. Refuses `//evil.example`, `https://evil.example`, `/\\evil.example`,
    `javascript:` and anything with control characters."""
    candidate = (candidate or "").strip()
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def client_address(request: HttpRequest) -> str:
    """The address django-axes uses for this request (the same proxy settings)."""
    from axes.helpers import get_client_ip_address

    return str(get_client_ip_address(request) or "")


@dataclass(frozen=True)
class RateLimit:
    """At most `limit` hits in `window` seconds per key (a fixed window, in the default cache).

    With several server processes the cache must be shared between them (CACHE_URL, see the
    README); the per-process memory cache of the demo counts per process.
    """

    name: str
    limit: int
    window: int

    def _cache_key(self, key: str) -> str:
        bucket = int(time.time()) // self.window
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no personal data in cache keys
        return f"ratelimit:{self.name}:{bucket}:{digest}"

    def hit(self, key: str) -> bool:
        """Count one hit for `key`; True while it is within the limit."""
        cache_key = self._cache_key(key)
        if cache.add(cache_key, 1, self.window + 1):
            count = 1
        else:
            try:
                count = cache.incr(cache_key)
            except ValueError:  # expired between add and incr
                cache.add(cache_key, 1, self.window + 1)
                count = 1
        return count <= self.limit

    def exceeded(self, key: str) -> bool:
        """True when `key` has used up its hits (without counting one)."""
        count = cache.get(self._cache_key(key), 0)
        return int(count) >= self.limit


# Limits of the forms and endpoints django-axes does not cover (per client address unless said).
PASSWORD_RESET_BY_ADDRESS = RateLimit("password_reset_ip", limit=5, window=15 * 60)
PASSWORD_RESET_BY_EMAIL = RateLimit("password_reset_email", limit=3, window=60 * 60)
APPLICATION_BY_USER = RateLimit("application_user", limit=10, window=60 * 60)
OIDC_BY_ADDRESS = RateLimit("oidc_ip", limit=60, window=5 * 60)  # start + return: 30 sign-ins
API_TOKEN_FAILURES_BY_ADDRESS = RateLimit("api_token_fail_ip", limit=10, window=15 * 60)
# Counting the statistics afresh reads every period of coverage (seconds on a million persons).
STATISTICS_COUNTS_BY_USER = RateLimit("statistics_count_user", limit=30, window=60 * 60)


def in_resident_portal(request: HttpRequest) -> bool:
    """True for a URL of the resident portal (namespace "portal"), whatever its mount point."""
    match = getattr(request, "resolver_match", None)
    return bool(match is not None and "portal" in match.namespaces)


def too_many_requests(request: HttpRequest) -> HttpResponse:
    """The translated "too many attempts" page, status 429."""
    response = render(request, "too_many_requests.html", status=429)
    response["Retry-After"] = "900"
    return response


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """django-axes' lockout page (AXES_LOCKOUT_CALLABLE): the resident portal's own page under
    /portal/, the general one elsewhere (staff sign-in, admin); status 429 either way."""
    if in_resident_portal(request):
        response = render(request, "portal/locked_out.html", status=429)
        response["Retry-After"] = "900"
        return response
    return too_many_requests(request)
