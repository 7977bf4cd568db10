"""The counter's card-reader page: start a check, follow it live, open the person; audited."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from cards.models import CardVerification, CounterReader
from sumida_kokuho.access import COUNTER_SESSION_KEY
from sumida_kokuho.models import AuditAction, AuditEvent
from sumida_kokuho.roles import Role, create_staff_member
from tests.factories import HouseholdFactory, InsuredPersonFactory
from tests.reader.conftest import COUNTER

pytestmark = pytest.mark.django_db

PAGE = f"/counter/reader/{COUNTER}/"


def sign_in(client: Client, username: str = "clerk", **names: str) -> Any:
    user, device = create_staff_member(
        username=username, role=Role.COUNTER, password="a long enough pass phrase 42"
    )
    for field, value in names.items():
        setattr(user, field, value)
    user.save()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[COUNTER_SESSION_KEY] = COUNTER
    session.save()
    return user


@pytest.fixture
def clerk(client: Client) -> Any:
    return sign_in(client, first_name="花子", last_name="窓口")


def finished(**fields: Any) -> CardVerification:
    values = {
        "counter": COUNTER,
        "method": "pin",
        "outcome": "verified",
        "tries_left": 3,
        "card_genuine": True,
        "certificate_trusted": True,
        "started_at": timezone.now(),
        "finished_at": timezone.now(),
        **fields,
    }
    return CardVerification.objects.create(**values)


def test_the_page_starts_checks_and_never_asks_for_a_pin(client: Client, clerk: Any) -> None:
    html = client.get(PAGE).content.decode()
    assert 'action="/counter/reader/honcho-1/start/"' in html
    assert 'type="password"' not in html and 'name="pin"' not in html
    assert "manage.py reader --counter" in html  # no reader process has reported yet


def test_starting_a_pin_check_queues_it_for_the_reader(client: Client, clerk: Any) -> None:
    response = client.post(f"{PAGE}start/", {"method": "pin"})
    assert response.status_code == 302 and response["Location"] == PAGE
    verification = CardVerification.objects.get()
    assert (verification.method, verification.outcome, verification.staff) == (
        "pin",
        "pending",
        clerk,
    )
    assert AuditEvent.objects.filter(action="request_card_verification", actor=clerk).exists()
    # A second request supersedes the first while it still waits.
    client.post(f"{PAGE}start/", {"method": "proxy_pin"})
    assert list(CardVerification.objects.order_by("pk").values_list("outcome", "error_code")) == [
        ("cancelled", "superseded"),
        ("pending", ""),
    ]


def test_a_visual_check_must_be_attested_and_records_who(client: Client, clerk: Any) -> None:
    refused = client.post(f"{PAGE}start/", {"method": "visual"})
    assert refused.status_code == 400
    assert not CardVerification.objects.exists()
    client.post(f"{PAGE}start/", {"method": "visual", "attest": "on"})
    assert CardVerification.objects.get().attested_by == "花子 窓口"


def test_the_live_panel_shows_the_match_and_audits_it_once(client: Client, clerk: Any) -> None:
    person = InsuredPersonFactory(
        family_name="押上", given_name="太郎", birth_date=date(1956, 12, 1)
    )
    verification = finished(matched_person=person, staff=clerk)
    CounterReader.objects.create(counter=COUNTER, state="card_present", reader_name="Reader 00 00")

    for _ in range(2):
        data = client.get(f"{PAGE}latest.json").json()
    assert data["verification"]["outcome"] == "verified"
    assert data["verification"]["matched_person_url"] == f"/counter/person/{person.pk}/"
    assert data["reader_running"] is True
    assert "押上 太郎" in data["html"]
    views = AuditEvent.objects.filter(action=AuditAction.VIEW, actor=clerk)
    assert [(e.person_id, e.object_id, e.counter) for e in views] == [
        (person.pk, str(verification.pk), COUNTER)
    ]


def test_near_misses_are_listed_with_what_differs(client: Client, clerk: Any) -> None:
    moved = InsuredPersonFactory(household=HouseholdFactory(address="東京都墨田区八広一丁目1番1号"))
    finished(near_misses=[{"person_id": moved.pk, "differs": ["address"]}])
    html = client.get(PAGE).content.decode()
    assert moved.full_name in html
    assert f"/counter/person/{moved.pk}/" in html
    assert AuditEvent.objects.filter(action=AuditAction.VIEW, person_id=moved.pk).count() == 1


def test_a_locked_pin_tells_staff_the_other_ways_and_how_to_unlock(
    client: Client, clerk: Any
) -> None:
    finished(outcome="locked", error_code="pin_locked", tries_left=0, card_genuine=None)
    html = client.get(PAGE, headers={"accept-language": "en"}).content.decode()
    assert "face authentication or a visual check" in html
    assert "My Number card counter (City Office 2nd floor) or at a branch office" in html


def test_an_unknown_counter_is_not_found(client: Client, clerk: Any) -> None:
    assert client.get("/counter/reader/nowhere/").status_code == 404


def test_without_a_second_factor_the_page_is_closed(client: Client) -> None:
    user, _device = create_staff_member(
        username="half", role=Role.COUNTER, password="a long enough pass phrase 42"
    )
    client.force_login(user)  # password only
    response = client.get(PAGE)
    assert response.status_code == 302 and "/staff/" in response["Location"]
    assert client.post(f"{PAGE}start/", {"method": "pin"}).status_code == 302
    assert not CardVerification.objects.exists()
