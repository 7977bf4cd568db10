"""The APDU layer against recorded exchanges (recordings/exchanges.json) and synthetic answers.

No PC/SC here: a transport replays what the virtual card answered through pcscd and vpcd when the
recording was made (recordings/make_recording.py), and fails on any command that differs.
"""

from __future__ import annotations

import datetime as dt
import json
import pickle
from datetime import date
from pathlib import Path

import pytest
from cryptography import x509

from cards.reader import apdu
from cards.reader.apdu import BasicFour, Command, Response
from cards.reader.card import MyNumberCardSession
from cards.reader.errors import (
    CardDataError,
    FileNotFound,
    NotMyNumberCard,
    PinLocked,
    SecurityNotSatisfied,
    StatusWordError,
    WrongPin,
)
from cards.reader.secret import Secret
from cards.reader.trust import TrustStore, verify_signature

RECORDING = json.loads(
    (Path(__file__).parent / "recordings" / "exchanges.json").read_text(encoding="utf-8")
)


class Replay:
    """A transport that expects exactly the recorded commands, in order."""

    def __init__(self, exchanges: list[list[str]]) -> None:
        self.exchanges = [(bytes.fromhex(c), bytes.fromhex(r)) for c, r in exchanges]
        self.position = 0

    def transmit(self, command: bytes) -> bytes:
        assert self.position < len(self.exchanges), f"unexpected extra command {command.hex()}"
        expected, response = self.exchanges[self.position]
        assert command == expected, f"exchange {self.position}: sent {command.hex()}"
        self.position += 1
        return response

    @property
    def finished(self) -> bool:
        return self.position == len(self.exchanges)


class Answers:
    """A transport that answers from a list of R-APDUs and keeps the commands."""

    def __init__(self, *responses: str) -> None:
        self.responses = [bytes.fromhex(r) for r in responses]
        self.commands: list[bytes] = []

    def transmit(self, command: bytes) -> bytes:
        self.commands.append(command)
        return self.responses.pop(0)


def test_a_recorded_pin_session_replays_and_proves_the_card_genuine() -> None:
    replay = Replay(RECORDING["pin_session"])
    session = MyNumberCardSession(replay)
    session.recognise()
    assert session.token_label() == apdu.PHYSICAL_CARD_LABEL
    certificate_der = session.read_auth_certificate()
    ca_der = session.read_auth_ca_certificate()
    assert session.auth_pin_tries_left() == 3
    session.verify_auth_pin(Secret(RECORDING["pin"]))
    challenge = bytes.fromhex(RECORDING["challenge"])
    signature = session.sign_with_auth_key(challenge)
    assert session.text_pin_tries_left() == 3
    session.verify_text_pin(Secret(RECORDING["pin"]))
    four = session.read_basic_four()
    assert replay.finished

    assert four == BasicFour(
        "錦糸\u3000花子", "東京都墨田区錦糸四丁目１７番１号", date(1958, 4, 1), "2"
    )
    store = TrustStore.from_certificates(RECORDING["ca_certificate_pem"].encode())
    certificate = x509.load_der_x509_certificate(certificate_der)
    when = certificate.not_valid_before_utc + dt.timedelta(days=2)
    assert store.verify_certificate(certificate_der, [ca_der], at=when) == certificate
    verify_signature(certificate, challenge, signature)  # raises if it does not verify
    assert len(signature) == 256


def test_certificates_are_read_in_chunks_of_at_most_256_bytes() -> None:
    reads = [bytes.fromhex(c) for c, _ in RECORDING["pin_session"] if c.startswith("00B0")]
    assert reads and all(len(c) == 5 for c in reads)  # short APDUs: Le is one byte
    assert {c[4] for c in reads} <= set(range(256))


def test_a_recorded_lockout_gives_wrong_pin_then_locked() -> None:
    session = MyNumberCardSession(Replay(RECORDING["lockout"]))
    session.recognise()
    errors = []
    for wrong in ("0000", "0001", "0002", "0003"):
        with pytest.raises((WrongPin, PinLocked)) as caught:
            session.verify_auth_pin(Secret(wrong))
        errors.append((type(caught.value).__name__, caught.value.tries_left))
    assert errors == [("WrongPin", 2), ("WrongPin", 1), ("PinLocked", 0), ("PinLocked", 0)]
    assert session.auth_pin_tries_left() == 0


