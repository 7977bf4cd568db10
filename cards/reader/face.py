"""Face authentication comes from a device; this is the interface the reader service expects.

A certified face-authentication card reader (顔認証付きカードリーダー) photographs the card
front, derives 照合番号B from it, reads the photo from the chip and compares it with the camera
image. We do not recognise faces ourselves. What the service needs back is `FaceAuthResult`:
did the face match, which device said so, and the 照合番号B the device read from the card front
(so the service can read the basic four without a PIN). A vendor's SDK is wrapped in a class
with `authenticate()`.

`SimulatedFaceDevice` stands in for tests and staff training: it answers with scripted outcomes and
takes 照合番号B from a "card face" file that `manage.py virtual_card` writes.
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cards.reader.secret import Secret


class FaceOutcome(enum.StrEnum):
    MATCHED = "matched"
    NOT_MATCHED = "not_matched"
    CANCELLED = "cancelled"  # the resident chose another way, or walked away
    UNAVAILABLE = "unavailable"  # no device, or it failed


@dataclass(frozen=True)
class FaceAuthResult:
    outcome: FaceOutcome
    device: str
    access_key: Secret | None = field(default=None, repr=False)  # 照合番号B from the card front


class FaceAuthDevice(Protocol):
    name: str

    def authenticate(self, *, counter: str, timeout: float) -> FaceAuthResult: ...


class NoFaceDevice:
    name = "none"

    def authenticate(self, *, counter: str, timeout: float) -> FaceAuthResult:
        return FaceAuthResult(FaceOutcome.UNAVAILABLE, self.name)


class SimulatedFaceDevice:
    """Scripted outcomes in turn (the last one repeats); 照合番号B from `access_key` or from the
    card face file written by `manage.py virtual_card`."""

    name = "simulated"

    def __init__(
        self,
        outcomes: Iterable[FaceOutcome | str] = (FaceOutcome.MATCHED,),
        *,
        access_key: str | None = None,
        card_face_file: Path | None = None,
        delay: float = 0.0,
    ) -> None:
        self._outcomes = [FaceOutcome(o) for o in outcomes] or [FaceOutcome.MATCHED]
        self._access_key = access_key
        self._card_face_file = card_face_file
        self.delay = delay
        self.calls = 0

    def authenticate(self, *, counter: str, timeout: float) -> FaceAuthResult:
        self.calls += 1
        if self.delay:
            time.sleep(min(self.delay, timeout))
        outcome = self._outcomes.pop(0) if len(self._outcomes) > 1 else self._outcomes[0]
        if outcome is not FaceOutcome.MATCHED:
            return FaceAuthResult(outcome, self.name)
        key = self._access_key
        if key is None and self._card_face_file is not None and self._card_face_file.exists():
            key = json.loads(self._card_face_file.read_text(encoding="utf-8")).get("access_key_b")
        return FaceAuthResult(outcome, self.name, Secret(key) if key else None)
