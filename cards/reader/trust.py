"""The trust store: which certificate authorities' user-authentication certificates we accept.

A card proves it is genuine in two steps (ADR 0008): its user-authentication certificate must chain
to a CA in this store, and — after the resident's PIN — its key must sign a fresh challenge that the
certificate's public key verifies. The store is a PEM/DER file or a folder of them, named by the
`CARD_TRUST_STORE` setting or environment variable, or by `manage.py reader --trust-store`. An empty
or missing store trusts nothing: every card is refused ("fail closed").

In production it holds J-LIS's 利用者証明用 CA certificates. Note the JPKI law (art. 17): checking
signatures as a business needs the minister's approval — the ward's approval and the CA files are
an operations matter, not code.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from cards.reader.errors import CertificateExpired, UntrustedCard
from cards.reader.testca import TEST_CA_MARK

MAX_CHAIN = 4
_SUFFIXES = {".pem", ".crt", ".cer", ".der"}


def _load_certificates(data: bytes) -> list[x509.Certificate]:
    if b"-----BEGIN CERTIFICATE-----" in data:
        return x509.load_pem_x509_certificates(data)
    return [x509.load_der_x509_certificate(data)]


def configured_path() -> str:
    """The trust store named by the settings or the environment ("" when none)."""
    from django.conf import settings

    return str(getattr(settings, "CARD_TRUST_STORE", "") or os.environ.get("CARD_TRUST_STORE", ""))


@dataclass(frozen=True)
class TrustStore:
    anchors: tuple[x509.Certificate, ...]
    source: str = ""

    @classmethod
    def load(cls, path: str | Path | None) -> TrustStore:
        if not path:
            return cls((), "")
        location = Path(path)
        files: Iterable[Path]
        if location.is_dir():
            files = sorted(p for p in location.iterdir() if p.suffix.lower() in _SUFFIXES)
        elif location.is_file():
            files = [location]
        else:
            raise FileNotFoundError(f"trust store {location} does not exist")
        anchors: list[x509.Certificate] = []
        for file in files:
            for certificate in _load_certificates(file.read_bytes()):
                if _is_ca(certificate):
                    anchors.append(certificate)
        return cls(tuple(anchors), str(location))

    @classmethod
    def from_certificates(cls, *pems: bytes) -> TrustStore:
        return cls(tuple(c for pem in pems for c in _load_certificates(pem)), "memory")

    @property
    def has_test_authorities(self) -> bool:
        return any(TEST_CA_MARK in anchor.subject.rfc4514_string() for anchor in self.anchors)

    # --- verification ---------------------------------------------------------------------------

    def verify_certificate(
        self,
        certificate_der: bytes,
        card_ca_ders: Iterable[bytes] = (),
        *,
        at: dt.datetime | None = None,
    ) -> x509.Certificate:
        """The card's certificate, once it chains to an anchor; else UntrustedCard.

        The CA certificate the card carries may serve as an intermediate, never as an anchor.
        """
        if not self.anchors:
            raise UntrustedCard("no trusted certificate authority is configured")
        when = at or dt.datetime.now(dt.UTC)
        try:
            leaf = x509.load_der_x509_certificate(certificate_der)
            intermediates = [x509.load_der_x509_certificate(d) for d in card_ca_ders if d]
        except ValueError as exc:
            raise UntrustedCard("the card's certificate cannot be read") from exc
        if when > leaf.not_valid_after_utc:
            # R-MYNA: the card still works as マイナ保険証 for a while; the counter says so.
            raise CertificateExpired(
                f"the card's certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}"
            )
        _check_time(leaf, when, "the card's certificate")
        if _is_ca(leaf):
            raise UntrustedCard("the card's certificate is a CA certificate")
        current = leaf
        for _ in range(MAX_CHAIN):
            for anchor in self.anchors:
                if _issued_by(current, anchor):
                    _check_time(anchor, when, "the trusted CA certificate")
                    return leaf
            issuer = next(
                (c for c in intermediates if _is_ca(c) and c != current and _issued_by(current, c)),
                None,
            )
            if issuer is None:
                break
            _check_time(issuer, when, "the card's CA certificate")
            current = issuer
        raise UntrustedCard("the card's certificate is not issued by a trusted CA")


def verify_signature(certificate: x509.Certificate, message: bytes, signature: bytes) -> None:
    """Check the card's PKCS#1 v1.5 SHA-256 signature over `message`; else UntrustedCard."""
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UntrustedCard("the card's key is not an RSA key")
    try:
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise UntrustedCard("the card's signature does not match its certificate") from exc


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return bool(constraints.value.ca)


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    if certificate.issuer != issuer.subject:
        return False
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _check_time(certificate: x509.Certificate, when: dt.datetime, what: str) -> None:
    if not certificate.not_valid_before_utc <= when <= certificate.not_valid_after_utc:
        raise UntrustedCard(f"{what} is not valid at {when:%Y-%m-%d}")
