"""Where the PIN is typed: a PIN pad that belongs to the counter machine, never a web page.

The reader process asks its `PinPad` for a PIN (or, for a visual check, the 照合番号B printed on the
card front) and gets a `Secret` back, or None when nothing was entered in time. Implementations:

- `TerminalPinPad`: the reader process's own terminal (the counter machine's keyboard or a USB
  numeric keypad that types into it); echo is off, nothing is shown but the prompt.
- `LinePinPad`: a local device or named pipe that delivers one line per entry (a serial PIN pad).
- `ScriptedPinPad`: given entries, for tests, the bench and training scripts.

The value never travels through the database, the web page or a log: ADR 0008.
"""

from __future__ import annotations

import contextlib
import enum
import os
import select
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, Protocol

from cards.reader.secret import Secret


class EntryKind(enum.StrEnum):
    PIN = "pin"
    PROXY_PIN = "proxy_pin"
    ACCESS_KEY_B = "access_key_b"


@dataclass(frozen=True, slots=True)
class EntryRequest:
    kind: EntryKind
    counter: str
    tries_left: int | None = None

    @property
    def digits(self) -> int:
        return 14 if self.kind is EntryKind.ACCESS_KEY_B else 4

    def prompt(self) -> str:
        if self.kind is EntryKind.ACCESS_KEY_B:
            return (
                "照合番号B（カード表面: 生年月日6桁＋有効期限の西暦4桁＋セキュリティコード4桁）"
                " / Card access number B (14 digits; Enter alone to skip): "
            )
        who = "代理の方が" if self.kind is EntryKind.PROXY_PIN else ""
        tries = f"（残り{self.tries_left}回）" if self.tries_left is not None else ""
        english = "proxy: " if self.kind is EntryKind.PROXY_PIN else ""
        return (
            f"{who}利用者証明用暗証番号（4桁）を入力してください{tries}"
            f" / {english}4-digit PIN ({self.tries_left} tries left): "
        )


class PinPad(Protocol):
    def read(self, request: EntryRequest, *, timeout: float) -> Secret | None: ...


def _read_line(stream: IO[bytes] | int, timeout: float) -> bytes | None:
    """One line from a file descriptor within `timeout` s (None when none came)."""
    fd = stream if isinstance(stream, int) else stream.fileno()
    deadline = time.monotonic() + timeout
    buffer = bytearray()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 1)
            if not chunk:
                return bytes(buffer) if buffer else None
            if chunk in (b"\n", b"\r"):
                return bytes(buffer)
            buffer += chunk
    finally:
        for index in range(len(buffer)):
            buffer[index] = 0


class TerminalPinPad:
    """Reads from the controlling terminal with echo off (like getpass, but with a timeout)."""

    def __init__(self, tty_path: str = "/dev/tty") -> None:
        self.tty_path = tty_path

    def read(self, request: EntryRequest, *, timeout: float) -> Secret | None:
        import termios

        with open(self.tty_path, "r+b", buffering=0) as tty:
            fd = tty.fileno()
            old = termios.tcgetattr(fd)
            new = termios.tcgetattr(fd)
            new[3] &= ~termios.ECHO
            tty.write(request.prompt().encode())
            termios.tcsetattr(fd, termios.TCSAFLUSH, new)
            try:
                line = _read_line(fd, timeout)
            finally:
                termios.tcsetattr(fd, termios.TCSAFLUSH, old)
                tty.write(b"\n")
        return Secret(line.strip()) if line and line.strip() else None


class LinePinPad:
    """One entry per line from a local device or named pipe (opened once, kept open)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def read(self, request: EntryRequest, *, timeout: float) -> Secret | None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        print(request.prompt(), file=sys.stderr, flush=True)
        line = _read_line(self._fd, timeout)
        return Secret(line.strip()) if line and line.strip() else None

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


Entry = str | None | Callable[[EntryRequest], str | None]


class ScriptedPinPad:
    """Returns the given entries in turn (a callable entry is called with the request first);
    None once they run out. Keeps the requests it was asked (never the values) for tests."""

    def __init__(self, entries: Iterable[Entry] = ()) -> None:
        self._entries = list(entries)
        self.requests: list[EntryRequest] = []

    def add(self, *entries: Entry) -> None:
        self._entries.extend(entries)

    def read(self, request: EntryRequest, *, timeout: float) -> Secret | None:
        self.requests.append(request)
        if not self._entries:
            return None
        entry = self._entries.pop(0)
        value = entry(request) if callable(entry) else entry
        return Secret(value) if value else None
