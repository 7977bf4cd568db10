"""No PIN digit reaches a log or the database, on the real stack and through every PIN path.

The checks run PIN flows (right, wrong, proxy, a 券面事項入力補助 PIN that differs, 照合番号B for a
visual check) with every logger at DEBUG, then look for the PINs — as digits and as the hex of the
APDU bytes — in the captured log records, in pcscd's own log, and in a dump of every table.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import date
from typing import Any

import pytest
from django.core.management import call_command

from cards.reader.matching import match_basic_four
from cards.reader.pinpad import ScriptedPinPad
from cards.reader.records import OrmRecorder, request_verification
from cards.reader.service import ReaderService
from cards.reader.virtual_card import VirtualMyNumberCard
from eligibility.models import InsuredPerson
from tests.factories import HouseholdFactory, InsuredPersonFactory, StaffUserFactory
from tests.reader.conftest import COUNTER

pytestmark = [pytest.mark.reader, pytest.mark.django_db]

# Distinct enough not to be part of the test's other numbers (ids, tries, ports).
RIGHT_PIN, WRONG_PIN, TEXT_PIN = "5820", "7391", "6047"
# Dates and times in the dump carry arbitrary digits; they are not PINs.
TIMESTAMPS = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:?\d{2}|Z)?")


def forms_of(secret: str) -> list[str]:
    return [secret, secret.encode().hex(), secret.encode().hex().upper(), " ".join(secret)]


def test_pins_never_reach_logs_or_the_database(
    pcscd: Any, profile_for, place_card, trust_store, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    household = HouseholdFactory(address="東京都墨田区押上一丁目1番2号")
    InsuredPersonFactory(
        household=household,
        family_name="押上",
        given_name="太郎",
        birth_date=date(1956, 12, 1),
        sex=InsuredPerson.Sex.MALE,
    )
    staff = StaffUserFactory()
    profile = profile_for(auth_pin=RIGHT_PIN)
    first = place_card(VirtualMyNumberCard(profile))
    pad = ScriptedPinPad([WRONG_PIN, RIGHT_PIN, RIGHT_PIN, profile.access_key_b, RIGHT_PIN])
    service = ReaderService(
        counter=COUNTER,
        recorder=OrmRecorder(),
        matcher=match_basic_four,
        trust_store=trust_store,
        pin_pad=pad,
        reader_name=pcscd.reader,
        card_timeout=5.0,
        entry_timeout=2.0,
    )
    for method in ("pin", "pin", "proxy_pin", "visual"):
        request_verification(counter=COUNTER, method=method, by=staff, attested=True)
        assert service.step() is not None
    # A card whose 券面事項入力補助 PIN differs: the PIN typed is tried on it once.
    first.close()
    place_card(VirtualMyNumberCard(profile_for(auth_pin=RIGHT_PIN, text_pin=TEXT_PIN)))
    request_verification(counter=COUNTER, method="pin", by=staff)
    assert service.step() is not None
    assert len(pad.requests) == 5  # every entry was asked for once, none twice

    secrets = [RIGHT_PIN, WRONG_PIN, TEXT_PIN, profile.access_key_b]
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert "APDU" in logged  # the exchanges were logged (headers only)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    stored = TIMESTAMPS.sub("", dump.getvalue())
    assert '"outcome": "verified"' in stored
    daemon = pcscd.log(tail=100_000)
    for secret in secrets:
        for form in forms_of(secret):
            assert form not in logged, f"a PIN reached a log record ({form})"
            assert form not in stored, f"a PIN reached the database ({form})"
            assert form.upper() not in daemon.upper(), f"a PIN reached pcscd's log ({form})"