@pytest.mark.parametrize(
    ("sw", "verifying", "error", "tries"),
    [
        (0x63C2, True, WrongPin, 2),
        (0x63C1, True, WrongPin, 1),
        (0x63C0, True, PinLocked, 0),
        (0x6984, True, PinLocked, 0),
        (0x6983, False, PinLocked, 0),
        (0x6A82, False, FileNotFound, None),
        (0x6982, False, SecurityNotSatisfied, None),
        (0x6D00, False, StatusWordError, None),
    ],
)
def test_status_words_map_to_typed_errors(sw, verifying, error, tries) -> None:
    with pytest.raises(error) as caught:
        apdu.check(Response(b"", sw), verifying=verifying)
    assert type(caught.value) is error
    assert getattr(caught.value, "tries_left", None) == tries


def test_an_empty_verify_reads_tries_without_spending_one() -> None:
    assert apdu.tries_left(Response(b"", 0x63C3), limit=3) == 3
    assert apdu.tries_left(Response(b"", 0x6984), limit=3) == 0
    assert apdu.tries_left(Response(b"", 0x9000), limit=3) is None  # already verified
    assert apdu.verify_status().to_bytes() == bytes.fromhex("00200080")


def test_61xx_is_followed_by_get_response_and_6cxx_is_resent() -> None:
    transport = Answers("01026102", "AABB9000")
    response = MyNumberCardSession(transport).exchange(apdu.read_binary(0, 4))
    assert response == Response(bytes.fromhex("0102AABB"), 0x9000)
    assert transport.commands[1] == bytes.fromhex("00C0000002")

    transport = Answers("6C02", "01029000")
    response = MyNumberCardSession(transport).exchange(apdu.read_binary(0, 8))
    assert response.data == b"\x01\x02"
    assert transport.commands[1] == bytes.fromhex("00B0000002")


def test_a_card_without_the_applications_is_not_a_my_number_card() -> None:
    with pytest.raises(NotMyNumberCard):
        MyNumberCardSession(Answers("6A82")).recognise()


def test_the_my_number_file_is_never_selected() -> None:
    session = MyNumberCardSession(Answers("9000"))
    session.select_df(apdu.TEXT_AID)
    with pytest.raises(PermissionError):
        session.select_ef(0x0001)


def test_reading_stops_at_the_end_of_the_file() -> None:
    session = MyNumberCardSession(Answers("01026282"))
    assert session.read(0, 10) == b"\x01\x02"
    assert MyNumberCardSession(Answers("6B00")).read(300, 10) == b""


def test_a_verify_command_never_shows_its_pin() -> None:
    command = apdu.verify(b"8264")
    text = f"{command!r} {command.header()} {Command!r}"
    assert "8264" not in text and "38323634" not in text.upper()
    assert command.header() == "00 20 00 80 Lc=4"
    assert command.to_bytes() == bytes.fromhex("002000800438323634")


def test_a_secret_hides_its_value_and_can_be_wiped() -> None:
    secret = Secret("8264")
    assert "8264" not in f"{secret} {secret!r} {[secret]}"
    assert secret.is_digits(4) and not secret.is_digits(14)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    secret.wipe()
    assert secret.reveal() == b""
    assert not Secret("12a4").is_digits()


def test_basic_four_round_trips_with_long_lengths() -> None:
    four = BasicFour(
        "長い\u3000名前", "東京都墨田区" + "横川" * 60 + "一丁目1番1号", date(2001, 2, 3), "9"
    )
    encoded = apdu.encode_basic_four(four)
    assert encoded[:3] == b"\xff\x20\x82"  # long form: more than 255 bytes
    assert apdu.parse_basic_four(encoded + b"\xff" * 20) == four


def test_basic_four_tolerates_two_bytes_before_the_object() -> None:
    four = BasicFour("本所\u3000一郎", "東京都墨田区本所一丁目1番1号", date(1970, 1, 2), "1")
    assert apdu.parse_basic_four(b"\x00\x00" + apdu.encode_basic_four(four)) == four


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\xff\xff\xff\xff",
        bytes.fromhex("FF2005DF220261"),  # no address, birth date, sex
        bytes.fromhex("FF2010DF2201")
        + b"a"
        + bytes.fromhex("DF2301")
        + b"b"
        + bytes.fromhex("DF2408")
        + b"19801350"
        + bytes.fromhex("DF250131"),  # month 13
    ],
)
def test_broken_basic_four_files_are_refused(content: bytes) -> None:
    with pytest.raises(CardDataError):
        apdu.parse_basic_four(content)


def test_tlv_total_length_reads_the_header_only() -> None:
    assert apdu.tlv_total_length(bytes.fromhex("308203A0")) == 4 + 0x3A0
    assert apdu.tlv_total_length(bytes.fromhex("FF20820123")) == 5 + 0x123
    assert apdu.tlv_total_length(bytes.fromhex("DF2203")) == 6
    assert apdu.tlv_total_length(bytes.fromhex("3082")) is None
