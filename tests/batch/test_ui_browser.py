"""The run page in headless Chromium (Debian's, through Playwright): the progress bar follows the
run without a reload, announces politely, and the page reloads once when the run has finished;
no Content-Security-Policy refusal (the script is an external file)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from notices.batch.planning import approve_run, plan_run
from notices.models import IssuanceItem, IssuanceRun
from tests.batch.conftest import AS_OF, PERIOD, make_population

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


def wait_until(check: Callable[[], bool], seconds: float = 15) -> None:
    # Not page.wait_for_function: it evaluates a string inside the page, which the CSP refuses.
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def signed_in_tab(browser, live_server, settings, user):  # type: ignore[no-untyped-def]
    """A Chromium tab (Japanese) signed in as `user`, and the list collecting the console's
    Content-Security-Policy refusals. The live server speaks plain HTTP: a __Host- cookie
    (secure) would not be sent back, so the session cookie is a plain one."""
    from tests.factories.staff import sign_in_staff

    settings.SESSION_COOKIE_NAME, settings.SESSION_COOKIE_SECURE = "sessionid", False
    client = Client()
    sign_in_staff(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    context = browser.new_context(locale="ja-JP")
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": live_server.url}]
    )
    tab = context.new_page()
    refused: list[str] = []
    tab.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    return tab, refused


def test_the_progress_bar_follows_the_run_without_a_reload(browser, live_server, settings) -> None:
    from tests.factories import StaffUserFactory

    make_population()
    planner = StaffUserFactory(username="planner")
    approver = StaffUserFactory(username="approver")
    approver.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_issuancerun", "execute_issuancerun", "approve_issuancerun"]
        )
    )
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    IssuanceRun.objects.filter(pk=run.pk).update(status=IssuanceRun.Status.RUNNING)
    tab, refused = signed_in_tab(browser, live_server, settings, approver)
    tab.goto(f"{live_server.url}/batch/{run.pk}/")
    assert tab.locator("#run-progress").get_attribute("value") == "0"
    assert tab.locator("#run-refresh").is_hidden()  # the script replaces the manual link
    tab.evaluate("window.notReloaded = true")

    IssuanceItem.objects.filter(run=run).update(status=IssuanceItem.Status.DONE)
    wait_until(lambda: tab.evaluate("document.getElementById('run-progress').value") == 100)
    assert tab.evaluate("window.notReloaded") is True
    assert "6" in tab.locator("#run-counts").inner_text()
    assert "6" in tab.locator("#run-announce").inner_text()  # a quarter passed: announced

    IssuanceRun.objects.filter(pk=run.pk).update(status=IssuanceRun.Status.EXECUTED)
    tab.wait_for_selector(f"form[action='/batch/{run.pk}/handover/']", timeout=15000)
    assert tab.evaluate("window.notReloaded") is None  # reloaded once, to show the next step
    assert refused == []
    tab.context.close()


def test_the_planning_page_follows_a_background_planning_and_opens_the_run(
    browser, live_server, settings, tmp_path
) -> None:
    """The planning page of a large ward: the bar follows the state file without a reload, and
    once the planning has finished the page opens the run."""
    import json

    from tests.factories import StaffUserFactory

    make_population()
    planner = StaffUserFactory(username="planner")
    planner.user_permissions.add(*Permission.objects.filter(codename="view_issuancerun"))
    state = settings.BATCH_DIR / "planning" / f"{PERIOD:%Y-%m}-monthly.json"
    state.parent.mkdir(parents=True, exist_ok=True)

    def planning(**values: object) -> None:
        state.write_text(json.dumps({"by": "planner", "at": time.time(), **values}))

    planning(status="running", done=0, total=0)
    tab, refused = signed_in_tab(browser, live_server, settings, planner)
    tab.goto(f"{live_server.url}/batch/planning/{PERIOD:%Y-%m}/monthly/")
    assert tab.locator("#run-refresh").is_hidden()
    tab.evaluate("window.notReloaded = true")

    planning(status="running", done=600, total=1000)
    wait_until(lambda: tab.evaluate("document.getElementById('run-progress').value") == 60)
    assert tab.evaluate("window.notReloaded") is True
    assert "600" in tab.locator("#run-counts").inner_text()

    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    planning(status="done", done=run.assessed, total=run.assessed, run=run.pk, created=True)
    tab.wait_for_url(f"{live_server.url}/batch/{run.pk}/", timeout=15000)
    assert refused == []
    tab.context.close()
