"""The reader service: owns the card reader at one counter and runs verifications on it.

One process per counter (`manage.py reader --counter honcho-1`), one thread, one PC/SC context.
`serve()` loops over `step()`: keep the reader's state fresh, take the next verification the
counter page asked for (or, with walk-ups, start a PIN check when a card is placed), run it, record
the result. Every wait is bounded; a card taken away mid-transaction, pcscd restarting and a reader
unplugged and plugged in again end the current verification with an error code and the loop goes
on. The flows (ADR 0008):

- pin / proxy_pin: certificate chains to the trust store → tries left (no try spent; locked → stop)
  → the PIN once from the PIN pad → VERIFY → the card signs a fresh challenge, verified with its
  certificate → the same PIN opens the 券面事項入力補助AP once (only while more than one try is
  left on it) → basic four → match.
- face: certificate → the face device's verdict and the 照合番号B it read → basic four → match.
- visual: certificate → staff attested on the page → 照合番号B typed by staff (optional) → match.

A locked PIN stops only the PIN methods. Nothing here stores or logs a PIN or what the card says.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from cryptography import x509

from cards.reader import apdu
from cards.reader.apdu import BasicFour
from cards.reader.card import MyNumberCardSession
from cards.reader.errors import (
    CardError,
    NoReader,
    NotMyNumberCard,
    PcscUnavailable,
    PinLocked,
    ReaderUnavailable,
    UntrustedCard,
    WrongPin,
)
from cards.reader.face import FaceAuthDevice, FaceOutcome, NoFaceDevice
from cards.reader.matching import MatchResult
from cards.reader.outcomes import Method, Outcome, ReaderState
from cards.reader.pcsc import Pcsc
from cards.reader.pinpad import EntryKind, EntryRequest, PinPad
from cards.reader.secret import Secret
from cards.reader.trust import TrustStore, verify_signature

logger = logging.getLogger(__name__)

HEARTBEAT = 10.0  # seconds between reader-state writes when nothing changes


@dataclass(frozen=True)
class VerificationRequest:
    id: int | None
    counter: str
    method: Method
    staff_id: int | None = None
    attested_by: str = ""


@dataclass
class VerificationResult:
    outcome: Outcome
    error_code: str = ""
    tries_left: int | None = None
    certificate_trusted: bool | None = None
    card_genuine: bool | None = None
    basic_four_note: str = ""
    match: MatchResult | None = None
    reader: str = ""
    # In memory between reading and matching only; never recorded.
    basic_four: BasicFour | None = field(default=None, repr=False)
    seconds: float = 0.0  # the whole verification, waiting for the card included
    card_seconds: float = 0.0  # from the card being seen on the reader to the result


class Recorder(Protocol):
    """Where requests come from and results go (`cards.reader.records.OrmRecorder`)."""

    def next_request(self, counter: str) -> VerificationRequest | None: ...

    def walk_up(self, counter: str) -> VerificationRequest: ...

    def finish(self, request: VerificationRequest, result: VerificationResult) -> None: ...

    def reader_state(self, counter: str, state: ReaderState, reader: str) -> None: ...


def result_for_error(error: CardError) -> VerificationResult:
    if isinstance(error, WrongPin):
        return VerificationResult(Outcome.WRONG_PIN, error.code, tries_left=error.tries_left)
    if isinstance(error, PinLocked):
        return VerificationResult(Outcome.LOCKED, error.code, tries_left=0)
    if isinstance(error, UntrustedCard):
        return VerificationResult(Outcome.REFUSED, error.code, certificate_trusted=False)
    if isinstance(error, NotMyNumberCard):
        return VerificationResult(Outcome.REFUSED, error.code)
    return VerificationResult(Outcome.FAILED, error.code)


class ReaderService:
    def __init__(
        self,
        *,
        counter: str,
        recorder: Recorder,
        matcher: Callable[[BasicFour], MatchResult],
        trust_store: TrustStore,
        pin_pad: PinPad,
        face_device: FaceAuthDevice | None = None,
        reader_name: str | None = None,
        card_timeout: float = 60.0,
        entry_timeout: float = 60.0,
        walk_up: bool = False,
        pcsc: Pcsc | None = None,
    ) -> None:
        self.counter = counter
        self.recorder = recorder
        self.matcher = matcher
        self.trust_store = trust_store
        self.pin_pad = pin_pad
        self.face_device = face_device or NoFaceDevice()
        self.reader_name = reader_name
        self.card_timeout = card_timeout
        self.entry_timeout = entry_timeout
        self.walk_up = walk_up
        self.pcsc = pcsc or Pcsc()
        self.stop_event = threading.Event()
        self._state: tuple[ReaderState, str] | None = None
        self._state_written = 0.0
        self._card_was_present: bool | None = None

    # --- the loop -------------------------------------------------------------------------------

    def serve(
        self,
        *,
        once: bool = False,
        on_result: Callable[[VerificationResult], None] | None = None,
        seconds: float | None = None,
    ) -> bool:
        """Run until `stop_event` is set (with `once`: until a verification has finished; with
        `seconds`: at most that long). True when `once` got its verification."""
        deadline = None if seconds is None else time.monotonic() + seconds
        try:
            while not self.stop_event.is_set():
                if deadline is not None and time.monotonic() > deadline:
                    return False
                try:
                    result = self.step()
                except Exception:  # the database or the disk: log, wait, go on
                    logger.exception("reader loop at %s", self.counter)
                    self.stop_event.wait(2.0)
                    continue
                if result is not None:
                    if on_result is not None:
                        on_result(result)
                    if once:
                        return True
            return False
        finally:
            self.close()

    def close(self) -> None:
        """Mark the reader stopped and release the PC/SC context."""
        try:
            self._set_state(ReaderState.STOPPED, "", force=True)
        finally:
            self.pcsc.reset()

    def step(self, wait: float = 1.0) -> VerificationResult | None:
        """One turn of the loop, at most about `wait` seconds unless a verification runs."""
        try:
            reader = self._find_reader()
        except CardError as error:
            self.pcsc.reset()
            state = (
                ReaderState.NO_READER
                if isinstance(error, (NoReader, ReaderUnavailable))
                else ReaderState.NO_SERVICE
            )
            self._set_state(state, "")
            request = self.recorder.next_request(self.counter)
            if request is not None:  # tell the counter at once rather than leave it waiting
                return self._finish(request, result_for_error(error))
            self.stop_event.wait(wait)
            return None
        try:
            request = self.recorder.next_request(self.counter)
            if request is None:
                present = self._watch_card(reader, wait)
                newly_placed = present and self._card_was_present is False
                self._card_was_present = present
                if not (self.walk_up and newly_placed):
                    return None
                request = self.recorder.walk_up(self.counter)
            result = self.verify(request)
            self._card_was_present = True  # a walk-up needs the card taken away and placed again
            return self._finish(request, result)
        except CardError as error:
            logger.warning("card reader at %s: %s", self.counter, error)
            self.pcsc.reset()
            self._card_was_present = None
            return None

    def _find_reader(self) -> str:
        try:
            return self.pcsc.find_reader(self.reader_name)
        except PcscUnavailable:
            # A context made before pcscd restarted stays dead: try once with a new one.
            self.pcsc.reset()
            return self.pcsc.find_reader(self.reader_name)

    def _watch_card(self, reader: str, wait: float) -> bool:
        state = self.pcsc.state(reader)
        if self._card_was_present is None or state.present == self._card_was_present:
            state = self.pcsc.state(reader, state.raw, wait)
        self._set_state(ReaderState.CARD_PRESENT if state.present else ReaderState.READY, reader)
        return state.present

    def _finish(
        self, request: VerificationRequest, result: VerificationResult
    ) -> VerificationResult:
        self.recorder.finish(request, result)
        logger.info(
            "verification %s at %s: %s %s%s",
            request.id,
            self.counter,
            request.method,
            result.outcome,
            f" ({result.error_code})" if result.error_code else "",
        )
        return result

    def _set_state(self, state: ReaderState, reader: str, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or self._state != (state, reader) or now - self._state_written > HEARTBEAT:
            self.recorder.reader_state(self.counter, state, reader)
            self._state, self._state_written = (state, reader), now

    # --- one verification -----------------------------------------------------------------------

    def verify(self, request: VerificationRequest) -> VerificationResult:
        """Wait for the card and run `request`'s method. Never raises a CardError: every failure
        is a result with an error code."""
        started = seen = time.monotonic()
        reader = ""
        try:
            reader = self._find_reader()
            self._set_state(ReaderState.BUSY, reader)
            self.pcsc.wait_for_card(reader, self.card_timeout, self.stop_event.is_set)
            seen = time.monotonic()
            with self.pcsc.connect(reader) as connection:
                session = MyNumberCardSession(connection)
                session.recognise()
                result = self._flows[request.method](self, session, request)
        except CardError as error:
            if isinstance(error, PcscUnavailable):
                self.pcsc.reset()
            result = result_for_error(error)
        except Exception:  # a bug must not leave the counter waiting: record it, go on
            logger.exception("verification %s at %s", request.id, self.counter)
            result = VerificationResult(Outcome.FAILED, "internal_error")
        result.reader = reader
        if result.basic_four is not None:
            result.match = self.matcher(result.basic_four)
            result.basic_four = None
        result.seconds = time.monotonic() - started
        result.card_seconds = time.monotonic() - seen
        return result

    def _trusted_certificate(self, session: MyNumberCardSession) -> x509.Certificate:
        certificate = session.read_auth_certificate()
        ca_certificate = session.read_auth_ca_certificate()
        return self.trust_store.verify_certificate(
            certificate, [ca_certificate] if ca_certificate else []
        )

    def _entry(self, kind: EntryKind, tries_left: int | None = None) -> Secret | None:
        request = EntryRequest(kind=kind, counter=self.counter, tries_left=tries_left)
        return self.pin_pad.read(request, timeout=self.entry_timeout)

    def _pin_flow(
        self, session: MyNumberCardSession, request: VerificationRequest
    ) -> VerificationResult:
        certificate = self._trusted_certificate(session)  # before any PIN: refuse forgeries
        tries = session.auth_pin_tries_left()
        tries = apdu.AUTH_PIN_LIMIT if tries is None else tries
        if tries == 0:
            return VerificationResult(
                Outcome.LOCKED, PinLocked.code, tries_left=0, certificate_trusted=True
            )
        kind = EntryKind.PROXY_PIN if request.method == Method.PROXY_PIN else EntryKind.PIN
        pin = self._entry(kind, tries)
        if pin is None:
            return VerificationResult(Outcome.CANCELLED, "no_entry", tries_left=tries)
        with pin:
            if not pin.is_digits(4):  # not sent to the card: no try spent
                return VerificationResult(Outcome.CANCELLED, "pin_format", tries_left=tries)
            session.verify_auth_pin(pin)
            challenge = secrets.token_bytes(32)
            verify_signature(certificate, challenge, session.sign_with_auth_key(challenge))
            four, note = self._basic_four_with_pin(session, pin)
        return VerificationResult(
            Outcome.VERIFIED,
            tries_left=apdu.AUTH_PIN_LIMIT,  # a right PIN resets the counter
            certificate_trusted=True,
            card_genuine=True,
            basic_four=four,
            basic_four_note=note,
        )

    def _basic_four_with_pin(
        self, session: MyNumberCardSession, pin: Secret
    ) -> tuple[BasicFour | None, str]:
        """Open the 券面事項入力補助AP with the PIN already entered, once, and only when a mismatch
        could not lock it (most holders set both PINs the same; we never ask twice)."""
        tries = session.text_pin_tries_left()
        if tries == 0:
            return None, "text_pin_locked"
        if tries is not None and tries <= 1:
            return None, "text_pin_not_tried"
        try:
            session.verify_text_pin(pin)
        except WrongPin:
            return None, "text_pin_differs"
        except PinLocked:
            return None, "text_pin_locked"
        return session.read_basic_four(), ""

    def _basic_four_with_access_key(
        self, session: MyNumberCardSession, key: Secret | None
    ) -> tuple[BasicFour | None, str]:
        if key is None:
            return None, "no_access_key"
        with key:
            if not key.is_digits(14):
                return None, "access_key_format"
            tries = session.tries_left(
                apdu.TEXT_AID, apdu.TEXT_ACCESS_KEY_B, limit=apdu.ACCESS_KEY_LIMIT
            )
            if tries == 0:
                return None, "access_key_locked"
            if tries is not None and tries <= 1:
                return None, "access_key_not_tried"
            try:
                session.verify_access_key_b(key)
            except WrongPin:
                return None, "access_key_rejected"
            except PinLocked:
                return None, "access_key_locked"
            return session.read_basic_four(), ""

    def _face_flow(
        self, session: MyNumberCardSession, request: VerificationRequest
    ) -> VerificationResult:
        self._trusted_certificate(session)
        tries = session.auth_pin_tries_left()  # for the counter: tell them if it is locked
        face = self.face_device.authenticate(counter=self.counter, timeout=self.entry_timeout)
        if face.outcome is not FaceOutcome.MATCHED:
            if face.access_key is not None:
                face.access_key.wipe()
            outcome = {
                FaceOutcome.NOT_MATCHED: Outcome.NOT_VERIFIED,
                FaceOutcome.CANCELLED: Outcome.CANCELLED,
            }.get(face.outcome, Outcome.FAILED)
            return VerificationResult(
                outcome, f"face_{face.outcome}", tries_left=tries, certificate_trusted=True
            )
        four, note = self._basic_four_with_access_key(session, face.access_key)
        return VerificationResult(
            Outcome.VERIFIED,
            tries_left=tries,
            certificate_trusted=True,
            basic_four=four,
            basic_four_note=note,
        )

    def _visual_flow(
        self, session: MyNumberCardSession, request: VerificationRequest
    ) -> VerificationResult:
        self._trusted_certificate(session)  # a forged card's photo proves nothing
        tries = session.auth_pin_tries_left()
        if not request.attested_by:
            return VerificationResult(Outcome.CANCELLED, "not_attested", tries_left=tries)
        key = self._entry(EntryKind.ACCESS_KEY_B)
        four, note = self._basic_four_with_access_key(session, key)
        return VerificationResult(
            Outcome.VERIFIED,
            tries_left=tries,
            certificate_trusted=True,
            basic_four=four,
            basic_four_note=note,
        )

    _flows: dict[
        Method,
        Callable[[ReaderService, MyNumberCardSession, VerificationRequest], VerificationResult],
    ] = {
        Method.PIN: _pin_flow,
        Method.PROXY_PIN: _pin_flow,
        Method.FACE: _face_flow,
        Method.VISUAL: _visual_flow,
    }
