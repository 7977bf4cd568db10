"""The provider's endpoints: discovery, JWKS, authorize (a form), token and userinfo."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode, urlsplit

from django import forms
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from joserfc import jwt
from joserfc.jwk import RSAKey

from sumida_kokuho.security import public

KEY_ID = "fake-oidc-1"
CODE_SALT = "fake_oidc.code"
ACCESS_SALT = "fake_oidc.access"
CODE_LIFETIME = 120  # seconds

MISBEHAVIOURS = [
    ("", "Behave correctly"),
    ("bad_iss", "Wrong issuer (iss)"),
    ("bad_aud", "Wrong audience (aud)"),
    ("bad_nonce", "Wrong nonce"),
    ("expired", "Expired ID token"),
    ("bad_signature", "ID token signed with another key"),
    ("deny", "Refuse the sign-in (error=access_denied)"),
]


@lru_cache(maxsize=2)
def signing_key(kid: str = KEY_ID) -> RSAKey:
    """A throwaway key, made once per process: tokens from a restarted demo stop verifying."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


def issuer() -> str:
    return str(settings.OIDC_ISSUER).rstrip("/")


@public
@require_safe
def discovery(request: HttpRequest) -> JsonResponse:
    base = issuer()
    return JsonResponse(
        {
            "issuer": base,
            "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token",
            "userinfo_endpoint": f"{base}/userinfo",
            "jwks_uri": f"{base}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "name", "address", "birthdate", "gender"],
        }
    )


@public
@require_safe
def jwks(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"keys": [signing_key().as_dict(private=False)]})


class IdentityForm(forms.Form):
    """Who the fake app says the resident is: the subject and the basic four items."""

    sub = forms.CharField(label="Subject (pairwise id)", max_length=255)
    name = forms.CharField(label="Name", max_length=100)
    address = forms.CharField(label="Address", max_length=200)
    birthdate = forms.DateField(label="Date of birth (YYYY-MM-DD)")
    gender = forms.ChoiceField(label="Sex", choices=[("male", "male"), ("female", "female")])
    misbehave = forms.ChoiceField(label="Behaviour", choices=MISBEHAVIOURS, required=False)


_REQUIRED_PARAMETERS = ("client_id", "redirect_uri", "state", "nonce", "code_challenge")


def _registered_redirect_uri(request: HttpRequest, uri: str) -> bool:
    """Like a real provider, send codes only to the client's registered callback: the portal's
    callback on this site (never to another host: no open redirect)."""
    if not url_has_allowed_host_and_scheme(uri, allowed_hosts={request.get_host()}):
        return False
    parts = urlsplit(uri)
    return bool(parts.scheme and parts.netloc) and parts.path == reverse("portal:oidc_callback")


def _authorization_problem(request: HttpRequest, params: Any) -> str | None:
    if params.get("response_type") != "code":
        return "response_type must be code"
    missing = [name for name in _REQUIRED_PARAMETERS if not params.get(name)]
    if missing:
        return "missing " + ", ".join(missing)
    if params.get("code_challenge_method") != "S256":
        return "code_challenge_method must be S256"
    if params.get("client_id") != settings.OIDC_CLIENT_ID:
        return "unknown client_id"
    if not _registered_redirect_uri(request, params.get("redirect_uri", "")):
        return "redirect_uri is not registered"
    if "openid" not in params.get("scope", "").split():
        return "scope must include openid"
    return None


