"""The PC/SC layer over pyscard's `smartcard.scard` (the thin binding of the PC/SC API).

Finds readers, waits for a card with a timeout, notices insertion and removal, connects in
exclusive mode (no other program can talk to the card between our VERIFY and our READ), and turns
every PC/SC result code into the card layer's typed errors. The low-level API is used rather than
pyscard's CardRequest/CardMonitor so that every wait is bounded and a stopped pcscd or an unplugged
reader is an error we see, not a thread that dies (research brief §5).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cards.reader.errors import (
    CardBusy,
    CardError,
    CardRemoved,
    NoCard,
    NoReader,
    PcscUnavailable,
    ReaderUnavailable,
)

logger = logging.getLogger(__name__)

try:  # pyscard is a dependency, but the module must import where it is not built yet
    from smartcard import scard
except ImportError:  # pragma: no cover - exercised only on machines without pyscard
    scard = None

# Longest single blocking PC/SC wait: stop requests and deadlines are checked at least this often.
WAIT_SLICE = 0.25


def _code(name: str, value: int) -> int:
    return int(getattr(scard, name, value)) & 0xFFFFFFFF if scard else value


SCARD_S_SUCCESS = 0
E_TIMEOUT = _code("SCARD_E_TIMEOUT", 0x8010000A)
E_CANCELLED = _code("SCARD_E_CANCELLED", 0x80100002)
E_NO_SERVICE = _code("SCARD_E_NO_SERVICE", 0x8010001D)
E_SERVICE_STOPPED = _code("SCARD_E_SERVICE_STOPPED", 0x8010001E)
F_COMM_ERROR = _code("SCARD_F_COMM_ERROR", 0x80100013)
E_INVALID_HANDLE = _code("SCARD_E_INVALID_HANDLE", 0x80100003)
E_NO_READERS = _code("SCARD_E_NO_READERS_AVAILABLE", 0x8010002E)
E_UNKNOWN_READER = _code("SCARD_E_UNKNOWN_READER", 0x80100009)
E_READER_UNAVAILABLE = _code("SCARD_E_READER_UNAVAILABLE", 0x80100017)
W_REMOVED_CARD = _code("SCARD_W_REMOVED_CARD", 0x80100069)
W_RESET_CARD = _code("SCARD_W_RESET_CARD", 0x80100068)
W_UNPOWERED_CARD = _code("SCARD_W_UNPOWERED_CARD", 0x80100067)
W_UNRESPONSIVE_CARD = _code("SCARD_W_UNRESPONSIVE_CARD", 0x80100066)
E_NO_SMARTCARD = _code("SCARD_E_NO_SMARTCARD", 0x8010000C)
E_SHARING_VIOLATION = _code("SCARD_E_SHARING_VIOLATION", 0x8010000B)

_SERVICE_DOWN = {E_NO_SERVICE, E_SERVICE_STOPPED, F_COMM_ERROR, E_INVALID_HANDLE}
_READER_GONE = {E_UNKNOWN_READER, E_READER_UNAVAILABLE}
_CARD_GONE = {W_REMOVED_CARD, W_RESET_CARD, W_UNPOWERED_CARD, W_UNRESPONSIVE_CARD, E_NO_SMARTCARD}


def error_for(hresult: int, where: str) -> CardError:
    """The typed error for a PC/SC result code (`where` says which call, for the log)."""
    code = hresult & 0xFFFFFFFF
    text = f"{where}: PC/SC 0x{code:08X}"
    if code in _SERVICE_DOWN:
        return PcscUnavailable(text)
    if code == E_NO_READERS:
        return NoReader(text)
    if code in _READER_GONE:
        return ReaderUnavailable(text)
    if code in _CARD_GONE:
        return CardRemoved(text)
    if code == E_SHARING_VIOLATION:
        return CardBusy(text)
    if code == E_TIMEOUT:
        return NoCard(text)
    return CardError(text)


def _require_pyscard() -> Any:
    if scard is None:
        raise PcscUnavailable("pyscard is not installed")
    return scard


@dataclass(frozen=True, slots=True)
class ReaderState:
    name: str
    present: bool  # a card is in the field / inserted
    atr: bytes
    raw: int  # the PC/SC event state bits


class Pcsc:
    """One PC/SC context, re-established on demand after pcscd restarts. Use from one thread."""

    def __init__(self) -> None:
        self._context: Any = None

    # --- context --------------------------------------------------------------------------------

    def context(self) -> Any:
        if self._context is None:
            lib = _require_pyscard()
            hresult, context = lib.SCardEstablishContext(lib.SCARD_SCOPE_USER)
            if hresult != SCARD_S_SUCCESS:
                raise error_for(hresult, "SCardEstablishContext")
            self._context = context
        return self._context

    def reset(self) -> None:
        """Drop the context (after pcscd went away); the next call makes a new one."""
        if self._context is not None and scard is not None:
            try:
                scard.SCardReleaseContext(self._context)
            except Exception:  # noqa: BLE001, S110 - the daemon may already be gone
                pass
        self._context = None

    def _check(self, hresult: int, where: str) -> None:
        if hresult != SCARD_S_SUCCESS:
            error = error_for(hresult, where)
            if isinstance(error, PcscUnavailable):
                self.reset()
            raise error

    # --- readers --------------------------------------------------------------------------------

    def readers(self) -> list[str]:
        lib = _require_pyscard()
        hresult, readers = lib.SCardListReaders(self.context(), [])
        if hresult & 0xFFFFFFFF == E_NO_READERS:
            return []
        self._check(hresult, "SCardListReaders")
        return list(readers)

    def find_reader(self, wanted: str | None = None) -> str:
        """The reader named `wanted` (exact, else the first whose name starts with it), or the
        first reader. Raises NoReader when there is none."""
        readers = self.readers()
        if wanted:
            for name in readers:
                if name == wanted:
                    return name
            for name in readers:
                if name.startswith(wanted):
                    return name
            raise NoReader(f"no reader named {wanted!r} (readers: {readers})")
        if not readers:
            raise NoReader("no card reader connected")
        return readers[0]

    def state(self, reader: str, known: int | None = None, timeout: float = 0.0) -> ReaderState:
        """The reader's state; with `known`, wait up to `timeout` s for it to change."""
        lib = _require_pyscard()
        current = lib.SCARD_STATE_UNAWARE if known is None else known & ~lib.SCARD_STATE_CHANGED
        hresult, states = lib.SCardGetStatusChange(
            self.context(), int(timeout * 1000), [(reader, current)]
        )
        code = hresult & 0xFFFFFFFF
        if code == E_TIMEOUT:
            return self._state_from(reader, known or 0, b"")
        self._check(hresult, "SCardGetStatusChange")
        _, event, atr = states[0]
        if event & (lib.SCARD_STATE_UNKNOWN | lib.SCARD_STATE_IGNORE):
            raise ReaderUnavailable(f"reader {reader!r} is gone")
        return self._state_from(reader, event, bytes(atr))

    @staticmethod
    def _state_from(reader: str, event: int, atr: bytes) -> ReaderState:
        lib = _require_pyscard()
        present = bool(event & lib.SCARD_STATE_PRESENT) and not event & lib.SCARD_STATE_MUTE
        return ReaderState(reader, present, atr, event)

    def wait_for_card(
        self, reader: str, timeout: float, should_stop: Callable[[], bool] | None = None
    ) -> ReaderState:
        """Block until a card is on `reader` (returns at once if one is); NoCard on timeout."""
        deadline = time.monotonic() + timeout
        state = self.state(reader)
        while not state.present:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (should_stop is not None and should_stop()):
                raise NoCard(f"no card on {reader!r} within {timeout:g} s")
            state = self.state(reader, state.raw, min(WAIT_SLICE, remaining))
        return state

    def wait_for_removal(self, reader: str, timeout: float) -> bool:
        """Block until `reader` is empty; False when the card is still there after `timeout`."""
        deadline = time.monotonic() + timeout
        state = self.state(reader)
        while state.present:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            state = self.state(reader, state.raw, min(WAIT_SLICE, remaining))
        return True

    # --- cards ----------------------------------------------------------------------------------

    def connect(self, reader: str, *, exclusive: bool = True) -> PcscConnection:
        lib = _require_pyscard()
        mode = lib.SCARD_SHARE_EXCLUSIVE if exclusive else lib.SCARD_SHARE_SHARED
        hresult, handle, protocol = lib.SCardConnect(
            self.context(), reader, mode, lib.SCARD_PROTOCOL_T0 | lib.SCARD_PROTOCOL_T1
        )
        self._check(hresult, "SCardConnect")
        return PcscConnection(self, reader, handle, protocol)


