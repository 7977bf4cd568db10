"""Regenerate the recorded APDU exchanges of test_apdu.py (run as root; starts its own pcscd).

    .venv/bin/python tests/reader/recordings/make_recording.py

Records, through pcscd and vpcd, what the card layer sends to the virtual card and what comes back:
a PIN session (recognise, tries left, certificates, VERIFY, signature of a fixed challenge, the
basic four) and a lock-out (three wrong PINs, then one more). The test card's PIN is 1234.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from cards.reader.apdu import BasicFour  # noqa: E402
from cards.reader.card import MyNumberCardSession  # noqa: E402
from cards.reader.errors import PinLocked, WrongPin  # noqa: E402
from cards.reader.pcsc import Pcsc  # noqa: E402
from cards.reader.secret import Secret  # noqa: E402
from cards.reader.testbed import Pcscd  # noqa: E402
from cards.reader.testca import CertificateAuthority, make_card_profile  # noqa: E402
from cards.reader.virtual_card import VirtualMyNumberCard, VpcdCard  # noqa: E402

HERE = Path(__file__).resolve().parent
CHALLENGE = bytes(range(32))
HOLDER = BasicFour("錦糸\u3000花子", "東京都墨田区錦糸四丁目１７番１号", date(1958, 4, 1), "2")


class Recorder:
    def __init__(self, transport: object) -> None:
        self.transport = transport
        self.exchanges: list[list[str]] = []

    def transmit(self, command: bytes) -> bytes:
        response = self.transport.transmit(command)  # type: ignore[attr-defined]
        self.exchanges.append([command.hex().upper(), response.hex().upper()])
        return response


def main() -> None:
    pcscd = Pcscd()
    pcscd.start()
    try:
        authority = CertificateAuthority.create()
        card = VirtualMyNumberCard(make_card_profile(HOLDER, authority, auth_pin="1234"))
        pcsc = Pcsc()
        with VpcdCard(card, port=pcscd.port) as vpcd:
            vpcd.insert()
            pcsc.wait_for_card(pcscd.reader, 5)
            with pcsc.connect(pcscd.reader) as connection:
                recorder = Recorder(connection)
                session = MyNumberCardSession(recorder)
                session.recognise()
                session.token_label()
                session.read_auth_certificate()
                session.read_auth_ca_certificate()
                session.auth_pin_tries_left()
                session.verify_auth_pin(Secret("1234"))
                session.sign_with_auth_key(CHALLENGE)
                session.text_pin_tries_left()
                session.verify_text_pin(Secret("1234"))
                session.read_basic_four()
                pin_session = recorder.exchanges
            with pcsc.connect(pcscd.reader) as connection:
                recorder = Recorder(connection)
                session = MyNumberCardSession(recorder)
                session.recognise()
                for wrong in ("0000", "0001", "0002", "0003"):
                    try:
                        session.verify_auth_pin(Secret(wrong))
                    except (WrongPin, PinLocked):
                        pass
                session.auth_pin_tries_left()
                lockout = recorder.exchanges
        pcsc.reset()
    finally:
        pcscd.cleanup()
    recording = {
        "about": "Recorded by make_recording.py from the virtual card via pcscd + vpcd.",
        "pin": "1234",
        "challenge": CHALLENGE.hex().upper(),
        "ca_certificate_pem": authority.certificate_pem().decode(),
        "pin_session": pin_session,
        "lockout": lockout,
    }
    (HERE / "exchanges.json").write_text(json.dumps(recording, indent=1) + "\n", encoding="utf-8")
    print(f"{len(pin_session)} + {len(lockout)} exchanges written")


if __name__ == "__main__":
    main()
