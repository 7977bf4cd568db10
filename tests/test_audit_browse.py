"""The audit trail page for supervisors: filters, pages, CSV export with formula cells escaped."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sumida_kokuho.audit import record
from sumida_kokuho.csvsafe import escape_cell as escape_csv_cell
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.roles import Role
from sumida_kokuho.staff_views import AUDIT_PAGE_SIZE
from tests.factories import InsuredPersonFactory
from tests.factories.staff import sign_in_staff, staff_in_role

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


@pytest.fixture(autouse=True)
def english_and_fast_passwords(settings):
    settings.LANGUAGE_CODE = "en"  # assertions read the English texts
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def supervisor(client):
    user = staff_in_role(Role.SUPERVISOR, username="boss")
    sign_in_staff(client, user, counter="back-office")
    return user


@pytest.fixture
def clerks():
    return staff_in_role(Role.COUNTER, username="clerk_a"), staff_in_role(
        Role.COUNTER, username="clerk_b"
    )


def event_at(when: datetime, **fields) -> AuditEvent:
    return AuditEvent.objects.create(at=when, **fields)


def shown(response) -> list[AuditEvent]:
    return [row.event for row in response.context["rows"]]


# --- who may see it ------------------------------------------------------------------------------


def test_a_supervisor_sees_the_trail(client, supervisor):
    response = client.get("/staff/audit/")
    assert response.status_code == 200
    assert "Audit trail" in response.content.decode()


def test_a_counter_clerk_is_refused(client, clerks):
    sign_in_staff(client, clerks[0])
    assert client.get("/staff/audit/").status_code == 403
    assert client.get("/staff/audit/export.csv").status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    assert client.get("/staff/audit/")["Location"].startswith("/staff/login/")


# --- filters -------------------------------------------------------------------------------------


def test_filter_by_clerk(client, supervisor, clerks):
    a, b = clerks
    record(actor=a, action="view", object_type="x")
    record(actor=b, action="view", object_type="x")
    events = shown(client.get("/staff/audit/", {"actor": "clerk_a"}))
    assert [event.actor for event in events] == [a]


def test_filter_by_person_and_household(client, supervisor, clerks):
    person, other = InsuredPersonFactory(), InsuredPersonFactory()
    record(actor=clerks[0], action="view", obj=person)
    record(actor=clerks[0], action="view", obj=other)
    by_person = shown(client.get("/staff/audit/", {"person": person.pk}))
    assert [event.person_id for event in by_person] == [person.pk]
    by_household = shown(client.get("/staff/audit/", {"household": other.household_id}))
    assert [event.household_id for event in by_household] == [other.household_id]


def test_filter_by_action_and_counter(client, supervisor, clerks):
    record(actor=clerks[0], action="view", counter="honcho-1")
    record(actor=clerks[0], action="issue", counter="honcho-1")
    record(actor=clerks[0], action="issue", counter="honcho-2")
    events = shown(client.get("/staff/audit/", {"action": "issue", "counter": "honcho-2"}))
    assert [(e.action, e.counter) for e in events] == [("issue", "honcho-2")]


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        ("2025-09-02", "2025-09-03"),
        ("R7.9.2", "R7.9.3"),
        ("令和7年9月2日", "令和7年9月3日"),
    ],
)
def test_filter_by_date_range_in_tokyo_days_end_day_included(
    client, supervisor, date_from, date_to
):
    event_at(datetime(2025, 9, 1, 23, 59, tzinfo=TOKYO), action="before")
    event_at(datetime(2025, 9, 2, 0, 0, tzinfo=TOKYO), action="first")
    event_at(datetime(2025, 9, 3, 23, 59, tzinfo=TOKYO), action="last")
    event_at(datetime(2025, 9, 4, 0, 0, tzinfo=TOKYO), action="after")
    events = shown(client.get("/staff/audit/", {"date_from": date_from, "date_to": date_to}))
    assert [event.action for event in events] == ["last", "first"]


def test_a_bad_date_or_range_shows_the_error_summary(client, supervisor):
    response = client.get("/staff/audit/", {"date_from": "2025-02-30"})
    html = response.content.decode()
    assert 'role="alert"' in html
    assert 'href="#id_date_from"' in html
    response = client.get("/staff/audit/", {"date_from": "2025-09-03", "date_to": "2025-09-02"})
    assert "The end date cannot be before the start date." in response.content.decode()


# --- pages and query counts ----------------------------------------------------------------------


def test_the_trail_is_paginated_newest_first(client, supervisor):
    for n in range(AUDIT_PAGE_SIZE + 5):
        event_at(datetime(2025, 9, 1, 9, 0, n % 60, tzinfo=TOKYO), action=f"a{n}")
    first = client.get("/staff/audit/")
    assert len(first.context["rows"]) == AUDIT_PAGE_SIZE
    second = client.get("/staff/audit/", {"page": 2})
    assert len(second.context["rows"]) == 5
    assert 'rel="prev"' in second.content.decode()
    assert shown(first)[0].at >= shown(second)[-1].at


def test_page_links_keep_the_filters(client, supervisor, clerks):
    for _ in range(AUDIT_PAGE_SIZE + 1):
        record(actor=clerks[0], action="view")
    html = client.get("/staff/audit/", {"actor": "clerk_a"}).content.decode()
    assert "?actor=clerk_a&amp;page=2" in html


def test_the_trail_page_takes_the_same_queries_for_more_events(client, supervisor, clerks):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/staff/audit/").status_code == 200
        return len(captured)

    for clerk in clerks:
        record(actor=clerk, action="view")
    few = queries()
    for _ in range(20):
        for clerk in clerks:
            record(actor=clerk, action="view", obj=InsuredPersonFactory())
    assert queries() == few


# --- CSV export ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+81-3-5608", "'+81-3-5608"),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("墨田", "墨田"),
        ("13-100001", "13-100001"),
        (None, ""),
        (42, "42"),
    ],
)
def test_escape_csv_cell(value, cell):
    assert escape_csv_cell(value) == cell


def export(client, **filters) -> list[list[str]]:
    response = client.get("/staff/audit/export.csv", filters)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_writes_the_filtered_events_with_formulas_escaped(client, supervisor, clerks):
    record(actor=clerks[0], action="view", object_type="=cmd|' /C calc'!A0", counter="honcho-1")
    record(actor=clerks[1], action="view", counter="honcho-2")
    header, *rows = export(client, actor="clerk_a")
    assert header[:3] == ["At", "Clerk", "Action"]
    assert len(rows) == 1
    assert rows[0][1:4] == ["clerk_a", "view", "'=cmd|' /C calc'!A0"]
    assert rows[0][7] == "honcho-1"


def test_export_detail_is_json_and_escaped_when_it_starts_like_a_formula(client, supervisor):
    event_at(datetime(2025, 9, 1, tzinfo=TOKYO), action="-x", detail={"query": "墨田"})
    _header, row = export(client, action="-x")
    assert row[2] == "'-x"
    assert row[8] == '{"query": "墨田"}'
    assert row[0] == "2025-09-01T00:00:00+09:00"


def test_export_is_itself_audit_logged(client, supervisor):
    export(client, action="view")
    event = AuditEvent.objects.get(action="export")
    assert event.actor == supervisor
    assert event.counter == "back-office"
    assert event.detail == {"filters": {"action": "view"}}


def test_export_with_bad_filters_shows_the_page_with_errors(client, supervisor):
    response = client.get("/staff/audit/export.csv", {"date_from": "S99.1.1"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_trail_stays_append_only_through_the_pages(client, supervisor):
    # Browsing and exporting never change an event (the model refuses updates anyway).
    record(actor=supervisor, action="view")
    before = list(AuditEvent.objects.values_list("pk", "action", "at"))
    client.get("/staff/audit/")
    assert list(AuditEvent.objects.values_list("pk", "action", "at")) == before
