"""The Content-Security-Policy in headless Chromium: the staff pages, the admin and the fake
OpenID provider run without a single CSP refusal on the console (scripts moved to static files,
inline styles with the nonce); and the console check itself sees a refusal when there is one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.factories import HouseholdFactory, InsuredPersonFactory
from tests.factories.staff import TOTPDeviceFactory, staff_in_role, totp_code
from tests.portal.helpers import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (scripts/_setup.sh installs it)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with playwright_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _tab(browser, live_server):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="ja-JP")
    tab = context.new_page()
    refusals: list[str] = []
    tab.on(
        "console",
        lambda m: (
            refusals.append(f"{tab.url}: {m.text}") if "Content Security Policy" in m.text else None
        ),
    )
    return context, tab, refusals


def _sign_in_staff(tab, live_server, user) -> None:  # type: ignore[no-untyped-def]
    """Through the staff sign-in page, as a clerk would (password, code, counter)."""
    user.set_password(PASSWORD)
    user.save()
    device = TOTPDeviceFactory(user=user)
    tab.goto(f"{live_server.url}/staff/login/")
    tab.fill("#id_username", user.get_username())
    tab.fill("#id_password", PASSWORD)
    tab.fill("#id_code", totp_code(device))
    tab.select_option("#id_counter", "honcho-1")
    tab.click("main form button[type=submit]")
    tab.wait_for_url("**/staff/")


def _open(tab, url: str) -> None:  # type: ignore[no-untyped-def]
    response = tab.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
    tab.wait_for_load_state("load")


def test_the_console_check_sees_a_refusal(browser, live_server):
    context, tab, refusals = _tab(browser, live_server)
    probe = f"{live_server.url}/csp-probe"
    tab.route(
        probe,
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Security-Policy": "script-src 'self'", "Content-Type": "text/html"},
            body="<!doctype html><title>probe</title><script>document.title='ran'</script>",
        ),
    )
    tab.goto(probe)
    tab.wait_for_load_state("load")
    assert tab.title() == "probe"  # the inline script was refused
    assert refusals, "the console listener missed a CSP refusal"
    context.close()


def test_staff_pages_and_the_admin_have_no_csp_refusal(browser, live_server, admin_user):
    person = InsuredPersonFactory(household=HouseholdFactory())
    context, tab, refusals = _tab(browser, live_server)
    _sign_in_staff(tab, live_server, admin_user)
    for path in (
        "/staff/",
        f"/counter/person/{person.pk}/",
        f"/counter/household/{person.household_id}/",
        "/counter/reader/honcho-1/",
        "/data/stats/",
        "/batch/",
        "/admin/",
        "/admin/auth/user/",
        f"/admin/auth/user/{admin_user.pk}/change/",
        "/admin/sumida_kokuho/auditevent/",  # a read-only list
        "/admin/auth/user/add/",
    ):
        _open(tab, live_server.url + path)
    assert tab.locator("#user_form").count() == 1  # the admin form rendered, scripts ran
    context.close()
    assert refusals == []


def test_a_counter_page_with_inline_styles_is_styled(browser, live_server):
    # The nonce lets the page's own <style> in: its rules apply.
    person = InsuredPersonFactory(household=HouseholdFactory())
    context, tab, refusals = _tab(browser, live_server)
    _sign_in_staff(tab, live_server, staff_in_role("counter"))
    _open(tab, f"{live_server.url}/counter/person/{person.pk}/")
    display = tab.evaluate(
        "() => getComputedStyle(document.querySelector('.counter-nav ul')).display"
    )
    assert display == "flex"
    context.close()
    assert refusals == []


def test_the_public_pages_and_the_fake_provider_have_no_csp_refusal(browser, live_server):
    context, tab, refusals = _tab(browser, live_server)
    for path in ("/", "/staff/login/", "/admin/login/", "/portal/sign-in/", "/portal/activate/"):
        _open(tab, live_server.url + path)
    tab.click("button[lang=en]")  # the language switch posts a form (form-action 'self')
    tab.wait_for_load_state("load")
    assert tab.locator("html").get_attribute("lang") == "en"
    context.close()
    assert refusals == []
