"""A virtual My Number card in pure Python, plugged into vsmartcard's vpcd reader driver.

The card (`VirtualMyNumberCard`) answers the APDUs the real card answers, as far as this project
uses them (research brief §1–2 and the checklist in §8): the JPKI-AP with the user-authentication
certificate, its CA certificate, the token label, the 4-digit PIN (3 tries) and the signing key;
the 券面事項入力補助AP with the basic four, a (fake) My Number, its own 4-digit PIN (3 tries)
and 照合番号B (10 tries); the 券面事項確認AP by name. PIN counters survive removal and
reinsertion, a PIN locks after three wrong attempts (63C2, 63C1, 63C0, then 6984), only a
right PIN resets a counter, and powering off or re-selecting an application forgets what was
verified.

`VpcdCard` connects a card to vpcd (`/etc/reader.conf.d/vpcd`: the first reader listens on
127.0.0.1:35963) and speaks its framing: a 2-byte big-endian length, then either a one-byte control
(0 power off, 1 power on, 2 reset, 4 ATR) or a C-APDU. Card insertion is opening the socket;
removal is closing it. It runs in a thread (tests) or in the foreground (`manage.py virtual_card`).

No Django here: tests, the bench and the training command all use it directly.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from cards.reader import apdu
from cards.reader.apdu import BasicFour
from sumida_kokuho.wareki import era_of

logger = logging.getLogger(__name__)

MY_NUMBER_CARD_ATR = bytes.fromhex("3BE000FF8131FE4514")  # OpenSC's JPKI ATR
# A contactless card of another kind (PC/SC part 3 synthesised ATR of a transit IC card).
OTHER_CARD_ATR = bytes.fromhex("3B8F8001804F0CA0000003060300030000000068")
VPCD_HOST = "127.0.0.1"
VPCD_PORT = 35963

ACCESS_KEY_LIMIT = apdu.ACCESS_KEY_LIMIT
# A card is not put back faster than this after it left the reader. pcscd polls vpcd about every
# 0.4 s; a card back within one poll is never seen again by pcscd 1.9.9 (observed), and no hand
# is that quick anyway.
REPLACE_GAP = 1.0
# Per reader slot, across card objects: a different card placed too soon is missed just the same.
_last_removal: dict[tuple[str, int], float] = {}


def access_key_b(birth_date: date, card_expiry_year: int, security_code: str) -> str:
    """照合番号B: birth date as YYMMDD with the Japanese era year, the card's expiry year (4 digits)
    and the 4-digit security code printed on the card front (research brief §1.5)."""
    era_year = era_of(birth_date).year_of(birth_date)
    return f"{era_year:02d}{birth_date:%m%d}{card_expiry_year:04d}{security_code}"


def fake_my_number() -> str:
    """A random 12-digit number with a valid check digit, so the card looks real. It is only
    ever inside the virtual card: the reader never reads EF 0001."""
    body = [secrets.randbelow(10) for _ in range(11)]
    total = sum(d * (n + 1 if n <= 6 else n - 5) for n, d in enumerate(reversed(body), start=1))
    check = 0 if total % 11 <= 1 else 11 - total % 11
    return "".join(map(str, body)) + str(check)


@dataclass
class CardProfile:
    """Who the card belongs to and how it is set up."""

    holder: BasicFour
    auth_certificate: bytes  # DER
    auth_ca_certificate: bytes  # DER
    auth_key_numbers: tuple[int, int]  # (n, d) of the RSA key the certificate certifies
    auth_pin: str = "1234"
    text_pin: str | None = None  # None: the same as auth_pin (what most holders do)
    auth_pin_tries: int = apdu.AUTH_PIN_LIMIT
    text_pin_tries: int = apdu.TEXT_PIN_LIMIT
    card_expiry_year: int = 2035
    security_code: str = "2285"
    my_number: str = field(default_factory=fake_my_number)

    @property
    def access_key_b(self) -> str:
        return access_key_b(self.holder.birth_date, self.card_expiry_year, self.security_code)


@dataclass
class _Key:
    value: bytes
    limit: int
    remaining: int

    def verify(self, candidate: bytes) -> int:
        if self.remaining == 0:
            return apdu.SW_KEY_BLOCKED
        if secrets.compare_digest(candidate, self.value):
            self.remaining = self.limit
            return apdu.SW_OK
        self.remaining -= 1
        return 0x63C0 | self.remaining


@dataclass
class _File:
    content: bytes
    opened_by: frozenset[int] = frozenset()  # keys any one of which opens it; empty: free
    private_key: bool = False  # a key EF: not readable, usable by COMPUTE SIGNATURE
    needs: int = 0  # for a private key: the PIN that must be verified


@dataclass
class _Application:
    files: dict[int, _File]
    keys: dict[int, _Key]


def _token_info() -> bytes:
    return apdu.PHYSICAL_CARD_LABEL.ljust(32, b" ") + bytes(128)


def _rsa_sign_raw(numbers: tuple[int, int], digest_info: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 on a DigestInfo supplied by the host, as the card does."""
    n, d = numbers
    size = (n.bit_length() + 7) // 8
    block = b"\x00\x01" + b"\xff" * (size - 3 - len(digest_info)) + b"\x00" + digest_info
    return pow(int.from_bytes(block, "big"), d, n).to_bytes(size, "big")


