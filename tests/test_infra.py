"""Infrastructure: test settings, CI strictness for marked tests, the insurer number check, URLs."""

from __future__ import annotations

from importlib.util import find_spec
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse
from pytest_django import Settings

from sumida_kokuho.checks import check_insurer_number
from sumida_kokuho.insurer import insurer_check_digit, is_valid_insurer_number

# --- Settings in tests -------------------------------------------------------------------------


def test_tests_run_with_safe_settings_without_anything_exported() -> None:
    assert django_settings.DEBUG is False
    assert django_settings.SECRET_KEY
    assert django_settings.SECURE_SSL_REDIRECT is False
    assert django_settings.TIME_ZONE == "Asia/Tokyo"
    assert django_settings.LANGUAGE_CODE == "ja"


# --- CI turns skipped reader/browser/race/crash tests into failures ---------------------------

CONFTEST = (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8")
INNER_INI = """
[pytest]
markers =
    reader: needs the card reader
    browser: needs Chromium
    race: needs PostgreSQL
    crash: kills workers
"""
INNER_TESTS = """
import pytest

@pytest.mark.reader
@pytest.mark.skip(reason="no pcscd here")
def test_reads_the_card():
    pass

@pytest.mark.browser
def test_clicks_through():
    pytest.skip("no chromium here")

@pytest.mark.race
@pytest.mark.xfail(reason="known race", strict=True)
def test_known_race():
    assert False

@pytest.mark.skip(reason="unrelated to CI")
def test_plain_skip():
    pass

def test_passes():
    pass
"""


@pytest.fixture
def inner_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INNER_INI)
    pytester.makepyfile(test_marked=INNER_TESTS)
    return pytester


def run_inner(pytester: pytest.Pytester) -> pytest.RunResult:
    # The inner run needs no Django: only the hooks of conftest.py are under test.
    return pytester.runpytest("-p", "no:django", "-p", "no:cacheprovider", "-rsfE")


def test_marked_tests_skip_with_their_reason_outside_ci(
    inner_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    result = run_inner(inner_suite)
    result.assert_outcomes(passed=1, skipped=3, xfailed=1)
    result.stdout.fnmatch_lines(["*no pcscd here*", "*no chromium here*"])
    assert result.ret == 0


def test_marked_tests_that_skip_fail_under_ci(
    inner_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = run_inner(inner_suite)
    # A skip decided in set-up (a skip marker) counts as an error, one inside the test as a
    # failure; the unmarked skip stays a skip and the xfail stays an xfail.
    result.assert_outcomes(passed=1, skipped=1, failed=1, errors=1, xfailed=1)
    result.stdout.fnmatch_lines(
        [
            "*CI=true: a test marked reader must run in CI, but it was skipped: no pcscd here*",
            "*CI=true: a test marked browser must run in CI, but it was skipped: no chromium here*",
        ]
    )
    assert result.ret != 0


def test_a_marked_module_that_skips_itself_fails_under_ci(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makeini(INNER_INI)
    pytester.makepyfile(
        test_reader_module="""
import pytest
pytestmark = pytest.mark.reader
pytest.importorskip("no_such_smartcard_library")

def test_reads_the_card():
    pass
""",
        test_other="def test_passes():\n    pass\n",
    )
    monkeypatch.delenv("CI", raising=False)
    run_inner(pytester).assert_outcomes(passed=1, skipped=1)

    monkeypatch.setenv("CI", "true")
    result = run_inner(pytester)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*test_reader_module.py uses the reader marker*"])


# --- 保険者番号 check digit ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_digits", "check"),
    [("3312001", 5), ("13107", 8), ("0", 0), ("5", 9), ("9", 1), ("1", 8)],
)
def test_insurer_check_digit_weights_two_one_from_the_right(data_digits: str, check: int) -> None:
    assert insurer_check_digit(data_digits) == check


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("131078", True),  # Sumida NHI
        ("131077", False),
        ("33120015", True),  # the worked example
        ("33120016", False),
        ("13107", False),  # too short
        ("1310788", False),  # 7 digits: neither NHI nor other insurers
        ("１３１０７８", False),  # full width: normalise before asking
        ("13107a", False),
        ("", False),
    ],
)
def test_is_valid_insurer_number(number: str, valid: bool) -> None:
    assert is_valid_insurer_number(number) is valid


def test_insurer_check_digit_refuses_non_digits() -> None:
    with pytest.raises(ValueError, match="digits"):
        insurer_check_digit("13a07")


def test_the_default_insurer_number_passes_the_system_check() -> None:
    assert check_insurer_number() == []


def test_system_check_errors_on_a_bad_insurer_number(settings: Settings) -> None:
    settings.INSURER_NUMBER = "131077"
    errors = [m for m in run_checks() if m.id == "sumida_kokuho.E001"]
    assert len(errors) == 1
    assert "131077" in errors[0].msg


# --- URLs -------------------------------------------------------------------------------------


def test_home_and_language_switch_urls() -> None:
    assert reverse("home") == "/"
    assert reverse("set_language") == "/i18n/setlang/"
    assert reverse("admin:login") == "/admin/login/"


@pytest.mark.skipif(find_spec("eligibility.api_urls") is None, reason="API not written yet")
def test_api_is_mounted_under_api_v1_once_it_exists() -> None:
    from django.urls import get_resolver

    prefixes = [str(p.pattern) for p in get_resolver().url_patterns]
    assert "api/v1/" in prefixes


def test_admin_sign_in_page_renders(client: Client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 200


def test_demo_code_prints_the_code_an_app_would_show_only_with_debug(settings, db, capsys):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from tests.factories.staff import TOTPDeviceFactory, totp_code

    device = TOTPDeviceFactory()
    settings.DEBUG = True
    call_command("demo_code", device.user.username)
    printed = capsys.readouterr().out.split()[0]
    assert printed in {totp_code(device), totp_code(device, steps_ahead=-1)}
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("demo_code", device.user.username)


def _environment_without_keys():
    import os

    drop = {"SECRET_KEY", "DEBUG", "SUMIDA_KOKUHO_COMMAND_LINE", "DJANGO_SETTINGS_MODULE"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def test_commands_work_without_a_secret_key_but_the_web_server_does_not():
    import json
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    request = {
        "as_of": "2026-11-26",
        "person": {"birth_date": "1980-05-05", "enrolled_on": "2015-04-01"},
    }
    command = subprocess.run(
        [sys.executable, "manage.py", "assess", "-"],
        cwd=root,
        input=json.dumps(request),
        capture_output=True,
        text=True,
        env=_environment_without_keys(),
        check=False,
    )
    assert command.returncode == 0, command.stderr[-500:]
    assert json.loads(command.stdout)["burden_ratio"] == 30
    server = subprocess.run(
        [sys.executable, "-c", "import sumida_kokuho.wsgi"],
        cwd=root,
        capture_output=True,
        text=True,
        env=_environment_without_keys(),
        check=False,
    )
    assert server.returncode != 0
    assert "Set SECRET_KEY" in server.stderr
