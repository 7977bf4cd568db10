"""The portal in headless Chromium: the main journeys, keyboard use, and zero axe-core violations
on every resident page. Screenshots of the main pages go to test-artifacts/portal/.

Debian's /usr/bin/chromium driven by Playwright (never a downloaded browser); axe-core comes from
the npm registry into var/axe/ (gitignored) the first time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation
from django.utils.translation import gettext

from eligibility.portal.forms import ResidentSignInForm
from eligibility.services import issue_activation_code
from tests.portal.helpers import PASSWORD, resident_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
AXE_DIR = Path(settings.BASE_DIR) / "var" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "portal"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def _axe_script() -> Path:
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is missing: cannot install axe-core")
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(AXE_DIR), "axe-core@4"],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return AXE_JS


@pytest.fixture(scope="module")
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (scripts/_setup.sh installs it)")
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the tests (and
    # the database flush after each) are still synchronous and safe.
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


@pytest.fixture
def page(browser, live_server):
    issuer = f"{live_server.url}/fake-oidc"
    with override_settings(
        OIDC_ISSUER=issuer, OIDC_METADATA_URL=f"{issuer}/.well-known/openid-configuration"
    ):
        from eligibility.portal import oidc

        oidc._client.cache_clear()
        context = browser.new_context(locale="ja-JP", viewport={"width": 1024, "height": 800})
        tab = context.new_page()
        tab.base = live_server.url  # type: ignore[attr-defined]
        # Chromium reports every Content-Security-Policy refusal on the console.
        tab.csp_violations = []  # type: ignore[attr-defined]
        tab.on("console", lambda message: _note_csp_violation(tab, message.text))
        yield tab
        context.close()


def _note_csp_violation(page, text: str) -> None:
    if "Content Security Policy" in text:
        page.csp_violations.append(f"{page.url}: {text}")


def check_axe(page, name: str) -> None:
    """No Content-Security-Policy refusal so far and zero axe-core violations on the page as
    shown; a screenshot for the record."""
    assert page.csp_violations == [], f"{name}: {page.csp_violations}"
    # Evaluated through the DevTools protocol, which the page's CSP does not govern (an added
    # <script> tag would be refused by the policy, rightly).
    page.evaluate(_axe_script().read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    violations = [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert violations == [], f"{name}: {json.dumps(violations, ensure_ascii=False, indent=1)}"


def go(page, path: str) -> None:
    page.goto(page.base + path)


@pytest.fixture
def household(family):
    return family


def test_activate_then_sign_in_view_status_apply_and_switch_language(page, household):
    spouse = household["spouse"]
    head = household["head"]
    _row, code = issue_activation_code(person=head, by=None)

    go(page, "/portal/sign-in/")
    check_axe(page, "sign-in")
    go(page, "/portal/help/")
    check_axe(page, "help")

    go(page, "/portal/activate/")
    check_axe(page, "activate")
    page.click("#activation-form button[type=submit]")  # empty: the error summary
    assert page.locator("#error-summary").is_visible()
    check_axe(page, "activate-errors")
    page.fill("#id_symbol", head.household.symbol)
    page.fill("#id_number", head.household.number)
    page.fill("#id_branch", head.branch)
    page.fill("#id_birth_year", str(head.birth_date.year))
    page.fill("#id_birth_month", str(head.birth_date.month))
    page.fill("#id_birth_day", str(head.birth_date.day))
    page.fill("#id_code", code)
    page.fill("#id_email", "head@example.com")
    page.fill("#id_password1", "sumida river fireworks")
    page.fill("#id_password2", "sumida river fireworks")
    page.click("#activation-form button[type=submit]")
    page.wait_for_url("**/portal/")
    assert spouse.given_name in page.content()  # the householder sees the household
    check_axe(page, "status-householder")

    page.click(f"a[href='/portal/people/{spouse.pk}/']")
    check_axe(page, "member")
    go(page, f"/portal/people/{head.pk}/apply/")
    check_axe(page, "apply")
    page.check("input[value=needs_support]")
    page.click("#application-form button[type=submit]")
    page.wait_for_url(f"**/portal/people/{head.pk}/")
    check_axe(page, "applied")

    page.click("button[lang=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "What you can show at a clinic or pharmacy today" in page.content()
    check_axe(page, "person-en")

    page.click("text=Sign out")
    page.wait_for_url("**/portal/sign-in/")
    page.fill("#id_username", "head@example.com")
    page.fill("#id_password", "sumida river fireworks")
    page.click("section[aria-labelledby=door-password] button[type=submit]")
    page.wait_for_url("**/portal/")


def test_a_member_signs_in_with_the_app_and_sees_only_themselves(page, household):
    spouse, head = household["spouse"], household["head"]
    go(page, "/portal/sign-in/")
    page.click("a[href='/portal/sign-in/app/']")
    page.wait_for_url("**/fake-oidc/authorize**")
    page.fill("#id_sub", "browser-sub")
    page.fill("#id_name", f"{spouse.family_name} {spouse.given_name}")
    page.fill("#id_address", spouse.household.address)
    page.fill("#id_birthdate", spouse.birth_date.isoformat())
    page.select_option("#id_gender", "female" if spouse.sex == "2" else "male")
    page.click("main button[type=submit]")
    page.wait_for_url("**/portal/")
    content = page.content()
    assert spouse.given_name in content
    assert head.given_name not in content
    check_axe(page, "status-member")
    response = page.goto(page.base + f"/portal/people/{head.pk}/")
    assert response is not None and response.status == 404


def _submit_password(page, username: str, password: str) -> int:
    """Types the e-mail address and password, submits, and returns the HTTP status of the
    answer to that POST."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/portal/sign-in/")
    ) as answer:
        page.click("section[aria-labelledby=door-password] button[type=submit]")
    page.wait_for_load_state()
    return answer.value.status


@override_settings(AXES_FAILURE_LIMIT=3)
def test_lockout_after_repeated_wrong_passwords(page, household):
    user = resident_user(household["head"])
    with translation.override("ja"):
        (wrong,) = ResidentSignInForm().get_invalid_login_error().messages
        locked_title = gettext("Too many attempts")
        locked_text = gettext(
            "For your safety, signing in is paused after several wrong attempts. Please try "
            "again in 15 minutes."
        )
    go(page, "/portal/sign-in/")

    # Below the limit: the sign-in form again, saying the details are wrong.
    for _attempt in range(2):
        assert _submit_password(page, user.username, "wrong password") == 200
        assert page.locator("#error-summary").inner_text().count(wrong) == 1
        assert page.locator("h1").inner_text() != locked_title

    # The third wrong password reaches the limit: the lockout page, 429, and no form.
    assert _submit_password(page, user.username, "wrong password") == 429
    assert page.locator("h1").inner_text() == locked_title
    assert locked_text in page.locator("main").inner_text()
    assert page.locator("#id_password").count() == 0
    check_axe(page, "locked-out")

    # While locked, even the correct password is refused, and nobody is signed in.
    go(page, "/portal/sign-in/")
    assert _submit_password(page, user.username, PASSWORD) == 429
    assert page.locator("h1").inner_text() == locked_title
    go(page, "/portal/")
    assert "/portal/sign-in/" in page.url
    assert page.locator("#id_username").count() == 1


def test_sign_in_works_with_the_keyboard_alone(page, household):
    user = resident_user(household["head"])
    go(page, "/portal/sign-in/")
    # Tab through the page until the e-mail field has focus: it must be reachable by keyboard.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "id_username":
            break
    assert page.evaluate("document.activeElement.id") == "id_username"
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/portal/")
    assert page.locator("h1").count() == 1
