"""`manage.py virtual_card` (training) and `manage.py reader` on the real stack."""

from __future__ import annotations

import io
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cards.models import CardVerification, CounterReader
from cards.reader.card import MyNumberCardSession
from cards.reader.errors import NotMyNumberCard
from cards.reader.pcsc import Pcsc
from cards.reader.records import request_verification
from cards.reader.virtual_card import VirtualMyNumberCard
from eligibility.models import InsuredPerson
from tests.factories import HouseholdFactory, InsuredPersonFactory, StaffUserFactory
from tests.reader.conftest import COUNTER

pytestmark = [pytest.mark.reader]


def check_card_in_background(reader: str, my_number_card: bool) -> tuple[threading.Thread, list]:
    """Look at the card from another thread while the command holds the main one."""
    outcome: list[object] = []

    def look() -> None:
        pcsc = Pcsc()
        try:
            pcsc.wait_for_removal(reader, 5)  # an earlier test's card may still be noticed
            pcsc.wait_for_card(reader, 10)
            with pcsc.connect(reader) as card:
                session = MyNumberCardSession(card)
                if my_number_card:
                    session.recognise()
                    outcome.append(session.auth_pin_tries_left())
                else:
                    try:
                        session.recognise()
                    except NotMyNumberCard:
                        outcome.append("not a My Number card")
        except Exception as error:  # noqa: BLE001 - reported by the test
            outcome.append(error)
        finally:
            pcsc.reset()

    thread = threading.Thread(target=look, daemon=True)
    thread.start()
    return thread, outcome


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "expected"), [("mynumber", 3), ("other", "not a My Number card")])
def test_the_training_card_goes_on_vpcds_first_reader(pcscd: Any, kind: str, expected) -> None:
    thread, outcome = check_card_in_background(pcscd.reader, kind == "mynumber")
    out = io.StringIO()
    call_command(
        "virtual_card", "--port", str(pcscd.port), "--seconds", "3", "--kind", kind, stdout=out
    )
    thread.join(10)
    assert outcome == [expected]
    assert "Card removed." in out.getvalue()


@pytest.mark.django_db
def test_the_training_card_refuses_a_pin_that_is_not_four_digits() -> None:
    with pytest.raises(CommandError, match="4 digits"):
        call_command("virtual_card", "--pin", "12345")


@pytest.mark.django_db
def test_the_reader_command_runs_a_check_with_a_pin_pad_device(
    pcscd: Any, profile_for, place_card, authority, tmp_path: Path
) -> None:
    person = InsuredPersonFactory(
        household=HouseholdFactory(address="東京都墨田区押上一丁目1番2号"),
        family_name="押上",
        given_name="太郎",
        birth_date=date(1956, 12, 1),
        sex=InsuredPerson.Sex.MALE,
    )
    place_card(VirtualMyNumberCard(profile_for(auth_pin="9753")))
    trust = tmp_path / "trust.pem"
    trust.write_bytes(authority.certificate_pem())
    pin_pad = tmp_path / "pinpad"
    pin_pad.write_text("9753\n")  # what a serial PIN pad would deliver
    request_verification(counter=COUNTER, method="pin", by=StaffUserFactory())
    out = io.StringIO()

    call_command(
        "reader",
        "--counter",
        COUNTER,
        "--reader",
        pcscd.reader,
        "--trust-store",
        str(trust),
        "--pin-pad",
        str(pin_pad),
        "--card-timeout",
        "5",
        "--entry-timeout",
        "2",
        "--once",
        stdout=out,
    )
    verification = CardVerification.objects.get()
    assert verification.outcome == "verified"
    assert verification.matched_person == person
    assert CounterReader.objects.get(counter=COUNTER).state == CounterReader.State.STOPPED
    printed = out.getvalue()
    assert f"verified, PIN tries left 3, matched person {person.pk}" in printed
    assert "9753" not in printed


@pytest.mark.django_db
def test_the_reader_command_needs_a_trust_store_and_a_known_counter(monkeypatch) -> None:
    monkeypatch.delenv("CARD_TRUST_STORE", raising=False)
    with pytest.raises(CommandError, match="Unknown counter"):
        call_command("reader", "--counter", "nowhere")
    with pytest.raises(CommandError, match="No trust store"):
        call_command("reader", "--counter", COUNTER)
