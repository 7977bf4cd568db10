"""The trust store: which card certificates chain to a trusted CA, and whose signatures verify."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from cards.reader.errors import CertificateExpired, UntrustedCard
from cards.reader.testca import CertificateAuthority, new_card_key
from cards.reader.trust import TrustStore, verify_signature


def der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def test_a_certificate_from_a_trusted_ca_is_accepted(authority, trust_store, card_key) -> None:
    leaf = authority.issue_card_certificate(card_key)
    assert trust_store.verify_certificate(der(leaf), [der(authority.certificate)]) == leaf


def test_a_certificate_from_another_ca_is_refused(
    stranger_authority, trust_store, card_key
) -> None:
    leaf = stranger_authority.issue_card_certificate(card_key)
    # The card's own (self-signed) CA certificate is never taken as an anchor.
    with pytest.raises(UntrustedCard, match="not issued by a trusted CA"):
        trust_store.verify_certificate(der(leaf), [der(stranger_authority.certificate)])


def test_an_expired_certificate_is_refused_with_its_own_code(authority, trust_store, card_key):
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    leaf = authority.issue_card_certificate(card_key, days=30, not_before=start)
    with pytest.raises(CertificateExpired) as caught:
        trust_store.verify_certificate(der(leaf))
    assert caught.value.code == "certificate_expired"


def test_a_ca_certificate_is_not_a_card_certificate(authority, trust_store) -> None:
    with pytest.raises(UntrustedCard, match="CA certificate"):
        trust_store.verify_certificate(der(authority.certificate))


def test_an_empty_trust_store_trusts_nothing(authority, card_key) -> None:
    leaf = authority.issue_card_certificate(card_key)
    with pytest.raises(UntrustedCard, match="no trusted"):
        TrustStore.load(None).verify_certificate(der(leaf))


def test_an_intermediate_from_the_card_may_complete_the_chain(card_key) -> None:
    root = CertificateAuthority.create("Root")
    intermediate_key = new_card_key()
    now = dt.datetime.now(dt.UTC)
    intermediate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Intermediate")]))
        .issuer_name(root.certificate.subject)
        .public_key(intermediate_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(root.key, hashes.SHA256())
    )
    issuer = CertificateAuthority(intermediate_key, intermediate)
    leaf = issuer.issue_card_certificate(card_key, days=10)
    store = TrustStore.from_certificates(root.certificate_pem())
    assert store.verify_certificate(der(leaf), [der(intermediate)]) == leaf
    with pytest.raises(UntrustedCard):
        store.verify_certificate(der(leaf))  # without the intermediate: no path


def test_the_store_loads_from_a_file_or_a_folder(tmp_path, authority, stranger_authority) -> None:
    (tmp_path / "a.pem").write_bytes(authority.certificate_pem())
    (tmp_path / "b.der").write_bytes(der(stranger_authority.certificate))
    (tmp_path / "notes.txt").write_text("ignored")
    assert len(TrustStore.load(tmp_path).anchors) == 2
    assert len(TrustStore.load(tmp_path / "a.pem").anchors) == 1
    assert TrustStore.load(tmp_path).has_test_authorities
    with pytest.raises(FileNotFoundError):
        TrustStore.load(tmp_path / "missing.pem")


def test_signatures_verify_only_with_the_matching_key(authority, card_key) -> None:
    leaf = authority.issue_card_certificate(card_key)
    signature = card_key.sign(b"challenge", padding.PKCS1v15(), hashes.SHA256())
    verify_signature(leaf, b"challenge", signature)
    with pytest.raises(UntrustedCard, match="signature"):
        verify_signature(leaf, b"another challenge", signature)
    other = new_card_key().sign(b"challenge", padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(UntrustedCard, match="signature"):
        verify_signature(leaf, b"challenge", other)
