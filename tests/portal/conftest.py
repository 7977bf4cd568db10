"""Fixtures of the resident portal tests: households with residents, and the fake OpenID
provider reachable from Authlib's HTTP client without a network (helpers live in helpers.py:
this module is loaded before Django is set up, so it imports models only inside fixtures)."""

from __future__ import annotations

from datetime import date as _date
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

TEST_ISSUER = "http://testserver/fake-oidc"


class DjangoViewAdapter(requests.adapters.BaseAdapter):
    """Answers requests to http://testserver/ by calling the Django view in-process.

    The views are called directly (no middleware, no request signals), which is all the fake
    provider's back-channel endpoints need.
    """

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = urlsplit(request.url or "")
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        from django.test import RequestFactory

        django_request = RequestFactory().generic(
            request.method or "GET",
            url.path + (f"?{url.query}" if url.query else ""),
            data=body,
            content_type=headers.pop("Content-Type", "application/octet-stream"),
            headers=headers,
        )
        from django.test import RequestFactory
        from django.urls import resolve

        match = resolve(url.path)
        answer = match.func(django_request, *match.args, **match.kwargs)
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(dict(answer.items()))
        response.raw = BytesIO(answer.content)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def _empty_cache():  # type: ignore[no-untyped-def]
    """Every test starts with an empty cache: cached pages of a rolled-back test (whose ids the
    next test may reuse) must not be served."""
    from django.core.cache import caches

    for alias in caches:
        caches[alias].clear()
    yield
    for alias in caches:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def fake_provider(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The OIDC settings point at the fake provider under http://testserver/fake-oidc."""
    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> Any:
        if url.startswith("http://testserver/"):
            return DjangoViewAdapter()
        return original(self, url)

    from django.test import override_settings

    from eligibility.portal import oidc

    monkeypatch.setattr(requests.Session, "get_adapter", get_adapter)
    oidc._client.cache_clear()
    with override_settings(
        OIDC_ISSUER=TEST_ISSUER,
        OIDC_METADATA_URL=f"{TEST_ISSUER}/.well-known/openid-configuration",
        OIDC_CLIENT_ID="sumida-kokuho-test",
        OIDC_CLIENT_SECRET="test-secret",  # noqa: S106
    ):
        yield
    oidc._client.cache_clear()


@pytest.fixture
def family(db: None) -> dict[str, Any]:
    """A householder with a My Number insurance card and a spouse holding a certificate."""
    from tests.factories import CertificateFactory, HouseholdFactory, MyNumberCardFactory
    from tests.portal.helpers import insured

    household = HouseholdFactory()
    head = insured(household=household, birth_date=_date(1960, 5, 20), sex="1")
    MyNumberCardFactory(person=head)
    spouse = insured(household=household, birth_date=_date(1962, 8, 3), sex="2")
    CertificateFactory(person=spouse, issued_on=_date(2025, 9, 1), valid_until=_date(2027, 9, 30))
    return {"head": head, "spouse": spouse}


@pytest.fixture
def neighbours(db: None) -> dict[str, Any]:
    """Another household, to prove nobody sees it."""
    from tests.factories import HouseholdFactory
    from tests.portal.helpers import insured

    household = HouseholdFactory()
    head = insured(household=household, birth_date=_date(1970, 1, 15), sex="2")
    child = insured(household=household, birth_date=_date(2005, 3, 3), sex="1")
    return {"head": head, "child": child}
