"""Fixtures for the card-reader tests.

Tests marked `reader` run on the real stack: pcscd (started here, in the foreground, with its own
configuration folder and Debian's vsmartcard-vpcd driver), the virtual My Number card connected to
vpcd, and pyscard. They skip with the reason when that cannot run here (not root, packages
missing, another pcscd running) — and under CI=true a skip is a failure (tests/conftest.py).
The test CAs are made at test time with `cryptography`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from cards.reader.apdu import BasicFour
from cards.reader.testca import CertificateAuthority, make_card_profile, new_card_key
from cards.reader.trust import TrustStore

COUNTER = "honcho-1"


@pytest.fixture(scope="session")
def authority() -> CertificateAuthority:
    return CertificateAuthority.create()


@pytest.fixture(scope="session")
def stranger_authority() -> CertificateAuthority:
    """A CA the reader does not trust."""
    return CertificateAuthority.create("Stranger CA")


@pytest.fixture(scope="session")
def trust_store(authority: CertificateAuthority) -> TrustStore:
    return TrustStore.from_certificates(authority.certificate_pem())


@pytest.fixture(scope="session")
def card_key() -> Any:
    return new_card_key()  # 2048-bit keys take a moment: one for every card of the run


HOLDER = BasicFour("押上\u3000太郎", "東京都墨田区押上一丁目１番２号", date(1956, 12, 1), "1")


@pytest.fixture
def profile_for(authority: CertificateAuthority, card_key: Any) -> Callable[..., Any]:
    def make(holder: BasicFour = HOLDER, *, by: CertificateAuthority | None = None, **options: Any):
        return make_card_profile(holder, by or authority, key=card_key, **options)

    return make


# --- the real stack -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _pcscd_session() -> Iterator[Any]:
    from cards.reader.testbed import Pcscd, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    pcscd = Pcscd()
    pcscd.start()
    try:
        yield pcscd
    finally:
        pcscd.cleanup()


@pytest.fixture
def pcscd(_pcscd_session: Any) -> Iterator[Any]:
    """pcscd with the test reader; restored after a test that unplugged it."""
    pcscd = _pcscd_session
    if pcscd.process is None or pcscd.process.poll() is not None or pcscd.unplugged:
        pcscd.plug_in()
    yield pcscd
    if pcscd.unplugged:
        pcscd.plug_in()


@pytest.fixture
def place_card(pcscd: Any) -> Iterator[Callable[..., Any]]:
    """place_card(card, vanish_when=None, insert=True) -> VpcdCard on the test reader."""
    from cards.reader.virtual_card import VpcdCard

    placed: list[VpcdCard] = []

    def place(card: Any, *, insert: bool = True, **options: Any) -> VpcdCard:
        vpcd = VpcdCard(card, port=pcscd.port, **options).start()
        placed.append(vpcd)
        if insert:
            vpcd.insert()
        return vpcd

    yield place
    for vpcd in placed:
        vpcd.close()
    if placed and not pcscd.unplugged:
        # Leave the reader empty as pcscd sees it, so the next test starts from a clean reader.
        from cards.reader.errors import CardError
        from cards.reader.pcsc import Pcsc

        pcsc = Pcsc()
        try:
            pcsc.wait_for_removal(pcscd.reader, 5)
        except CardError:
            pass
        finally:
            pcsc.reset()
