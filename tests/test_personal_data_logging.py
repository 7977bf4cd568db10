"""No PIN, password, session id, CSRF token or My Number reaches a log line (ASVS 7.1.1).

The secrets are fed through every configured logger — Django's request and security loggers
(with a real request's POST data, cookies and headers), django-axes, the apps' loggers and the
root — and the output of the handlers LOGGING configures is searched for them.
"""

from __future__ import annotations

import io
import logging

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import path

from sumida_kokuho.logging import RedactingFilter, redact

PIN = "4719"
PASSWORD = "Sumida-Secret-Passw0rd"  # noqa: S105
SESSION_ID = "k3v9q0w2e8r7t6y5u4i3o2p1a0s9d8f7"  # 32 lower-case letters and digits, as Django's
CSRF_TOKEN = "Qm9DdW1pZGFLb2t1aG9Dc3JmVG9rZW5Gb3JUZXN0aW5nT25seTEyMzQ1Njc4OTAx"
MY_NUMBER = "123456789018"
ACTIVATION_CODE = "K7QP-2MXD-9RTA"
API_TOKEN = "tok_Zq81LmN0pQrStUvWxYz"
SECRETS = [
    PIN,
    PASSWORD,
    SESSION_ID,
    CSRF_TOKEN,
    MY_NUMBER,
    "1234 5678 9018",
    ACTIVATION_CODE,
    API_TOKEN,
]

LOGGERS = [
    "",  # root
    "django",
    "django.request",
    "django.security",
    "django.security.csrf",
    "django.server",
    "axes",
    "axes.watch_login",
    "sumida_kokuho",
    "eligibility",
    "eligibility.portal",
    "cards",
    "cards.reader",
    "notices",
    "notices.batch",
    "notices.imports",
]


def _boom(request):  # type: ignore[no-untyped-def]
    raise RuntimeError(f"failed with pin={request.POST.get('pin')} password={PASSWORD}")


urlpatterns = [path("boom/", _boom)]


@pytest.fixture
def captured():
    """Every handler LOGGING configured now writes to one buffer (its filters stay as they are)."""
    buffer = io.StringIO()
    handlers = {
        handler
        for name in LOGGERS
        for handler in logging.getLogger(name or None).handlers
        if isinstance(handler, logging.StreamHandler)
    }
    assert handlers, "LOGGING configures no stream handler"
    old = {handler: handler.setStream(buffer) for handler in handlers}
    yield buffer
    for handler, stream in old.items():
        handler.setStream(stream)


def assert_clean(output: str) -> None:
    for secret in SECRETS:
        assert secret not in output, f"{secret!r} reached the log:\n{output}"


def test_every_handler_in_logging_has_the_filter():
    for name, handler in settings.LOGGING["handlers"].items():
        assert "redact" in handler.get("filters", []), name
    assert settings.LOGGING["filters"]["redact"]["()"] == "sumida_kokuho.logging.RedactingFilter"


def test_every_live_handler_of_the_loggers_redacts():
    # Django's default handlers (without the filter) must have been replaced on its loggers.
    for name in LOGGERS:
        logger = logging.getLogger(name or None)
        while logger is not None:
            for handler in logger.handlers:
                # pytest's own capturing handlers are not the application's.
                if isinstance(handler, logging.NullHandler) or type(handler).__module__.startswith(
                    "_pytest"
                ):
                    continue
                assert any(isinstance(f, RedactingFilter) for f in handler.filters), (
                    f"{handler!r} on logger {logger.name!r} has no RedactingFilter"
                )
            logger = logger.parent if logger.propagate else None


@pytest.mark.parametrize("name", LOGGERS)
def test_secrets_fed_to_each_logger_never_appear(captured, name):
    logger = logging.getLogger(name or None)
    post = {
        "username": "clerk_a",
        "password": PASSWORD,
        "pin": PIN,
        "csrfmiddlewaretoken": CSRF_TOKEN,
        "code": ACTIVATION_CODE,
    }
    logger.error("POST %s", post)
    logger.error("query: pin=%s&password=%s&next=/", PIN, PASSWORD)
    logger.error("Cookie: __Host-sessionid=%s; __Host-csrftoken=%s", SESSION_ID, CSRF_TOKEN)
    logger.error(
        "headers {'HTTP_X_CSRFTOKEN': '%s', 'Authorization': 'Bearer %s'}", CSRF_TOKEN, API_TOKEN
    )
    logger.error("session %s ended", SESSION_ID)
    logger.error("search for %s and 1234 5678 9018 refused", MY_NUMBER)
    logger.error('{"pin": "%s", "password": "%s"}', PIN, PASSWORD)
    try:
        raise ValueError(f"bad value password={PASSWORD} my number {MY_NUMBER}")
    except ValueError:
        logger.exception("it failed for PIN: %s", PIN)
    logger.error("stack", stack_info=True, extra={"note": "x"})
    output = captured.getvalue()
    assert "[redacted]" in output
    assert "clerk_a" in output  # the rest of the line stays readable
    assert_clean(output)


@override_settings(ROOT_URLCONF=__name__, DEBUG_PROPAGATE_EXCEPTIONS=False)
def test_a_real_request_failing_with_post_data_logs_no_secret(captured):
    # django.request logs the 500 with its traceback; the exception message carries the secrets.
    client = Client(raise_request_exception=False)
    client.cookies["__Host-sessionid"] = SESSION_ID
    response = client.post(
        "/boom/",
        {"pin": PIN, "password": PASSWORD, "csrfmiddlewaretoken": CSRF_TOKEN, "no": MY_NUMBER},
    )
    assert response.status_code == 500
    output = captured.getvalue()
    assert "Internal Server Error: /boom/" in output
    assert "RuntimeError" in output
    assert_clean(output)


@pytest.mark.django_db
def test_a_csrf_failure_logs_no_secret(captured):
    # django.security.csrf warns about the refused POST.
    client = Client(enforce_csrf_checks=True)
    client.cookies["__Host-sessionid"] = SESSION_ID
    response = client.post("/staff/login/", {"username": "x", "password": PASSWORD, "code": PIN})
    assert response.status_code == 403
    output = captured.getvalue()
    assert "Forbidden (CSRF" in output
    assert_clean(output)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("status_code=500 opinion: fine shipping=3", "status_code=500 opinion: fine shipping=3"),
        ("sha256=" + "ab" * 32, "sha256=" + "ab" * 32),  # a digest (lower-case hex) is kept
        ("person 42 viewed at honcho-1", "person 42 viewed at honcho-1"),
    ],
)
def test_harmless_text_is_left_alone(text, kept):
    assert redact(text) == kept


def test_redaction_does_not_drop_records(captured):
    logging.getLogger("sumida_kokuho").warning("one line")
    assert "one line" in captured.getvalue()