class VirtualMyNumberCard:
    """The card's state machine: `transmit(C-APDU) -> R-APDU`, plus power and reset."""

    atr = MY_NUMBER_CARD_ATR

    def __init__(self, profile: CardProfile) -> None:
        self.profile = profile
        text_pin = (profile.text_pin or profile.auth_pin).encode()
        auth_pin = profile.auth_pin.encode()
        self.apps: dict[bytes, _Application] = {
            apdu.JPKI_AID: _Application(
                files={
                    apdu.JPKI_TOKEN_INFO: _File(_token_info()),
                    apdu.JPKI_AUTH_CERT: _File(profile.auth_certificate),
                    apdu.JPKI_AUTH_CA_CERT: _File(profile.auth_ca_certificate),
                    apdu.JPKI_AUTH_KEY: _File(
                        b"", private_key=True, needs=apdu.JPKI_AUTH_PIN, opened_by=frozenset()
                    ),
                },
                keys={
                    apdu.JPKI_AUTH_PIN: _Key(auth_pin, apdu.AUTH_PIN_LIMIT, profile.auth_pin_tries),
                    # 署名用パスワード: present so the card is complete; nothing here uses it.
                    0x001B: _Key(secrets.token_hex(8).upper().encode(), 5, 5),
                },
            ),
            apdu.TEXT_AID: _Application(
                files={
                    0x0001: _File(
                        b"\xff\x10\x0c" + profile.my_number.encode() + b"\xff\xff",
                        opened_by=frozenset({apdu.TEXT_PIN, 0x0014}),
                    ),
                    apdu.TEXT_BASIC_FOUR: _File(
                        apdu.encode_basic_four(profile.holder) + b"\xff" * 16,
                        opened_by=frozenset({apdu.TEXT_PIN, apdu.TEXT_ACCESS_KEY_B}),
                    ),
                },
                keys={
                    apdu.TEXT_PIN: _Key(text_pin, apdu.TEXT_PIN_LIMIT, profile.text_pin_tries),
                    0x0014: _Key(profile.my_number.encode(), ACCESS_KEY_LIMIT, ACCESS_KEY_LIMIT),
                    apdu.TEXT_ACCESS_KEY_B: _Key(
                        profile.access_key_b.encode(), ACCESS_KEY_LIMIT, ACCESS_KEY_LIMIT
                    ),
                },
            ),
            apdu.VISUAL_AID: _Application(files={}, keys={}),
        }
        self._app: bytes | None = None
        self._ef: int | None = None
        self._verified: set[tuple[bytes, int]] = set()
        # Every command seen, by header only (a VERIFY's value is never kept): tests read it.
        self.log: list[str] = []

    # --- power ----------------------------------------------------------------------------------

    def power_off(self) -> None:
        self._app, self._ef = None, None
        self._verified.clear()

    power_on = power_off
    reset = power_off

    def tries_left(self, aid: bytes, key: int) -> int:
        return self.apps[aid].keys[key].remaining

    # --- commands -------------------------------------------------------------------------------

    def transmit(self, raw: bytes) -> bytes:
        data, sw = self._dispatch(raw)
        return data + sw.to_bytes(2, "big")

    def _dispatch(self, raw: bytes) -> tuple[bytes, int]:
        if len(raw) < 4:
            return b"", apdu.SW_WRONG_LENGTH
        cla, ins, p1, p2 = raw[:4]
        body, le = b"", None
        if len(raw) == 5:
            le = raw[4] or 256
        elif len(raw) > 5:
            lc = raw[4]
            if lc == 0:
                return b"", apdu.SW_WRONG_LENGTH  # extended APDUs are not used by this card
            body = raw[5 : 5 + lc]
            if len(raw) == 5 + lc + 1:
                le = raw[5 + lc] or 256
            elif len(raw) != 5 + lc:
                return b"", apdu.SW_WRONG_LENGTH
        self.log.append(f"{cla:02X} {ins:02X} {p1:02X} {p2:02X}" + self._describe(ins, body))
        if cla == 0x00 and ins == 0xA4:
            return b"", self._select(p1, p2, body)
        if cla == 0x00 and ins == 0x20:
            return b"", self._verify(p1, p2, body)
        if cla == 0x00 and ins == 0xB0:
            return self._read(p1, p2, le)
        if cla == 0x80 and ins == 0x2A:
            return self._sign(p1, p2, body)
        return b"", apdu.SW_INS_NOT_SUPPORTED

    def _describe(self, ins: int, body: bytes) -> str:
        if ins == 0x20:
            return f" [{len(body)} secret bytes]" if body else ""
        return f" {body.hex().upper()}" if body else ""

    def _select(self, p1: int, p2: int, body: bytes) -> int:
        if p2 != 0x0C:
            return apdu.SW_WRONG_P1P2  # this card never returns FCI here
        if p1 == 0x04:
            if body not in self.apps:
                return apdu.SW_NOT_FOUND
            # Conservative, like the checklist: a (re-)selected application forgets its PINs.
            self._verified = {entry for entry in self._verified if entry[0] != body}
            self._app, self._ef = body, None
            return apdu.SW_OK
        if p1 == 0x02 and len(body) == 2:
            if self._app is None:
                return apdu.SW_NOT_FOUND
            ef = int.from_bytes(body, "big")
            app = self.apps[self._app]
            if ef not in app.files and ef not in app.keys:
                return apdu.SW_NOT_FOUND
            self._ef = ef
            return apdu.SW_OK
        return apdu.SW_WRONG_P1P2

    def _verify(self, p1: int, p2: int, body: bytes) -> int:
        if p1 != 0x00 or p2 != 0x80:
            return apdu.SW_WRONG_P1P2
        if self._app is None or self._ef not in self.apps[self._app].keys:
            return apdu.SW_DATA_NOT_FOUND
        key = self.apps[self._app].keys[self._ef]
        if not body:
            if (self._app, self._ef) in self._verified:
                return apdu.SW_OK
            if key.remaining == 0:
                return apdu.SW_KEY_BLOCKED
            return 0x63C0 | key.remaining
        sw = key.verify(body)
        if sw == apdu.SW_OK:
            self._verified.add((self._app, self._ef))
        else:
            self._verified.discard((self._app, self._ef))
        return sw

    def _read(self, p1: int, p2: int, le: int | None) -> tuple[bytes, int]:
        if p1 & 0x80:
            return b"", apdu.SW_WRONG_P1P2  # short-EF-id reads are not used here
        if le is None:
            return b"", apdu.SW_WRONG_LENGTH
        if self._app is None or self._ef is None:
            return b"", 0x6986  # no current EF
        file = self.apps[self._app].files.get(self._ef)
        if file is None or file.private_key:
            return b"", 0x6981  # a key: not a readable file
        if file.opened_by and not any((self._app, k) in self._verified for k in file.opened_by):
            return b"", apdu.SW_SECURITY_NOT_SATISFIED
        offset = (p1 << 8) | p2
        if offset >= len(file.content):
            return b"", apdu.SW_OFFSET
        chunk = file.content[offset : offset + le]
        return chunk, apdu.SW_OK if len(chunk) == le else apdu.SW_END_OF_FILE

    def _sign(self, p1: int, p2: int, body: bytes) -> tuple[bytes, int]:
        if p1 != 0x00 or p2 != 0x80:
            return b"", apdu.SW_WRONG_P1P2
        if self._app is None or self._ef is None:
            return b"", apdu.SW_CONDITIONS
        file = self.apps[self._app].files.get(self._ef)
        if file is None or not file.private_key:
            return b"", apdu.SW_CONDITIONS
        if (self._app, file.needs) not in self._verified:
            return b"", apdu.SW_SECURITY_NOT_SATISFIED
        if not 1 <= len(body) <= 245:
            return b"", apdu.SW_WRONG_LENGTH
        return _rsa_sign_raw(self.profile.auth_key_numbers, body), apdu.SW_OK


