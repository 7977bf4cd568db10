"""The virtual card's state machine, spoken to directly (no PC/SC): it must behave like the card."""

from __future__ import annotations

from datetime import date

import pytest
from cryptography import x509

from cards.reader import apdu
from cards.reader.trust import verify_signature
from cards.reader.virtual_card import OtherCard, VirtualMyNumberCard, access_key_b, fake_my_number


def send(card: VirtualMyNumberCard | OtherCard, hex_command: str) -> tuple[bytes, int]:
    raw = card.transmit(bytes.fromhex(hex_command.replace(" ", "")))
    return raw[:-2], int.from_bytes(raw[-2:], "big")


SELECT_JPKI = "00A4040C0A" + apdu.JPKI_AID.hex()
SELECT_TEXT = "00A4040C0A" + apdu.TEXT_AID.hex()


@pytest.fixture
def card(profile_for) -> VirtualMyNumberCard:
    return VirtualMyNumberCard(profile_for(auth_pin="4321"))


def test_three_wrong_pins_lock_it_and_only_a_right_pin_resets_the_counter(card) -> None:
    send(card, SELECT_JPKI)
    send(card, "00A4020C020018")
    assert send(card, "00200080")[1] == 0x63C3
    assert send(card, "002000800430303030")[1] == 0x63C2
    assert send(card, "002000800434333231")[1] == 0x9000  # right: back to 3
    assert card.tries_left(apdu.JPKI_AID, apdu.JPKI_AUTH_PIN) == 3
    answers = [send(card, "002000800430303030")[1] for _ in range(4)]
    assert answers == [0x63C2, 0x63C1, 0x63C0, 0x6984]
    assert send(card, "002000800434333231")[1] == 0x6984  # locked: even the right PIN
    assert send(card, "00200080")[1] == 0x6984


def test_counters_survive_power_off_but_verification_does_not(card) -> None:
    send(card, SELECT_JPKI)
    send(card, "00A4020C020018")
    send(card, "002000800430303030")
    send(card, "002000800434333231")
    assert send(card, "00200080")[1] == 0x9000  # verified in this session
    card.power_off()
    send(card, SELECT_JPKI)
    send(card, "00A4020C020018")
    assert send(card, "00200080")[1] == 0x63C3


def test_the_basic_four_need_the_text_pin_or_access_key_b(card, profile_for) -> None:
    send(card, SELECT_TEXT)
    send(card, "00A4020C020002")
    assert send(card, "00B0000010")[1] == 0x6982
    send(card, "00A4020C020011")
    send(card, "002000800434333231")
    send(card, "00A4020C020002")
    data, sw = send(card, "00B0000000")
    assert sw in (0x9000, 0x6282)
    assert apdu.parse_basic_four(data) == card.profile.holder

    other = VirtualMyNumberCard(profile_for())
    send(other, SELECT_TEXT)
    send(other, "00A4020C020015")
    assert send(other, "00200080" + "0E" + other.profile.access_key_b.encode().hex())[1] == 0x9000
    send(other, "00A4020C020002")
    assert send(other, "00B0000008")[1] == 0x9000


def test_reads_honour_le_and_the_end_of_file(card) -> None:
    send(card, SELECT_JPKI)
    send(card, "00A4020C02000A")
    data, sw = send(card, "00B0000004")
    assert (len(data), sw) == (4, 0x9000)
    length = apdu.tlv_total_length(data)
    assert length is not None and length > 256
    data, sw = send(card, "00B0000000")
    assert (len(data), sw) == (256, 0x9000)  # never more than Le, although vpcd would pass it
    offset = length - 2
    data, sw = send(card, f"00B0{offset:04X}10")
    assert (len(data), sw) == (2, 0x6282)
    assert send(card, f"00B0{length:04X}10")[1] == 0x6B00
    assert send(card, "00B0000000" + "00")[1] == 0x6700  # no extended APDUs


def test_signing_needs_the_pin_and_verifies_with_the_certificate(card) -> None:
    digest_info = apdu.sha256_digest_info(b"challenge")
    sign = "802A0080" + f"{len(digest_info):02X}" + digest_info.hex() + "00"
    send(card, SELECT_JPKI)
    send(card, "00A4020C020017")
    assert send(card, sign)[1] == 0x6982
    send(card, "00A4020C020018")
    send(card, "002000800434333231")
    send(card, "00A4020C020017")
    signature, sw = send(card, sign)
    assert sw == 0x9000
    certificate = x509.load_der_x509_certificate(card.profile.auth_certificate)
    verify_signature(certificate, b"challenge", signature)
    assert send(card, SELECT_JPKI)[1] == 0x9000  # re-selecting forgets the PIN
    send(card, "00A4020C020017")
    assert send(card, sign)[1] == 0x6982


def test_unknown_things_get_the_cards_status_words(card) -> None:
    assert send(card, "00A4040C0AD3921000310001019999")[1] == 0x6A82
    assert send(card, "00A4020C020018")[1] == 0x6A82  # no application selected yet
    send(card, SELECT_JPKI)
    assert send(card, "00A4020C02FFFF")[1] == 0x6A82
    assert send(card, "00A40000023F00")[1] == 0x6A86
    assert send(card, "00CA5F5100")[1] == 0x6D00


def test_the_log_never_keeps_a_pin(card) -> None:
    send(card, SELECT_JPKI)
    send(card, "00A4020C020018")
    send(card, "002000800434333231")
    assert card.log[-1] == "00 20 00 80 [4 secret bytes]"
    assert "4321" not in " ".join(card.log) and "34333231" not in " ".join(card.log)


def test_a_card_of_another_kind_has_no_my_number_applications() -> None:
    other = OtherCard()
    assert send(other, SELECT_JPKI)[1] == 0x6A82
    assert other.atr != VirtualMyNumberCard.atr


def test_access_key_b_uses_the_era_year() -> None:
    # The worked example of the research brief: 1980-02-17 is 昭和55, expiry 2035, code 2285.
    assert access_key_b(date(1980, 2, 17), 2035, "2285") == "55021720352285"
    assert access_key_b(date(2020, 2, 24), 2030, "0001").startswith("020224")


def test_the_fake_my_number_has_a_valid_check_digit() -> None:
    for _ in range(20):
        number = fake_my_number()
        digits = [int(d) for d in number[:11]]
        total = sum(
            d * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(reversed(digits), start=1)
        )
        check = 0 if total % 11 <= 1 else 11 - total % 11
        assert len(number) == 12 and int(number[11]) == check
