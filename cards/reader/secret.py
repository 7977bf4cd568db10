"""A PIN or access key held in memory for one verification, and never anywhere else.

`Secret` keeps the value in a mutable buffer that `wipe()` overwrites, prints as asterisks, and
refuses to be pickled or compared by value, so it cannot slip into a log line, a traceback, a
queue to another process or the database by accident. (Python may still hold transient copies
while an APDU is built; they are not referenced after the exchange.)
"""

from __future__ import annotations

from typing import Any, NoReturn


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str | bytes | bytearray) -> None:
        raw = value.encode("ascii", "strict") if isinstance(value, str) else bytes(value)
        self._value = bytearray(raw)

    def __repr__(self) -> str:
        return "Secret(****)"

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __len__(self) -> int:
        return len(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def is_digits(self, *lengths: int) -> bool:
        """True when the value is ASCII digits only, of one of `lengths` (any length if none)."""
        ok = all(0x30 <= byte <= 0x39 for byte in self._value) and bool(self._value)
        return ok and (not lengths or len(self._value) in lengths)

    def reveal(self) -> bytes:
        """The value as bytes, for the APDU that carries it to the card. Nothing else."""
        return bytes(self._value)

    def wipe(self) -> None:
        for index in range(len(self._value)):
            self._value[index] = 0
        self._value = bytearray()

    def __enter__(self) -> Secret:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wipe()
