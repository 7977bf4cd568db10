"""Typed errors of the card layer: every PC/SC result and status word the service acts on.

Each error has a stable `code`, which is what a verification records (`CardVerification.error_code`)
and what the counter page translates. Messages are for logs and never contain a PIN, an access
key or anything read from the card.
"""

from __future__ import annotations


class CardError(Exception):
    """Base class. `code` names the condition; subclasses fix it."""

    code = "card_error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__class__.__doc__ or self.code)


# --- the PC/SC stack ----------------------------------------------------------------------------


class PcscUnavailable(CardError):
    """The PC/SC service (pcscd) is not running or stopped answering."""

    code = "pcsc_unavailable"


class NoReader(CardError):
    """No card reader is connected (or not the configured one)."""

    code = "no_reader"


class ReaderUnavailable(CardError):
    """The card reader went away (unplugged) during the operation."""

    code = "reader_unavailable"


class NoCard(CardError):
    """No card was placed on the reader in time."""

    code = "no_card"


class CardRemoved(CardError):
    """The card was taken off the reader during the operation."""

    code = "card_removed"


class CardBusy(CardError):
    """Another program holds the card (sharing violation)."""

    code = "card_busy"


# --- the card -----------------------------------------------------------------------------------


class NotMyNumberCard(CardError):
    """The card on the reader is not a My Number card."""

    code = "not_my_number_card"


class StatusWordError(CardError):
    """The card answered with a status word other than success."""

    code = "card_error"

    def __init__(self, sw: int, message: str = "") -> None:
        self.sw = sw
        super().__init__(message or f"card answered {sw:04X}")


class WrongPin(StatusWordError):
    """The PIN (or access key) was wrong; `tries_left` more attempts before it locks."""

    code = "wrong_pin"

    def __init__(self, sw: int, tries_left: int) -> None:
        self.tries_left = tries_left
        super().__init__(sw, f"wrong PIN, {tries_left} tries left")


class PinLocked(StatusWordError):
    """The PIN is locked: too many wrong attempts. Only the ward office can reset it."""

    code = "pin_locked"

    def __init__(self, sw: int) -> None:
        self.tries_left = 0
        super().__init__(sw, "PIN locked")


class FileNotFound(StatusWordError):
    """The application or file does not exist on this card."""

    code = "not_found"


class SecurityNotSatisfied(StatusWordError):
    """The file or key needs a PIN that was not verified."""

    code = "security_not_satisfied"


# --- what the service decides -------------------------------------------------------------------


class UntrustedCard(CardError):
    """The card's certificate or signature could not be verified against the trust store."""

    code = "untrusted_card"

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"card refused: {reason}")


class CertificateExpired(UntrustedCard):
    """The card's user-authentication certificate has expired (renewal at the ward office)."""

    code = "certificate_expired"


class CardDataError(CardError):
    """The card returned data that cannot be parsed (damaged or unexpected layout)."""

    code = "card_data_error"
