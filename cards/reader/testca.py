"""A test certificate authority for virtual cards: tests make one per run, training keeps one.

A real card's 利用者証明用電子証明書 is issued by J-LIS's user-authentication CA; the reader trusts
that CA through its trust store (`cards.reader.trust`). Virtual cards get theirs from a CA made
here. Never put a test CA into a production trust store: the reader command warns when it sees one
(its subject carries TEST_CA_MARK).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from cards.reader.apdu import BasicFour
from cards.reader.virtual_card import CardProfile

TEST_CA_MARK = "NOT FOR PRODUCTION"
KEY_SIZE = 2048  # as on the card


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(
                NameOID.ORGANIZATION_NAME, f"Sumida Kokuho test CA ({TEST_CA_MARK})"
            ),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class CertificateAuthority:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate

    @classmethod
    def create(cls, common_name: str = "Test user-authentication CA") -> CertificateAuthority:
        key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
        name = _name(common_name)
        now = _now()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate)

    def issue_card_certificate(
        self,
        key: rsa.RSAPrivateKey,
        *,
        days: int = 365 * 5,
        not_before: dt.datetime | None = None,
    ) -> x509.Certificate:
        """A user-authentication certificate: like the real one, it names no person."""
        start = not_before or _now() - dt.timedelta(days=1)
        return (
            x509.CertificateBuilder()
            .subject_name(_name("Virtual My Number card user authentication"))
            .issuer_name(self.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    # --- kept on disk for training --------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        key_path = folder / "ca-key.pem"
        key_path.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        (folder / "ca.pem").write_bytes(self.certificate_pem())

    @classmethod
    def load_or_create(cls, folder: Path) -> CertificateAuthority:
        key_path, cert_path = folder / "ca-key.pem", folder / "ca.pem"
        if key_path.exists() and cert_path.exists():
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError(f"{key_path} is not an RSA key")
            return cls(key, x509.load_pem_x509_certificate(cert_path.read_bytes()))
        authority = cls.create("Training user-authentication CA")
        authority.save(folder)
        return authority


def new_card_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)


def make_card_profile(
    holder: BasicFour,
    authority: CertificateAuthority,
    *,
    key: rsa.RSAPrivateKey | None = None,
    signing_key: rsa.RSAPrivateKey | None = None,
    **options: Any,
) -> CardProfile:
    """A virtual card's profile with a fresh key and a certificate from `authority`.

    `signing_key` makes a card that signs with another key than the one its certificate
    certifies (a copied certificate): its signatures do not verify.
    """
    key = key or new_card_key()
    certificate = authority.issue_card_certificate(key)
    signer = (signing_key or key).private_numbers()
    return CardProfile(
        holder=holder,
        auth_certificate=certificate.public_bytes(serialization.Encoding.DER),
        auth_ca_certificate=authority.certificate.public_bytes(serialization.Encoding.DER),
        auth_key_numbers=(signer.public_numbers.n, signer.d),
        **options,
    )
