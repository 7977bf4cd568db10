"""A logging filter that keeps secrets and My Numbers out of every log line (ASVS 7.1.1).

`RedactingFilter` is installed on every handler in `settings.LOGGING`. Before a record is written
it renders the message with its arguments, the exception text and the stack, and replaces:

- the value after a sensitive name — PIN, password, passcode, secret, token, CSRF token, session
  id, activation code, authorization, cookie, API key — in the shapes it takes in log lines:
  `pin=1234`, `password: x`, `'password': 'x'`, `"pin": ["1234"]` (a QueryDict), `&code=…`, a
  `Cookie:` header and `Bearer …` credentials;
- a 12-digit My Number (with a valid check digit, sumida_kokuho.mynumber);
- a bare Django session key (32 lower-case letters and digits) or CSRF token (64 letters and
  digits with a capital in it), which a line can carry without a name in front of it.

Values are replaced by `[redacted]`; the rest of the line stays readable. The record is changed
in place, so that a handler added after it (the same record goes to each) sees the redacted text.
"""

from __future__ import annotations

import logging
import re
import traceback

from sumida_kokuho.mynumber import REDACTED, redact_my_numbers

# Names whose values are secret. "code" covers activation and one-time codes; "key" alone is not
# in the list (too many harmless keys), "api_key" and "session_key" are.
_NAMES = (
    r"pin(?:_?code)?|password\d?|passwd|passcode|pwd|secret|client_secret|token|access_token|"
    r"refresh_token|id_token|csrfmiddlewaretoken|csrftoken|csrf_token|x-csrftoken|sessionid|"
    r"session_key|session|api_key|apikey|authorization|otp|otp_token|code|activation_code|"
    r"new_password\d?|old_password"
)
# name=value / name: value / 'name': 'value' / "name": ["value"] / name=[value]. The name may
# carry a prefix (__Host-sessionid, X-CSRFToken). The value runs to the next separator.
_PAIR = re.compile(
    r"(?P<name>(?<![A-Za-z0-9_])(?:__Host-|__Secure-)?(?:" + _NAMES + r"))(?P<quote>['\"]?)"
    r"(?P<sep>\s*[=:]\s*\[?\s*)"
    r"(?P<value>'[^']*'|\"[^\"]*\"|[^\s&;,'\"\]\}\)]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
# A Cookie header: every value goes, whatever its name.
_COOKIE_HEADER = re.compile(r"(?i)\b(cookie\s*[:=]\s*)([^\r\n]+)")
_COOKIE_VALUE = re.compile(r"(=)([^;\s]+)")
# Django's session keys and CSRF tokens when a line holds them without a name.
_SESSION_KEY = re.compile(r"(?<![A-Za-z0-9])[a-z0-9]{32}(?![A-Za-z0-9])")
_CSRF_TOKEN = re.compile(r"(?<![A-Za-z0-9])(?=[A-Za-z0-9]*[A-Z])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


def _pair(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in {"'", '"'} else ""
    return (
        f"{match.group('name')}{match.group('quote')}{match.group('sep')}{quote}{REDACTED}{quote}"
    )


def redact(text: str) -> str:
    """`text` with secrets and My Numbers replaced by "[redacted]"."""
    if not text:
        return text
    # Bearer first: "Authorization: Bearer x" would otherwise lose only the word "Bearer".
    text = _BEARER.sub(rf"\1 {REDACTED}", text)
    text = _PAIR.sub(_pair, text)
    text = _COOKIE_HEADER.sub(
        lambda m: m.group(1) + _COOKIE_VALUE.sub(rf"\1{REDACTED}", m.group(2)), text
    )
    text = _CSRF_TOKEN.sub(REDACTED, text)
    text = _SESSION_KEY.sub(REDACTED, text)
    return redact_my_numbers(text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, exception and stack text with `redact`; drops nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: log what there is, redacted
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
