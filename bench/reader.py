"""How long from placing a My Number card on the reader to a verified result, on the real stack.

    .venv/bin/python bench/reader.py            # 20 PIN checks (needs root: starts pcscd)
    .venv/bin/python bench/reader.py --runs 5

pcscd with Debian's vsmartcard-vpcd driver, the virtual card, pyscard and the reader service with
its database writes (a throw-away SQLite file), as in the tests. Each run asks for a PIN check, puts
the card on the reader, and times "card placed" (vpcd took the card) to "verified result recorded"
(the row the counter page reads). The PIN comes from a scripted PIN pad, so a person's typing time
is not in the figure. Printed: median, 90th percentile, min and max, and how much of it was waiting
for pcscd to notice the card (it polls vpcd about every 0.4 s).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from cards.reader.testbed import Pcscd, unavailable_reason

    reason = unavailable_reason()
    if reason:
        print(f"Cannot run the reader bench here: {reason}", file=sys.stderr)
        return 2

    workdir = Path(tempfile.mkdtemp(prefix="sumida-reader-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="sumida_kokuho.settings",
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{workdir / 'bench.sqlite3'}",
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from cards.models import CardVerification
    from cards.reader.apdu import BasicFour
    from cards.reader.matching import match_basic_four
    from cards.reader.pinpad import ScriptedPinPad
    from cards.reader.records import OrmRecorder, request_verification
    from cards.reader.service import ReaderService
    from cards.reader.testca import CertificateAuthority, make_card_profile
    from cards.reader.trust import TrustStore
    from cards.reader.virtual_card import REPLACE_GAP, VirtualMyNumberCard, VpcdCard
    from eligibility.models import Household, InsuredPerson

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    household = Household.objects.create(
        symbol="13", number="900001", postal_code="131-0045", address="東京都墨田区押上一丁目1番2号"
    )
    person = InsuredPerson.objects.create(
        household=household,
        branch="01",
        family_name="押上",
        given_name="太郎",
        family_name_kana="オシアゲ",
        given_name_kana="タロウ",
        birth_date=date(1956, 12, 1),
        sex="1",
        relation="householder",
    )
    staff = get_user_model().objects.create_user("bench", is_staff=True)
    holder = BasicFour("押上\u3000太郎", "東京都墨田区押上一丁目１番２号", date(1956, 12, 1), "1")
    authority = CertificateAuthority.create()
    card = VirtualMyNumberCard(make_card_profile(holder, authority, auth_pin="4321"))
    print(f"set-up (database, keys): {time.monotonic() - started:.1f} s")

    pcscd = Pcscd()
    pcscd.start()
    vpcd = VpcdCard(card, port=pcscd.port).start()
    pad = ScriptedPinPad()
    service = ReaderService(
        counter="honcho-1",
        recorder=OrmRecorder(),
        matcher=match_basic_four,
        trust_store=TrustStore.from_certificates(authority.certificate_pem()),
        pin_pad=pad,
        reader_name=pcscd.reader,
        card_timeout=10.0,
        entry_timeout=5.0,
    )
    totals: list[float] = []
    detections: list[float] = []
    try:
        for _ in range(args.runs):
            pad.add("4321")
            verification = request_verification(counter="honcho-1", method="pin", by=staff)
            time.sleep(REPLACE_GAP)  # the card was taken away at the end of the previous run
            vpcd.insert(wait=None)
            result = service.step()
            done = time.monotonic()
            verification.refresh_from_db()
            if verification.outcome != "verified" or verification.matched_person_id != person.pk:
                print(f"run failed: {verification.outcome} {verification.error_code}")
                return 1
            placed = vpcd.placed_at or done
            totals.append(done - placed)
            detections.append(max(0.0, (done - placed) - (result.card_seconds if result else 0.0)))
            vpcd.remove()
            service.pcsc.wait_for_removal(pcscd.reader, 5)
    finally:
        vpcd.close()
        service.close()
        pcscd.cleanup()
    assert CardVerification.objects.filter(outcome="verified").count() == args.runs

    def ms(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    print(f"card placed -> verified result recorded, PIN path, {args.runs} runs:")
    print(
        f"  median {1000 * statistics.median(totals):.0f} ms, p90 {ms(totals, 0.9):.0f} ms, "
        f"min {1000 * min(totals):.0f} ms, max {1000 * max(totals):.0f} ms"
    )
    print(
        f"  of which waiting for pcscd to see the card: median "
        f"{1000 * statistics.median(detections):.0f} ms (vpcd is polled about every 400 ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