@public
@require_http_methods(["GET", "HEAD", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    params = request.GET if request.method != "POST" else request.POST
    problem = _authorization_problem(request, params)
    if problem:
        return HttpResponse(problem, status=400, content_type="text/plain")
    # Typed in already: the demo resident of the seeded showcase (eligibility.demo.residents).
    from eligibility.demo.residents import app_identity

    form = IdentityForm(request.POST if request.method == "POST" else None, initial=app_identity())
    if request.method != "POST" or not form.is_valid():
        hidden = {name: params.get(name, "") for name in (*_REQUIRED_PARAMETERS, "scope")}
        hidden |= {"response_type": "code", "code_challenge_method": "S256"}
        return render(request, "fake_oidc/authorize.html", {"form": form, "hidden": hidden})
    data = form.cleaned_data
    query: dict[str, str] = {"state": params["state"]}
    if data["misbehave"] == "deny":
        query |= {"error": "access_denied", "error_description": "The resident cancelled."}
    else:
        query["code"] = signing.dumps(
            {
                "claims": {
                    "sub": data["sub"],
                    "name": data["name"],
                    "address": data["address"],
                    "birthdate": data["birthdate"].isoformat(),
                    "gender": data["gender"],
                },
                "nonce": params["nonce"],
                "client_id": params["client_id"],
                "redirect_uri": params["redirect_uri"],
                "code_challenge": params["code_challenge"],
                "misbehave": data["misbehave"],
            },
            salt=CODE_SALT,
        )
    return HttpResponseRedirect(f"{params['redirect_uri']}?{urlencode(query)}")


def _client_credentials(request: HttpRequest) -> tuple[str, str]:
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        decoded = base64.b64decode(header[6:]).decode()
        client_id, _, secret = decoded.partition(":")
        return client_id, secret
    return request.POST.get("client_id", ""), request.POST.get("client_secret", "")


def _error(code: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": code}, status=status)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _id_token(grant: dict[str, Any]) -> str:
    now = int(time.time())
    misbehave = grant["misbehave"]
    claims = dict(grant["claims"])
    claims |= {
        "iss": issuer() + ("/evil" if misbehave == "bad_iss" else ""),
        "aud": "someone-else" if misbehave == "bad_aud" else grant["client_id"],
        "nonce": "not-the-nonce" if misbehave == "bad_nonce" else grant["nonce"],
        "iat": now - 7200 if misbehave == "expired" else now,
        "exp": now - 3600 if misbehave == "expired" else now + 300,
        "auth_time": now,
    }
    key = signing_key("fake-oidc-other") if misbehave == "bad_signature" else signing_key()
    # The wrong key still claims the right kid: only the signature gives it away.
    return jwt.encode({"alg": "RS256", "kid": KEY_ID}, claims, key)


@public
@csrf_exempt  # a back-channel call from the client, authenticated by its secret
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    client_id, secret = _client_credentials(request)
    if client_id != settings.OIDC_CLIENT_ID or not hmac.compare_digest(
        secret.encode(), str(settings.OIDC_CLIENT_SECRET).encode()
    ):
        return _error("invalid_client", 401)
    if request.POST.get("grant_type") != "authorization_code":
        return _error("unsupported_grant_type")
    code = request.POST.get("code", "")
    try:
        grant = signing.loads(code, salt=CODE_SALT, max_age=CODE_LIFETIME)
    except signing.BadSignature:
        return _error("invalid_grant")
    # A code works once.
    if not cache.add("fake_oidc:code:" + hashlib.sha256(code.encode()).hexdigest(), 1, 600):
        return _error("invalid_grant")
    if grant["client_id"] != client_id or grant["redirect_uri"] != request.POST.get("redirect_uri"):
        return _error("invalid_grant")
    verifier = request.POST.get("code_verifier", "")
    if not verifier or not hmac.compare_digest(_s256(verifier), grant["code_challenge"]):
        return _error("invalid_grant")
    access = signing.dumps({"claims": grant["claims"]}, salt=ACCESS_SALT)
    return JsonResponse(
        {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": _id_token(grant),
            "scope": "openid name address birthdate gender",
        },
        headers={"Cache-Control": "no-store"},
    )


@public
@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> JsonResponse:
    header = request.headers.get("Authorization", "")
    try:
        data = signing.loads(header.removeprefix("Bearer "), salt=ACCESS_SALT, max_age=300)
    except signing.BadSignature:
        return _error("invalid_token", 401)
    return JsonResponse(data["claims"])
