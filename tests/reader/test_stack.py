"""The reader service on the real stack: pcscd + vsmartcard vpcd + the virtual card + pyscard.

Each test asks for a check the way the counter page does (`request_verification`), lets the
service take it (`step()`), and reads the recorded CardVerification.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cards.models import CardVerification, CounterReader
from cards.reader import apdu
from cards.reader.face import SimulatedFaceDevice
from cards.reader.matching import match_basic_four
from cards.reader.pinpad import EntryKind, ScriptedPinPad
from cards.reader.records import OrmRecorder, request_verification
from cards.reader.service import ReaderService
from cards.reader.virtual_card import OtherCard, VirtualMyNumberCard
from eligibility.models import InsuredPerson
from tests.factories import HouseholdFactory, InsuredPersonFactory, StaffUserFactory
from tests.reader.conftest import COUNTER

pytestmark = [pytest.mark.reader, pytest.mark.django_db]

Outcome = CardVerification.Outcome


@pytest.fixture
def staff() -> Any:
    return StaffUserFactory(first_name="花子", last_name="窓口")


@pytest.fixture
def person() -> InsuredPerson:
    """The insured record of the card's holder (written the ward's way: 1番2号, half width)."""
    household = HouseholdFactory(address="東京都墨田区押上一丁目1番2号")
    return InsuredPersonFactory(
        household=household,
        family_name="押上",
        given_name="太郎",
        birth_date=date(1956, 12, 1),
        sex=InsuredPerson.Sex.MALE,
    )


@pytest.fixture
def make_service(pcscd: Any, trust_store: Any) -> Any:
    def make(pin_pad: ScriptedPinPad | None = None, **options: Any) -> ReaderService:
        defaults: dict[str, Any] = {
            "counter": COUNTER,
            "recorder": OrmRecorder(),
            "matcher": match_basic_four,
            "trust_store": trust_store,
            "pin_pad": pin_pad or ScriptedPinPad(),
            "reader_name": pcscd.reader,
            "card_timeout": 5.0,
            "entry_timeout": 2.0,
        }
        return ReaderService(**{**defaults, **options})

    return make


def check(service: ReaderService, staff: Any, method: str = "pin", **options: Any) -> Any:
    verification = request_verification(counter=COUNTER, method=method, by=staff, **options)
    result = service.step()
    assert result is not None, "the service did not take the request"
    verification.refresh_from_db()
    return verification


def test_the_right_pin_verifies_a_genuine_card_and_opens_the_person(
    profile_for, place_card, make_service, staff, person
) -> None:
    card = VirtualMyNumberCard(profile_for(auth_pin="4321"))
    place_card(card)
    pad = ScriptedPinPad(["4321"])
    verification = check(make_service(pad), staff)

    assert verification.outcome == Outcome.VERIFIED
    assert verification.card_genuine is True
    assert verification.certificate_trusted is True
    assert verification.tries_left == 3
    assert verification.matched_person == person
    assert verification.near_misses == []
    assert verification.staff == staff
    assert verification.started_at <= verification.finished_at
    assert [r.kind for r in pad.requests] == [EntryKind.PIN]
    assert pad.requests[0].tries_left == 3
    # The 12-digit My Number (EF 0001 of the 券面事項入力補助AP) was never selected or read.
    assert not [line for line in card.log if line.startswith("00 A4 02 0C 0001")]
    assert CounterReader.objects.get(counter=COUNTER).reader_name.startswith("Sumida Test Reader")


def test_wrong_pin_twice_then_right(profile_for, place_card, make_service, staff, person) -> None:
    card = VirtualMyNumberCard(profile_for(auth_pin="4321"))
    place_card(card)
    pad = ScriptedPinPad(["1111", "2222", "4321"])
    service = make_service(pad)

    first = check(service, staff)
    second = check(service, staff)
    third = check(service, staff)

    assert (first.outcome, first.tries_left) == (Outcome.WRONG_PIN, 2)
    assert (second.outcome, second.tries_left) == (Outcome.WRONG_PIN, 1)
    assert (third.outcome, third.tries_left) == (Outcome.VERIFIED, 3)
    assert third.matched_person == person
    # The pad showed the tries left each time; the card's counter was reset by the right PIN.
    assert [r.tries_left for r in pad.requests] == [3, 2, 1]
    assert card.tries_left(apdu.JPKI_AID, apdu.JPKI_AUTH_PIN) == 3


def test_three_wrong_pins_lock_it_and_face_and_visual_checks_still_verify(
    profile_for, place_card, make_service, staff, person
) -> None:
    profile = profile_for(auth_pin="4321")
    card = VirtualMyNumberCard(profile)
    place_card(card)
    pad = ScriptedPinPad(["0000", "0001", "0002"])
    face = SimulatedFaceDevice(access_key=profile.access_key_b)
    service = make_service(pad, face_device=face)

    outcomes = [check(service, staff) for _ in range(3)]
    assert [(v.outcome, v.tries_left) for v in outcomes] == [
        (Outcome.WRONG_PIN, 2),
        (Outcome.WRONG_PIN, 1),
        (Outcome.LOCKED, 0),
    ]
    # A fourth PIN check stops before asking for a PIN.
    asked = len(pad.requests)
    locked = check(service, staff)
    assert (locked.outcome, locked.error_code, locked.tries_left) == (
        Outcome.LOCKED,
        "pin_locked",
        0,
    )
    assert len(pad.requests) == asked

    by_face = check(service, staff, "face")
    assert by_face.outcome == Outcome.VERIFIED
    assert by_face.tries_left == 0  # the page tells staff how to unlock
    assert by_face.matched_person == person
    assert face.calls == 1

    pad.add(profile.access_key_b)  # staff type 照合番号B from the card front
    by_eye = check(service, staff, "visual", attested=True)
    assert by_eye.outcome == Outcome.VERIFIED
    assert by_eye.attested_by == "花子 窓口"
    assert by_eye.matched_person == person
    assert pad.requests[-1].kind == EntryKind.ACCESS_KEY_B
    assert card.tries_left(apdu.JPKI_AID, apdu.JPKI_AUTH_PIN) == 0  # still locked


def test_face_that_does_not_match_is_not_verified(
    profile_for, place_card, make_service, staff, person
) -> None:
    place_card(VirtualMyNumberCard(profile_for()))
    service = make_service(face_device=SimulatedFaceDevice(["not_matched"]))
    verification = check(service, staff, "face")
    assert (verification.outcome, verification.error_code) == (
        Outcome.NOT_VERIFIED,
        "face_not_matched",
    )
    assert verification.matched_person is None


def test_a_visual_check_without_a_card_access_number_verifies_without_a_match(
    profile_for, place_card, make_service, staff, person
) -> None:
    place_card(VirtualMyNumberCard(profile_for()))
    verification = check(make_service(ScriptedPinPad([None])), staff, "visual", attested=True)
    assert verification.outcome == Outcome.VERIFIED
    assert verification.basic_four_note == "no_access_key"
    assert verification.matched_person is None


def test_a_proxy_enters_the_pin(profile_for, place_card, make_service, staff, person) -> None:
    place_card(VirtualMyNumberCard(profile_for(auth_pin="2468")))
    pad = ScriptedPinPad(["2468"])
    verification = check(make_service(pad), staff, "proxy_pin")
    assert verification.method == CardVerification.Method.PROXY_PIN
    assert verification.outcome == Outcome.VERIFIED
    assert verification.matched_person == person
    assert pad.requests[0].kind == EntryKind.PROXY_PIN


def test_a_different_text_pin_is_tried_once_and_never_again(
    profile_for, place_card, make_service, staff, person
) -> None:
    card = VirtualMyNumberCard(profile_for(auth_pin="4321", text_pin="9876"))
    place_card(card)
    service = make_service(ScriptedPinPad(["4321", "4321"]))

    first = check(service, staff)
    assert first.outcome == Outcome.VERIFIED  # identity: the user-authentication PIN
    assert first.basic_four_note == "text_pin_differs"
    assert first.matched_person is None
    assert card.tries_left(apdu.TEXT_AID, apdu.TEXT_PIN) == 2

    second = check(service, staff)
    assert second.basic_four_note == "text_pin_differs"
    assert card.tries_left(apdu.TEXT_AID, apdu.TEXT_PIN) == 1
    # With one try left the service no longer risks locking it.
    third = check(make_service(ScriptedPinPad(["4321"])), staff)
    assert third.basic_four_note == "text_pin_not_tried"
    assert card.tries_left(apdu.TEXT_AID, apdu.TEXT_PIN) == 1


def test_card_taken_away_mid_read_then_placed_again(
    profile_for, place_card, make_service, staff, person
) -> None:
    card = VirtualMyNumberCard(profile_for(auth_pin="4321"))

    def lifted_while_reading_basic_four(command: bytes) -> bool:
        return command[:2] == b"\x00\xb0" and card.log[-1] == "00 A4 02 0C 0002"

    vpcd = place_card(card, vanish_when=lifted_while_reading_basic_four)
    service = make_service(ScriptedPinPad(["4321", "4321"]))

    removed = check(service, staff)
    assert (removed.outcome, removed.error_code) == (Outcome.FAILED, "card_removed")
    assert removed.matched_person is None
    assert not vpcd.connected

    vpcd.vanish_when = None
    vpcd.insert()
    again = check(service, staff)
    assert again.outcome == Outcome.VERIFIED
    assert again.matched_person == person


def test_a_card_of_another_kind_is_refused(place_card, make_service, staff) -> None:
    place_card(OtherCard())
    pad = ScriptedPinPad(["1234"])
    verification = check(make_service(pad), staff)
    assert (verification.outcome, verification.error_code) == (
        Outcome.REFUSED,
        "not_my_number_card",
    )
    assert pad.requests == []  # no PIN asked for a card that is not a My Number card


def test_no_card_within_the_timeout(pcscd, make_service, staff) -> None:
    verification = check(make_service(card_timeout=0.5), staff)
    assert (verification.outcome, verification.error_code) == (Outcome.FAILED, "no_card")


def test_no_reader(pcscd, make_service, staff) -> None:
    pcscd.unplug()
    service = make_service()
    verification = check(service, staff)
    assert (verification.outcome, verification.error_code) == (Outcome.FAILED, "no_reader")
    assert CounterReader.objects.get(counter=COUNTER).state == CounterReader.State.NO_READER


def test_reader_unplugged_mid_check_and_plugged_in_again(
    pcscd, profile_for, place_card, make_service, staff, person
) -> None:
    place_card(VirtualMyNumberCard(profile_for(auth_pin="4321")))

    def unplug_then_type(request: Any) -> str:
        pcscd.unplug()  # while the resident types, the reader's cable comes out
        return "4321"

    service = make_service(ScriptedPinPad([unplug_then_type, "4321"]))
    broken = check(service, staff)
    assert broken.outcome == Outcome.FAILED
    assert broken.error_code in {"reader_unavailable", "pcsc_unavailable", "card_removed"}

    assert service.step(wait=0.2) is None  # the service goes on, reporting no reader
    assert CounterReader.objects.get(counter=COUNTER).state == CounterReader.State.NO_READER

    pcscd.plug_in()
    verification = check(service, staff)
    assert verification.outcome == Outcome.VERIFIED
    assert verification.matched_person == person


def test_a_certificate_from_an_untrusted_ca_is_refused_before_any_pin(
    profile_for, stranger_authority, place_card, make_service, staff, person
) -> None:
    place_card(VirtualMyNumberCard(profile_for(by=stranger_authority)))
    pad = ScriptedPinPad(["1234"])
    verification = check(make_service(pad), staff)
    assert (verification.outcome, verification.error_code) == (Outcome.REFUSED, "untrusted_card")
    assert verification.certificate_trusted is False
    assert pad.requests == []
    face = check(make_service(face_device=SimulatedFaceDevice()), staff, "face")
    assert (face.outcome, face.error_code) == (Outcome.REFUSED, "untrusted_card")


def test_a_card_whose_signature_does_not_match_its_certificate_is_refused(
    profile_for, place_card, make_service, staff, person
) -> None:
    from cards.reader.testca import new_card_key

    # A trusted certificate copied onto a card with another key: the challenge does not verify.
    place_card(VirtualMyNumberCard(profile_for(auth_pin="4321", signing_key=new_card_key())))
    verification = check(make_service(ScriptedPinPad(["4321"])), staff)
    assert (verification.outcome, verification.error_code) == (Outcome.REFUSED, "untrusted_card")
    assert verification.card_genuine is not True
    assert verification.matched_person is None


def test_a_walk_up_card_starts_a_pin_check(profile_for, place_card, make_service, person) -> None:
    vpcd = place_card(VirtualMyNumberCard(profile_for(auth_pin="4321")), insert=False)
    service = make_service(ScriptedPinPad(["4321"]), walk_up=True)
    assert service.step(wait=0.2) is None  # reader empty
    vpcd.insert()
    result = None
    for _ in range(10):
        result = service.step(wait=0.5)
        if result is not None:
            break
    assert result is not None
    verification = CardVerification.objects.get()
    assert (verification.method, verification.outcome) == ("pin", Outcome.VERIFIED)
    assert verification.staff is None
    assert verification.matched_person == person
    # The same card left on the reader does not start another check.
    assert service.step(wait=0.3) is None


def test_the_service_survives_pcscd_restarting_between_checks(
    pcscd, profile_for, place_card, make_service, staff, person
) -> None:
    place_card(VirtualMyNumberCard(profile_for(auth_pin="4321")))
    service = make_service(ScriptedPinPad(["4321", "4321"]))
    assert check(service, staff).outcome == Outcome.VERIFIED
    pcscd.restart()  # every PC/SC context the service held is dead now
    again = check(service, staff)
    assert (again.outcome, again.matched_person) == (Outcome.VERIFIED, person)
