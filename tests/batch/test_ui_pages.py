"""The batch pages in the browser's place (Django's test client): planning with the form, the
preview with its filters and last month's figures, the four-eyes rule on the buttons, the whole
run through the buttons, progress.json, retrying failures."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from notices.batch.planning import approve_run, plan_run
from notices.models import IssuanceItem, IssuanceRun
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.wareki import DateParseError, parse_month
from tests.batch.conftest import AS_OF, PERIOD

pytestmark = pytest.mark.django_db

IMMEDIATE = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default", "issuance"],
    }
}
ADMIN_PERMS = (
    "view_issuancerun",
    "plan_issuancerun",
    "approve_issuancerun",
    "execute_issuancerun",
    "view_insuredperson",
)


def sign_in(client: Client, user: Any, *codenames: str) -> Any:
    from tests.factories.staff import sign_in_staff

    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    sign_in_staff(client, user)
    return user


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-12", date(2026, 12, 1)),
        ("2026/1", date(2026, 1, 1)),
        ("2026年12月", date(2026, 12, 1)),
        ("R8.12", date(2026, 12, 1)),
        ("令和8年12月", date(2026, 12, 1)),
        ("Ｒ８．１２", date(2026, 12, 1)),
        ("令和元年5月", date(2019, 5, 1)),
        ("2026-12-25", date(2026, 12, 1)),
        ("R8.12.25", date(2026, 12, 1)),
    ],
)
def test_a_month_is_read_in_seireki_or_wareki(text: str, month: date) -> None:
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["2026-13", "R8", "december", "H40.1", "令和0年1月"])
def test_a_month_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(DateParseError):
        parse_month(text)


def test_an_admin_plans_a_run_with_the_form(client, population, planner) -> None:
    sign_in(client, planner, *ADMIN_PERMS)
    page = client.get("/batch/")
    assert page.status_code == 200
    assert b'action="/batch/plan/"' in page.content

    response = client.post(
        "/batch/plan/", {"period": "R8.11", "kind": "monthly", "as_of": "令和8年11月25日"}
    )

    run = IssuanceRun.objects.get()
    assert response.status_code == 302 and response.url == f"/batch/{run.pk}/"
    assert (run.period, run.as_of, run.planned_by) == (PERIOD, AS_OF, planner)
    assert run.planned == 6
    assert AuditEvent.objects.filter(action="plan", actor=planner).count() == 1
    # Planning the same month again returns the same run, unchanged.
    again = client.post(
        "/batch/plan/", {"period": "2026-11", "kind": "monthly", "as_of": "2026-11-20"}
    )
    assert again.url == f"/batch/{run.pk}/"
    assert IssuanceRun.objects.get().as_of == AS_OF


def test_a_wrong_month_is_refused_with_a_message_on_the_field(client, population, planner):
    sign_in(client, planner, *ADMIN_PERMS)
    response = client.post("/batch/plan/", {"period": "13月", "kind": "monthly", "as_of": "x"})

    assert response.status_code == 400
    assert not IssuanceRun.objects.exists()
    errors = response.context["form"].errors
    assert set(errors) == {"period", "as_of"}
    assert b'role="alert"' in response.content


def test_a_large_ward_is_planned_in_the_background_and_its_page_opens_the_run(
    client, population, planner, settings
) -> None:
    settings.BATCH_PLAN_IN_PAGE_MAX = 3
    settings.BATCH_PLAN_IN_BACKGROUND = False  # the thread's work, done before the answer
    sign_in(client, planner, *ADMIN_PERMS)
    response = client.post(
        "/batch/plan/", {"period": "2026-11", "kind": "monthly", "as_of": "2026-11-25"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/batch/planning/2026-11/monthly/"
    run = IssuanceRun.objects.get()
    progress = client.get("/batch/planning/2026-11/monthly/progress.json").json()
    assert progress["status"] == "done" and progress["percent"] == 100
    client.cookies["sumida_kokuho_language"] = "en"
    page = client.get(response["Location"], follow=True)
    assert page.redirect_chain == [(f"/batch/{run.pk}/", 302)]
    assert "persons assessed" in page.content.decode()  # the "Planned: …" message
    # The state was for the way to the run: it is gone once the run has been opened.
    assert client.get(response["Location"]).status_code == 404


def planning_state(settings, **state: Any) -> None:
    import json
    import time

    folder = settings.BATCH_DIR / "planning"
    folder.mkdir(parents=True, exist_ok=True)
    state.setdefault("at", time.time())
    (folder / "2026-11-monthly.json").write_text(json.dumps(state), encoding="utf-8")


def test_a_planning_in_progress_shows_its_progress_and_polls_for_more(
    client, planner, settings
) -> None:
    sign_in(client, planner, *ADMIN_PERMS)
    planning_state(settings, status="running", done=250, total=1000, by="planner")
    html = client.get("/batch/planning/2026-11/monthly/").content.decode()
    assert 'value="25"' in html and "250" in html and "1000" in html
    assert 'data-url="/batch/planning/2026-11/monthly/progress.json"' in html
    assert 'aria-live="polite"' in html
    progress = client.get("/batch/planning/2026-11/monthly/progress.json").json()
    assert (progress["status"], progress["percent"]) == ("running", 25)
    assert not IssuanceRun.objects.exists()


def test_a_second_planning_of_the_same_month_is_not_started(
    client, population, planner, settings
) -> None:
    settings.BATCH_PLAN_IN_PAGE_MAX = 3
    sign_in(client, planner, *ADMIN_PERMS)
    planning_state(settings, status="running", done=0, total=0, by="someone")
    response = client.post(
        "/batch/plan/",
        {"period": "2026-11", "kind": "monthly", "as_of": "2026-11-25"},
        follow=True,
    )
    assert response.redirect_chain == [("/batch/planning/2026-11/monthly/", 302)]
    assert not IssuanceRun.objects.exists()  # nothing planned by this request
    assert "someone" in response.content.decode()


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ({"status": "failed", "messages": ["Only a run that is not approved yet…"]}, "Only a run"),
        ({"status": "running", "at": 0}, "Planning stopped before it finished"),  # stalled
    ],
)
def test_a_planning_that_failed_or_stalled_says_so(
    client, planner, settings, state: dict[str, Any], shown: str
) -> None:
    sign_in(client, planner, *ADMIN_PERMS)
    planning_state(settings, by="planner", **state)
    client.cookies["sumida_kokuho_language"] = "en"
    text = client.get("/batch/planning/2026-11/monthly/").content.decode()
    assert 'lang="en"' in text
    assert 'role="alert"' in text and shown in text
    progress = client.get("/batch/planning/2026-11/monthly/progress.json").json()
    assert progress["status"] == "failed"


def test_unknown_plannings_are_not_found(client, planner) -> None:
    sign_in(client, planner, *ADMIN_PERMS)
    assert client.get("/batch/planning/2026-11/monthly/").status_code == 404
    assert client.get("/batch/planning/2026-11/everything/").status_code == 404
    assert client.get("/batch/planning/soon/monthly/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_the_background_planning_thread_plans_and_records_the_run(settings) -> None:
    import threading

    from notices.batch import background_planning
    from tests.batch.conftest import make_population
    from tests.factories import StaffUserFactory

    settings.BATCH_PLAN_IN_BACKGROUND = True
    make_population()
    planner = StaffUserFactory(username="planner")
    assert background_planning.start(
        period=PERIOD, kind="monthly", as_of=AS_OF, by=planner, replan=False
    )
    for thread in threading.enumerate():
        if thread.name == f"plan-{PERIOD:%Y-%m}-monthly":
            thread.join(timeout=120)
    state = background_planning.read(PERIOD, "monthly")
    run = IssuanceRun.objects.get()
    assert state is not None and (state.status, state.run) == ("done", run.pk)
    assert state.done == run.assessed > 0 and run.planned_by == planner


def test_staff_without_the_planning_permission_see_no_form_and_cannot_post(
    client, population, planner
) -> None:
    sign_in(client, planner, "view_issuancerun")
    assert b'action="/batch/plan/"' not in client.get("/batch/").content
    response = client.post(
        "/batch/plan/", {"period": "2026-11", "kind": "monthly", "as_of": "2026-11-25"}
    )
    assert response.status_code == 403
    assert not IssuanceRun.objects.exists()


def test_a_post_without_the_csrf_token_is_refused(population, planner) -> None:
    client = Client(enforce_csrf_checks=True)
    sign_in(client, planner, *ADMIN_PERMS)
    response = client.post(
        "/batch/plan/", {"period": "2026-11", "kind": "monthly", "as_of": "2026-11-25"}
    )
    assert response.status_code == 403
    assert not IssuanceRun.objects.exists()


def test_the_planner_gets_no_approve_button_and_cannot_approve(client, population, planner):
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    sign_in(client, planner, *ADMIN_PERMS)

    response = client.get(f"/batch/{run.pk}/")
    assert f"/batch/{run.pk}/approve/" not in response.content.decode()
    assert response.context["four_eyes_blocks"] and not response.context["can_approve"]

    client.post(f"/batch/{run.pk}/approve/")
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.PLANNED


def test_without_four_eyes_the_planner_may_approve(client, population, planner, settings):
    settings.BATCH_FOUR_EYES = False
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    sign_in(client, planner, *ADMIN_PERMS)
    assert f"/batch/{run.pk}/approve/" in client.get(f"/batch/{run.pk}/").content.decode()
    client.post(f"/batch/{run.pk}/approve/")
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.APPROVED


def test_the_preview_filters_and_compares_with_last_month(
    client, population, planner, approver
) -> None:
    IssuanceRun.objects.create(
        period=date(2026, 10, 1),
        as_of=date(2026, 10, 25),
        counts={"certificate": {"new_enrolment": 5, "turns_70": 2}},
    )
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    sign_in(client, approver, *ADMIN_PERMS)

    page = client.get(f"/batch/{run.pk}/")
    rows = {(r["document"], r["reason"]): r for r in page.context["comparison"]}
    assert rows[("certificate", "new_enrolment")]["change"] == 3 - 5
    assert rows[("certificate", "turns_70")]["count"] == 0
    assert rows[("notice", "new_enrolment")]["previous"] == 0
    assert f"/batch/{run.pk}/approve/" in page.content.decode()

    only = client.get(f"/batch/{run.pk}/", {"document": "certificate", "reason": "new_enrolment"})
    shown = list(only.context["page"])
    assert len(shown) == 3 and {i.document for i in shown} == {"certificate"}
    person = shown[0].person_id
    assert f"/counter/person/{person}/" in only.content.decode()
    bad = client.get(f"/batch/{run.pk}/", {"document": "passport"})
    assert bad.status_code == 200 and len(list(bad.context["page"])) == 6


def test_the_list_is_paginated_and_keeps_its_filter(client, population, planner, monkeypatch):
    monkeypatch.setattr("notices.batch_views.PAGE_SIZE", 2)
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    sign_in(client, planner, *ADMIN_PERMS)

    first = client.get(f"/batch/{run.pk}/", {"document": "notice"})
    assert first.context["page"].paginator.num_pages == 2
    assert "?document=notice&amp;page=2" in first.content.decode()
    second = client.get(f"/batch/{run.pk}/", {"document": "notice", "page": "2"})
    ids = {i.pk for i in first.context["page"]} | {i.pk for i in second.context["page"]}
    assert ids == set(run.items.filter(document="notice").values_list("pk", flat=True))


def test_a_run_goes_through_the_buttons_and_reports_progress(
    client, population, planner, approver, settings
) -> None:
    settings.TASKS = IMMEDIATE
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    sign_in(client, approver, *ADMIN_PERMS)
    before = client.get(f"/batch/{run.pk}/progress.json").json()
    assert (before["status"], before["pending"], before["percent"]) == ("planned", 6, 0)

    client.post(f"/batch/{run.pk}/approve/")
    assert f"/batch/{run.pk}/execute/" in client.get(f"/batch/{run.pk}/").content.decode()
    client.post(f"/batch/{run.pk}/execute/")  # the immediate backend runs the chunks here

    after = client.get(f"/batch/{run.pk}/progress.json").json()
    assert (after["status"], after["done"], after["failed"], after["percent"]) == (
        "executed",
        6,
        0,
        100,
    )
    assert "6" in after["summary"]
    page = client.get(f"/batch/{run.pk}/").content.decode()
    assert f"/batch/{run.pk}/handover/" in page
    client.post(f"/batch/{run.pk}/handover/")
    run.refresh_from_db()
    assert (run.status, run.run_by, run.handed_over_by) == ("handed_over", approver, approver)
    assert "manifest.json" in client.get(f"/batch/{run.pk}/").content.decode()


def test_an_executing_run_page_polls_and_has_a_refresh_link(client, population, planner, approver):
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    approve_run(run=run, by=approver)
    IssuanceRun.objects.filter(pk=run.pk).update(status=IssuanceRun.Status.RUNNING)
    sign_in(client, approver, *ADMIN_PERMS)

    page = client.get(f"/batch/{run.pk}/").content.decode()
    assert 'data-status="running"' in page
    assert 'id="run-refresh"' in page
    assert "batch_run.js" in page
    assert '<progress id="run-progress" max="100" value="0"' in page
    assert 'aria-live="polite"' in page


def test_handing_over_an_unfinished_run_shows_why(client, population, planner, approver):
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    sign_in(client, approver, *ADMIN_PERMS)
    response = client.post(f"/batch/{run.pk}/handover/", follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.PLANNED


def test_failures_are_listed_with_their_reason_and_retried(
    client, population, planner, approver, settings
) -> None:
    from eligibility.models import Enrolment

    settings.TASKS = IMMEDIATE
    run = plan_run(period=PERIOD, as_of=AS_OF, by=planner).run
    person = population["certificate"][0]
    Enrolment.objects.filter(person=person).update(enrolled_on=date(2026, 11, 26))
    sign_in(client, approver, *ADMIN_PERMS)
    client.post(f"/batch/{run.pk}/approve/")
    client.post(f"/batch/{run.pk}/execute/")

    page = client.get(f"/batch/{run.pk}/")
    [failed] = page.context["failures"]
    assert failed.person_id == person.pk and failed.error in page.content.decode()
    assert f"/batch/{run.pk}/retry/" in page.content.decode()

    Enrolment.objects.filter(person=person).update(enrolled_on=date(2026, 11, 10))
    client.post(f"/batch/{run.pk}/retry/")
    assert IssuanceItem.objects.get(run=run, person=person).status == IssuanceItem.Status.DONE
    assert client.get(f"/batch/{run.pk}/progress.json").json()["done"] == 6
