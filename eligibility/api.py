"""`POST /api/v1/assess`: the assessment contract over HTTP, for staff sessions and API tokens."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.translation import get_language_from_request
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from eligibility.assess_api import assess_payload
from sumida_kokuho.access import is_signed_in_staff
from sumida_kokuho.models import ApiToken
from sumida_kokuho.security import API_TOKEN_FAILURES_BY_ADDRESS, client_address, public


def _error(status: int, field: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"errors": [{"field": field, "message": message}]},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _token(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _refusal(request: HttpRequest) -> JsonResponse | None:
    """None when the caller may assess: a valid API token, or a verified staff session with CSRF."""
    plain = _token(request)
    if plain is not None:
        address = client_address(request)
        # Guessing tokens: after 10 wrong ones from an address, 15 minutes of 429s.
        if API_TOKEN_FAILURES_BY_ADDRESS.exceeded(address):
            response = _error(429, "Authorization", _("Too many attempts. Try again later."))
            response["Retry-After"] = "900"
            return response
        token = ApiToken.authenticate(plain)
        if token is None:
            API_TOKEN_FAILURES_BY_ADDRESS.hit(address)
            return _error(401, "Authorization", _("The API token is not valid."))
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return None
    if not is_signed_in_staff(request.user):  # staff, active, and verified by the second factor
        response = _error(401, "Authorization", _("Sign in as staff or send an API token."))
        response["WWW-Authenticate"] = 'Bearer realm="sumida-kokuho"'
        return response
    csrf = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})  # type: ignore[arg-type]
    if csrf is not None:
        return _error(403, "csrf", _("The CSRF check failed; reload the page and try again."))
    return None


@public
@csrf_exempt  # token callers have no cookie; session callers are checked in _refusal
@require_POST
def assess_view(request: HttpRequest) -> JsonResponse:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    language = "en" if get_language_from_request(request).startswith("en") else "ja"
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(400, "request", _("The request body is not valid JSON."))
    answer = assess_payload(payload, language)
    status = 400 if isinstance(answer, dict) and "errors" in answer else 200
    return JsonResponse(
        answer, status=status, safe=False, json_dumps_params={"ensure_ascii": False}
    )
