"""The batch commands end to end, and the run page with its progress JSON."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from notices.models import IssuanceRun

pytestmark = pytest.mark.django_db


def run_command(*args: str) -> str:
    out = StringIO()
    call_command(*args, "--no-progress", stdout=out)
    return out.getvalue()


def test_the_commands_plan_approve_execute_and_hand_over(population, planner, approver) -> None:
    out = run_command("plan_run", "--period", "2026-11", "--as-of", "2026-11-25", "--by", "planner")
    assert "6" in out and "new_enrolment" in out
    run = IssuanceRun.objects.get()
    with pytest.raises(CommandError):
        run_command("approve_run", str(run.pk), "--by", "planner")
    run_command("approve_run", "--period", "2026-11", "--by", "approver")
    run_command("execute_run", str(run.pk), "--by", "approver", "--inline")
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.EXECUTED
    assert run.items.filter(status="done").count() == 6
    out = run_command("handover_run", str(run.pk), "--by", "approver")
    assert "manifest.json" in out and "mailing.csv" in out
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.HANDED_OVER


def test_a_dry_run_plans_nothing(population) -> None:
    out = run_command("plan_run", "--period", "2026-11", "--as-of", "2026-11-25", "--dry-run")
    assert "new_enrolment" in out
    assert IssuanceRun.objects.count() == 0


def staff_with(client: Any, *codenames: str) -> Any:
    from tests.factories import StaffUserFactory
    from tests.factories.staff import sign_in_staff

    user = StaffUserFactory()
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    sign_in_staff(client, user)
    return user


def test_the_run_page_shows_counts_and_progress(client, population, planner) -> None:
    call_command(
        "plan_run",
        "--period",
        "2026-11",
        "--as-of",
        "2026-11-25",
        "--no-progress",
        stdout=StringIO(),
    )
    run = IssuanceRun.objects.get()
    staff_with(client, "view_issuancerun", "approve_issuancerun")
    page = client.get(f"/batch/{run.pk}/")
    assert page.status_code == 200
    assert b"new_enrolment" in page.content
    progress = client.get(f"/batch/{run.pk}/progress.json").json()
    assert progress["planned"] == 6 and progress["pending"] == 6 and progress["percent"] == 0
    approved = client.post(f"/batch/{run.pk}/approve/")
    assert approved.status_code == 302
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.APPROVED


def test_staff_without_the_permission_cannot_approve(client, population, planner) -> None:
    call_command(
        "plan_run",
        "--period",
        "2026-11",
        "--as-of",
        "2026-11-25",
        "--no-progress",
        stdout=StringIO(),
    )
    run = IssuanceRun.objects.get()
    staff_with(client, "view_issuancerun")
    assert client.post(f"/batch/{run.pk}/approve/").status_code == 403
    run.refresh_from_db()
    assert run.status == IssuanceRun.Status.PLANNED