class PcscConnection:
    """An exclusive connection to the card on one reader; `transmit` is the card's Transport."""

    def __init__(self, pcsc: Pcsc, reader: str, handle: Any, protocol: int) -> None:
        self._pcsc = pcsc
        self.reader = reader
        self._handle = handle
        self._protocol = protocol
        self._lock = threading.Lock()

    def transmit(self, command: bytes) -> bytes:
        lib = _require_pyscard()
        with self._lock:
            if self._handle is None:
                raise CardRemoved("connection closed")
            hresult, response = lib.SCardTransmit(self._handle, self._protocol, list(command))
        self._pcsc._check(hresult, "SCardTransmit")
        if len(response) < 2:
            # A card that leaves the field in the middle of an answer sends nothing back.
            raise CardRemoved("the card stopped answering")
        return bytes(response)

    def close(self, *, unpower: bool = True) -> None:
        """Disconnect. Powering the card off clears every PIN verified in this session."""
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is None or scard is None:
            return
        disposition = scard.SCARD_UNPOWER_CARD if unpower else scard.SCARD_LEAVE_CARD
        try:
            scard.SCardDisconnect(handle, disposition)
        except Exception:  # noqa: BLE001 - the card or the daemon may already be gone
            logger.debug("SCardDisconnect failed on %s", self.reader)

    def __enter__(self) -> PcscConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
