"""The monthly access review: counts per clerk, the flag rule, the page, the CSV and the command."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from sumida_kokuho.audit import REVIEW_FLOOR, access_review
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.roles import Role
from sumida_kokuho.staff_views import parse_month
from tests.factories.staff import sign_in_staff, staff_in_role

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
# Wednesday 14 October 2026, 10:00 in Tokyo: office hours.
WORKDAY = datetime(2026, 10, 14, 10, 0, tzinfo=TOKYO)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"


def events(actor, count: int, *, action: str = "view", at: datetime = WORKDAY, person: int = 1):
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=at,
            actor=actor,
            action=action,
            object_type="eligibility.insuredperson",
            object_id=str(person + i),
            person_id=person + i,
            household_id=500,
        )
        for i in range(count)
    )


@pytest.fixture
def clerks():
    return [staff_in_role(Role.COUNTER, username=f"clerk_{c}") for c in "abcd"]


def by_name(review):
    return {row.username: row for row in review.rows}


def test_counts_per_clerk_within_the_month(clerks):
    a, b, *_ = clerks
    events(a, 5)
    events(a, 2, action="change", person=100)
    events(a, 1, action="search")  # a search names no person: counted apart
    events(a, 1, action="sign_in")  # neither a view nor a change of a record
    events(b, 3, person=1)
    events(b, 3, person=1)  # the same three persons again
    events(b, 4, at=datetime(2026, 9, 30, 23, 0, tzinfo=TOKYO))  # September
    events(b, 4, at=datetime(2026, 11, 1, 0, 0, tzinfo=TOKYO))  # November
    rows = by_name(access_review(date(2026, 10, 1)))
    assert (rows["clerk_a"].views, rows["clerk_a"].changes, rows["clerk_a"].searches) == (5, 2, 1)
    assert rows["clerk_a"].persons_viewed == 5
    assert (rows["clerk_b"].views, rows["clerk_b"].persons_viewed) == (6, 3)
    assert set(rows) == {"clerk_a", "clerk_b"}  # clerks with no events that month are left out


def test_a_resident_reading_their_own_record_is_not_staff_access(clerks):
    from tests.factories.users import UserFactory

    resident = UserFactory(is_staff=False)
    events(resident, 50)
    assert access_review(date(2026, 10, 1)).rows == []


def test_many_views_are_flagged_against_the_median(clerks):
    a, b, c, d = clerks
    for clerk in (b, c, d):
        events(clerk, 10)
    events(a, 31)  # more than 3 × 10
    review = access_review(date(2026, 10, 1))
    assert review.median_views == 10
    rows = by_name(review)
    assert rows["clerk_a"].flags == ("views",)
    assert [row.username for row in review.flagged] == ["clerk_a"]


def test_exactly_three_times_the_median_is_not_flagged(clerks):
    a, b, c, d = clerks
    for clerk in (b, c, d):
        events(clerk, 10)
    events(a, 30)
    assert access_review(date(2026, 10, 1)).flagged == []


def test_a_quiet_month_flags_nobody_below_the_floor(clerks):
    a, b, c, _d = clerks
    events(b, 1)
    events(c, 1)
    events(a, REVIEW_FLOOR - 1)  # far above 3 × 1, but under the floor
    assert access_review(date(2026, 10, 1)).flagged == []


def test_many_changes_are_flagged(clerks):
    a, b, c, _d = clerks
    events(b, 5, action="change")
    events(c, 5, action="change")
    events(a, 40, action="issue")
    assert by_name(access_review(date(2026, 10, 1)))["clerk_a"].flags == ("changes",)


@pytest.mark.parametrize(
    ("when", "flagged"),
    [
        (datetime(2026, 10, 14, 7, 59, tzinfo=TOKYO), True),
        (datetime(2026, 10, 14, 8, 0, tzinfo=TOKYO), False),
        (datetime(2026, 10, 14, 19, 59, tzinfo=TOKYO), False),
        (datetime(2026, 10, 14, 20, 0, tzinfo=TOKYO), True),
        (datetime(2026, 10, 17, 11, 0, tzinfo=TOKYO), True),  # Saturday
        (datetime(2026, 10, 18, 11, 0, tzinfo=TOKYO), True),  # Sunday
        (datetime(2026, 10, 13, 23, 30, tzinfo=ZoneInfo("UTC")), False),  # 08:30 Wed in Tokyo
    ],
)
def test_views_out_of_hours_are_flagged_in_tokyo_time(clerks, when, flagged):
    events(clerks[0], 1, at=when)
    row = by_name(access_review(date(2026, 10, 1)))["clerk_a"]
    assert row.off_hours_views == (1 if flagged else 0)
    assert ("hours" in row.flags) is flagged


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-10", date(2026, 10, 1)),
        (" 2026-01 ", date(2026, 1, 1)),
        ("2026-13", None),
        ("26-10", None),
        ("", None),
    ],
)
def test_parse_month(text, month):
    assert parse_month(text) == month


# --- the page and the CSV --------------------------------------------------------------------


@pytest.fixture
def supervisor(client):
    user = staff_in_role(Role.SUPERVISOR, username="boss")
    sign_in_staff(client, user, counter="back-office")
    return user


def test_the_page_shows_the_flagged_clerk_and_is_logged(client, supervisor, clerks):
    events(clerks[0], 1, at=datetime(2026, 10, 18, 11, 0, tzinfo=TOKYO))
    response = client.get("/staff/audit/review/", {"month": "2026-10"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "clerk_a" in page
    assert "views out of hours" in page
    event = AuditEvent.objects.get(object_type="sumida_kokuho.accessreview")
    assert (event.actor, event.detail) == (supervisor, {"month": "2026-10"})


def test_a_bad_month_is_an_error_on_the_page(client, supervisor):
    response = client.get("/staff/audit/review/", {"month": "October"})
    assert response.status_code == 400
    assert "for example 2026-10" in response.content.decode()


def test_a_counter_clerk_cannot_see_the_review(client, clerks):
    sign_in_staff(client, clerks[0])
    assert client.get("/staff/audit/review/").status_code == 403
    assert client.get("/staff/audit/review/export.csv").status_code == 403


def test_the_csv_export_escapes_formula_cells(client, supervisor):
    sneaky = staff_in_role(Role.COUNTER, username="=cmd")
    sneaky.first_name, sneaky.last_name = "@SUM(A1)", "+x"
    sneaky.save()
    events(sneaky, 2)
    response = client.get("/staff/audit/review/export.csv", {"month": "2026-10"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="access-review-2026-10.csv"'
    text = b"".join(response.streaming_content).decode("utf-8")
    header, row = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert header[:4] == ["Month", "Clerk", "Name", "Views"]
    assert row[:4] == ["2026-10", "'=cmd", "'+x @SUM(A1)", "2"]
    assert AuditEvent.objects.filter(
        action="export", object_type="sumida_kokuho.accessreview"
    ).exists()


def test_the_command_prints_the_review_and_can_fail_on_a_flag(clerks):
    events(clerks[0], 1, at=datetime(2026, 10, 18, 11, 0, tzinfo=TOKYO))
    out = io.StringIO()
    call_command("access_review", month="2026-10", language="en", stdout=out)
    header, row = list(csv.reader(io.StringIO(out.getvalue())))
    assert header[0] == "Month"
    assert row[:2] == ["2026-10", "clerk_a"]
    assert row[-1] == "views out of hours"
    with pytest.raises(CommandError) as failure:
        call_command("access_review", month="2026-10", fail_on_flag=True, stdout=io.StringIO())
    assert failure.value.returncode == 1
    with pytest.raises(CommandError):
        call_command("access_review", month="2026/10", stdout=io.StringIO())


def test_the_audit_trail_page_links_to_the_review(client, supervisor):
    assert 'href="/staff/audit/review/"' in client.get("/staff/audit/").content.decode()
