"""The デジタル認証アプリ door: OpenID Connect authorization-code flow with PKCE (S256), state and
nonce, through Authlib's Django client, configured by the OIDC_* settings.

Authlib keeps state, nonce and the PKCE verifier in the session (single use: they are cleared
at the callback), and checks the ID token's signature against the provider's JWKS with the
provider's algorithms, its iss against the discovery document, aud against our client id, the
nonce, and exp/iat with `OIDC_LEEWAY` seconds of skew. Any failure is one `OidcFailure`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import requests
from authlib.integrations.base_client import OAuthError
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from joserfc.errors import JoseError

PROVIDER = "digital_auth"


class OidcFailure(Exception):
    """The provider said no, or something it sent did not check out."""


def is_configured() -> bool:
    return bool(settings.OIDC_METADATA_URL and settings.OIDC_CLIENT_ID)


@lru_cache(maxsize=4)
def _client(metadata_url: str, client_id: str, secret: str, scopes: str) -> DjangoOAuth2App:
    # One registry per configuration: the discovery document and JWKS are cached in it.
    oauth = OAuth()
    return oauth.register(  # type: ignore[no-any-return]
        PROVIDER,
        server_metadata_url=metadata_url,
        client_id=client_id,
        client_secret=secret,
        client_kwargs={"scope": scopes, "code_challenge_method": "S256", "timeout": 10},
    )


def client() -> DjangoOAuth2App:
    if not is_configured():
        raise ImproperlyConfigured("Set OIDC_ISSUER (or OIDC_METADATA_URL) and OIDC_CLIENT_ID.")
    return _client(
        settings.OIDC_METADATA_URL,
        settings.OIDC_CLIENT_ID,
        settings.OIDC_CLIENT_SECRET,
        settings.OIDC_SCOPES,
    )


def start(request: HttpRequest, redirect_uri: str) -> HttpResponse:
    """Redirect to the provider; state, nonce and the code verifier go into the session."""
    try:
        return client().authorize_redirect(request, redirect_uri)  # type: ignore[no-any-return]
    except (OAuthError, requests.RequestException, ValueError) as error:
        raise OidcFailure(str(error)) from error


def finish(request: HttpRequest) -> dict[str, Any]:
    """The verified claims of the provider's answer at our callback (with `sub`)."""
    app = client()
    try:
        token = app.authorize_access_token(request, leeway=settings.OIDC_LEEWAY)
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise OidcFailure("no ID token")
        if not claims.get("name"):
            # Some providers put the basic four items in userinfo only.
            extra = dict(app.userinfo(token=token))
            if extra.get("sub") != claims["sub"]:
                raise OidcFailure("userinfo for another subject")
            claims |= extra
    except (OAuthError, JoseError, requests.RequestException, ValueError, KeyError) as error:
        raise OidcFailure(f"{type(error).__name__}: {error}") from error
    return claims
