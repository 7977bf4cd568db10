"""The vocabulary of a verification, shared by the reader service and `cards.models`. No Django."""

from __future__ import annotations

import enum


class Method(enum.StrEnum):
    PIN = "pin"  # the resident types the 4-digit PIN on the counter's PIN pad
    PROXY_PIN = "proxy_pin"  # a proxy (family) types it for the resident
    FACE = "face"  # a face-authentication device compares the face with the card's photo
    VISUAL = "visual"  # staff compare the face with the card's photo and attest it


class Outcome(enum.StrEnum):
    PENDING = "pending"  # asked for at the counter page, not yet taken by the reader
    IN_PROGRESS = "in_progress"
    VERIFIED = "verified"
    WRONG_PIN = "wrong_pin"  # tries are left
    LOCKED = "locked"  # PIN locked: face or visual check still work
    NOT_VERIFIED = "not_verified"  # the face did not match
    REFUSED = "refused"  # not a My Number card, or a card that is not genuine
    CANCELLED = "cancelled"  # nothing entered, or the entry was not a PIN
    FAILED = "failed"  # no card, card removed, no reader, reader unplugged, card errors


FINISHED = frozenset(Outcome) - {Outcome.PENDING, Outcome.IN_PROGRESS}


class ReaderState(enum.StrEnum):
    NO_SERVICE = "no_service"  # pcscd not running
    NO_READER = "no_reader"
    READY = "ready"  # reader connected, no card
    CARD_PRESENT = "card_present"
    BUSY = "busy"  # a verification is running
    STOPPED = "stopped"  # the reader process ended


# Why the basic four were not read (the identity may still be verified).
BASIC_FOUR_NOTES = (
    "text_pin_differs",  # the 券面事項入力補助 PIN is not the same as the one entered
    "text_pin_locked",
    "text_pin_not_tried",  # one try left on it: not risked
    "no_access_key",  # face device or staff gave no 照合番号B
    "access_key_rejected",
    "access_key_format",
    "access_key_locked",
    "access_key_not_tried",  # one try left on it: not risked
)