class OtherCard:
    """A card of another kind (say, a transit IC card): no My Number applications."""

    atr = OTHER_CARD_ATR

    def __init__(self) -> None:
        self.log: list[str] = []

    def power_off(self) -> None:
        pass

    power_on = power_off
    reset = power_off

    def transmit(self, raw: bytes) -> bytes:
        self.log.append(raw[:4].hex(" ").upper())
        if raw[:2] == b"\x00\xa4":
            return apdu.SW_NOT_FOUND.to_bytes(2, "big")
        return apdu.SW_INS_NOT_SUPPORTED.to_bytes(2, "big")


# --- vpcd ---------------------------------------------------------------------------------------


class _Closed(Exception):
    pass


def _quick_ack(conn: socket.socket) -> None:
    quickack = getattr(socket, "TCP_QUICKACK", None)  # Linux only; it resets after each read
    if quickack is not None:
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.IPPROTO_TCP, quickack, 1)


class VpcdCard:
    """Puts a card on a vpcd reader slot. `insert()` / `remove()`; `close()` at the end.

    `vanish_when(apdu_bytes)`: a hook that, when it returns True for a command, takes the card
    away before answering it (a resident lifting the card mid-transaction). `delay` slows each
    answer (a slow card). The connection is re-made after pcscd restarts while inserted.
    """

    def __init__(
        self,
        card: VirtualMyNumberCard | OtherCard,
        *,
        host: str = VPCD_HOST,
        port: int = VPCD_PORT,
        vanish_when: Callable[[bytes], bool] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.card = card
        self.host, self.port = host, port
        self.vanish_when = vanish_when
        self.delay = delay
        self._inserted = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.connections = 0
        self.placed_at: float | None = None  # time.monotonic() when vpcd last took the card

    # --- control --------------------------------------------------------------------------------

    def start(self) -> VpcdCard:
        self._thread = threading.Thread(target=self.run, name=f"vpcd-card-{self.port}", daemon=True)
        self._thread.start()
        return self

    def insert(self, *, wait: float | None = 10.0) -> None:
        """Place the card; with `wait`, block until vpcd has accepted it."""
        self._inserted.set()
        if wait and not self._connected.wait(wait):
            raise TimeoutError(f"vpcd on {self.host}:{self.port} did not take the card")

    def remove(self) -> None:
        self._inserted.clear()
        self._drop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.remove()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> VpcdCard:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the loop -------------------------------------------------------------------------------

    def run(self) -> None:
        """Serve until `close()`: connect while inserted, reconnect when vpcd drops us."""
        while not self._stop.is_set():
            if not self._inserted.wait(0.1):
                continue
            removed_at = _last_removal.get((self.host, self.port), -REPLACE_GAP)
            if time.monotonic() - removed_at < REPLACE_GAP:
                time.sleep(0.05)
                continue
            try:
                conn = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                time.sleep(0.2)  # pcscd (and so vpcd) not up yet, or restarting
                continue
            conn.settimeout(0.2)
            # vpcd writes the length and the body separately: acknowledge at once, or Nagle's
            # algorithm on its side and delayed ACKs on ours add ~40 ms to every APDU.
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._socket = conn
            self.connections += 1
            self.placed_at = time.monotonic()
            self._connected.set()
            try:
                self._serve(conn)
            except (_Closed, OSError):
                pass
            finally:
                self._drop()

    def _drop(self) -> None:
        self._connected.clear()
        conn, self._socket = self._socket, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
            _last_removal[(self.host, self.port)] = time.monotonic()
            self.card.power_off()  # out of the field: no power

    def _serve(self, conn: socket.socket) -> None:
        while not self._stop.is_set() and self._inserted.is_set():
            message = self._receive(conn)
            if message is None:
                continue
            if len(message) == 1:
                control = message[0]
                if control == 0x04:
                    self._send(conn, self.card.atr)
                elif control == 0x00:
                    self.card.power_off()
                elif control in (0x01, 0x02):
                    self.card.reset()
                continue
            if self.vanish_when is not None and self.vanish_when(message):
                self._inserted.clear()
                raise _Closed
            if self.delay:
                time.sleep(self.delay)
            self._send(conn, self.card.transmit(message))

    def _receive(self, conn: socket.socket) -> bytes | None:
        """One framed message, or None when nothing arrived within the socket timeout."""
        header = self._exactly(conn, 2, idle_ok=True)
        if header is None:
            return None
        return self._exactly(conn, int.from_bytes(header, "big"), idle_ok=False) or b""

    def _exactly(self, conn: socket.socket, size: int, *, idle_ok: bool) -> bytes | None:
        buffer = b""
        while len(buffer) < size:
            if self._stop.is_set() or not self._inserted.is_set():
                raise _Closed
            try:
                _quick_ack(conn)
                chunk = conn.recv(size - len(buffer))
            except TimeoutError:
                if idle_ok and not buffer:
                    return None
                continue
            if not chunk:
                raise _Closed  # vpcd went away (pcscd stopped)
            buffer += chunk
        return buffer

    @staticmethod
    def _send(conn: socket.socket, payload: bytes) -> None:
        conn.sendall(len(payload).to_bytes(2, "big") + payload)
