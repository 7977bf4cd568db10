"""The My Number card protocol over any transport: recognise the card, PIN tries and VERIFY, read
the basic four and the user-authentication certificate, have the card sign a challenge.

`Transport` is the one thing this module needs: `transmit(bytes) -> bytes` (C-APDU in, R-APDU
with status word out), raising the card layer's typed errors for PC/SC failures. `cards.reader.pcsc`
provides it over pyscard; tests replay recorded exchanges through it.

Rules this module keeps (research brief §1–2): never select or read EF 0001 of the
券面事項入力補助AP (the 12-digit My Number); never VERIFY twice with the same value on its own;
ask tries left with an empty VERIFY before presenting a value; log APDU headers only.
"""

from __future__ import annotations

import logging
from typing import Protocol

from cards.reader import apdu
from cards.reader.apdu import BasicFour, Command, Response
from cards.reader.errors import CardDataError, FileNotFound, NotMyNumberCard, StatusWordError
from cards.reader.secret import Secret

logger = logging.getLogger(__name__)

CHUNK = 256  # short READ BINARY
MAX_FILE = 0x7FFF  # 15-bit offsets


class Transport(Protocol):
    def transmit(self, command: bytes) -> bytes: ...


class MyNumberCardSession:
    """One connection's worth of conversation with a card. Not thread-safe; one per flow."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.current_df: bytes | None = None

    # --- plumbing -------------------------------------------------------------------------------

    def exchange(self, command: Command) -> Response:
        """Send one command; follow 61xx (GET RESPONSE) and 6Cxx (re-send with Le=xx)."""
        response = Response.from_bytes(self.transport.transmit(command.to_bytes()))
        logger.debug(
            "APDU %s -> %04X (%d bytes)", command.header(), response.sw, len(response.data)
        )
        if response.sw1 == 0x6C and command.le is not None:
            retry = Command(
                command.cla, command.ins, command.p1, command.p2, command.data, response.sw2
            )
            return self.exchange(retry)
        data = response.data
        while response.sw1 == 0x61:
            response = Response.from_bytes(
                self.transport.transmit(apdu.get_response(response.sw2).to_bytes())
            )
            data += response.data
        return Response(data, response.sw) if data != response.data else response

    def select_df(self, aid: bytes, *, again: bool = False) -> None:
        """Select an application. Not re-sent when it is already the current one: re-selecting
        may clear a verified PIN (the card is allowed to, and the virtual card does)."""
        if aid == self.current_df and not again:
            return
        self.current_df = None
        apdu.check(self.exchange(apdu.select_df(aid)))
        self.current_df = aid

    def select_ef(self, ef: int) -> None:
        if self.current_df == apdu.TEXT_AID and ef == 0x0001:
            # The 12-digit My Number lives there. Refused here so no caller can get at it.
            raise PermissionError("this service never reads the My Number (EF 0001)")
        apdu.check(self.exchange(apdu.select_ef(ef)))

    # --- recognising the card -------------------------------------------------------------------

    def recognise(self) -> None:
        """Raise NotMyNumberCard unless both the JPKI-AP and the 券面事項入力補助AP answer.

        The ATR is not trusted (contactless readers synthesise it); selecting the applications is
        what OpenSC's JPKI driver falls back to as well.
        """
        for aid in (apdu.JPKI_AID, apdu.TEXT_AID):
            try:
                self.select_df(aid, again=True)
            except StatusWordError as exc:
                raise NotMyNumberCard(f"application {aid.hex().upper()} not on card") from exc

    def token_label(self) -> bytes:
        """The JPKI token label (`JPKIAPICCTOKEN2` on a physical card)."""
        self.select_df(apdu.JPKI_AID)
        self.select_ef(apdu.JPKI_TOKEN_INFO)
        return self.read(0, 32).rstrip(b" \x00")

    # --- PINs -----------------------------------------------------------------------------------

    def tries_left(self, df: bytes, key: int, *, limit: int) -> int | None:
        """Tries left on `key` without spending one; None when it is already verified."""
        self.select_df(df)
        self.select_ef(key)
        return apdu.tries_left(self.exchange(apdu.verify_status()), limit=limit)

    def verify(self, df: bytes, key: int, secret: Secret) -> None:
        """VERIFY once. Raises WrongPin (with tries left) or PinLocked; never retries."""
        self.select_df(df)
        self.select_ef(key)
        apdu.check(self.exchange(apdu.verify(secret.reveal())), verifying=True)

    def auth_pin_tries_left(self) -> int | None:
        return self.tries_left(apdu.JPKI_AID, apdu.JPKI_AUTH_PIN, limit=apdu.AUTH_PIN_LIMIT)

    def verify_auth_pin(self, pin: Secret) -> None:
        self.verify(apdu.JPKI_AID, apdu.JPKI_AUTH_PIN, pin)

    def text_pin_tries_left(self) -> int | None:
        return self.tries_left(apdu.TEXT_AID, apdu.TEXT_PIN, limit=apdu.TEXT_PIN_LIMIT)

    def verify_text_pin(self, pin: Secret) -> None:
        self.verify(apdu.TEXT_AID, apdu.TEXT_PIN, pin)

    def verify_access_key_b(self, key: Secret) -> None:
        self.verify(apdu.TEXT_AID, apdu.TEXT_ACCESS_KEY_B, key)

    # --- reading --------------------------------------------------------------------------------

    def read(self, offset: int, length: int) -> bytes:
        """READ BINARY `length` bytes from the selected EF, in chunks; short at end of file."""
        out = b""
        while len(out) < length:
            size = min(CHUNK, length - len(out))
            response = self.exchange(apdu.read_binary(offset + len(out), size))
            if response.sw in (apdu.SW_OFFSET, apdu.SW_END_OF_FILE):
                out += response.data  # end of file: what there is
                break
            out += apdu.check(response).data
            if len(response.data) < size:
                break
        return out

    def read_tlv_file(self, ef: int) -> bytes:
        """Read a file holding one BER-TLV object (a DER certificate, FF20 …) to its end."""
        self.select_ef(ef)
        head = self.read(0, 8)
        start = 0
        while start < len(head) and head[start] not in (0x30, 0xFF):
            start += 1  # tolerate a short prefix before the object
        total = apdu.tlv_total_length(head[start:])
        if total is None or start + total > MAX_FILE:
            raise CardDataError(f"EF {ef:04X} does not start with a readable object")
        content = head[: start + total]
        if len(content) < start + total:
            content += self.read(len(head), start + total - len(head))
        if len(content) != start + total:
            raise CardDataError(f"EF {ef:04X} ended early")
        return content

    def read_auth_certificate(self) -> bytes:
        """The 利用者証明用電子証明書 (DER). Readable without a PIN."""
        self.select_df(apdu.JPKI_AID)
        return self.read_tlv_file(apdu.JPKI_AUTH_CERT)

    def read_auth_ca_certificate(self) -> bytes | None:
        """The CA certificate the card carries for its user-authentication certificate."""
        self.select_df(apdu.JPKI_AID)
        try:
            return self.read_tlv_file(apdu.JPKI_AUTH_CA_CERT)
        except FileNotFound:
            return None

    def read_basic_four(self) -> BasicFour:
        """The basic four from the 券面事項入力補助AP; its PIN or 照合番号B must be verified."""
        self.select_df(apdu.TEXT_AID)
        return apdu.parse_basic_four(self.read_tlv_file(apdu.TEXT_BASIC_FOUR))

    # --- signing --------------------------------------------------------------------------------

    def sign_with_auth_key(self, message: bytes) -> bytes:
        """Have the user-authentication key sign SHA-256(`message`) (PKCS#1 v1.5).

        The user-authentication PIN must have been verified in this session (else 6982).
        """
        self.select_df(apdu.JPKI_AID)
        self.select_ef(apdu.JPKI_AUTH_KEY)
        digest_info = apdu.sha256_digest_info(message)
        return apdu.check(self.exchange(apdu.compute_signature(digest_info))).data
