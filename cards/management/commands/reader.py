"""`manage.py reader --counter honcho-1`: the card-reader service of one counter machine.

Owns the PC/SC reader at the counter, takes the verifications the counter page asks for, reads the
PIN from this machine's own PIN pad (its terminal, or a local device with --pin-pad PATH), and
writes each result to the database, where the counter page shows it. Runs until Ctrl+C or SIGTERM.
See README "Card reader at the counter" and docs/adr/0008-card-reader-pin-path.md.
"""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cards.reader.face import FaceAuthDevice, NoFaceDevice, SimulatedFaceDevice
from cards.reader.matching import match_basic_four
from cards.reader.pinpad import LinePinPad, PinPad, TerminalPinPad
from cards.reader.records import OrmRecorder
from cards.reader.service import ReaderService
from cards.reader.testca import CertificateAuthority
from cards.reader.trust import TrustStore, configured_path
from sumida_kokuho.roles import COUNTER_CODES

TRAINING_DIR = Path(settings.BASE_DIR) / "var" / "reader"
TRAINING_CA_DIR = TRAINING_DIR / "training-ca"
CARD_FACE_FILE = TRAINING_DIR / "card-face.json"
VPCD_CONFIG = Path("/etc/reader.conf.d/vpcd")  # Debian's vsmartcard-vpcd: tests and training only


class Command(BaseCommand):
    help = "Run the card reader service of one counter (PIN pad, face device, verifications)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--counter", required=True, help="counter code, e.g. honcho-1")
        parser.add_argument("--reader", help="PC/SC reader name (or its start); default the first")
        parser.add_argument(
            "--trust-store",
            help="PEM/DER file or folder of the trusted user-authentication CAs "
            "(default: the CARD_TRUST_STORE setting or environment variable)",
        )
        parser.add_argument(
            "--pin-pad",
            default="tty",
            help="'tty' (this terminal, echo off) or the path of a local PIN-pad device or pipe",
        )
        parser.add_argument(
            "--face-device",
            choices=["none", "simulated"],
            default="none",
            help="face-authentication device (simulated: for tests and training)",
        )
        parser.add_argument(
            "--face-outcome",
            default="matched",
            choices=["matched", "not_matched", "cancelled", "unavailable"],
            help="what the simulated face device answers",
        )
        parser.add_argument(
            "--walk-up",
            action="store_true",
            help="start a PIN check whenever a card is placed without a request from the page",
        )
        parser.add_argument("--card-timeout", type=float, default=60.0, metavar="SECONDS")
        parser.add_argument("--entry-timeout", type=float, default=60.0, metavar="SECONDS")
        parser.add_argument(
            "--training",
            action="store_true",
            help="trust the training CA of `manage.py virtual_card` and simulate the face "
            "device from its card face (DEBUG only)",
        )
        parser.add_argument(
            "--once", action="store_true", help="stop after the first finished verification"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        counter = options["counter"]
        if counter not in COUNTER_CODES:
            raise CommandError(f"Unknown counter {counter!r}; one of: {sorted(COUNTER_CODES)}")
        trust_store = self._trust_store(options)
        if VPCD_CONFIG.exists() and not settings.DEBUG:
            self.stderr.write(
                self.style.WARNING(
                    f"{VPCD_CONFIG} exists (vsmartcard-vpcd): pcscd then accepts virtual cards "
                    "from the network. Remove that package from counter machines."
                )
            )
        service = ReaderService(
            counter=counter,
            # --once is short-lived (and how the tests run it, inside their transaction).
            recorder=OrmRecorder(long_running=not options["once"]),
            matcher=match_basic_four,
            trust_store=trust_store,
            pin_pad=self._pin_pad(options["pin_pad"]),
            face_device=self._face_device(options),
            reader_name=options["reader"],
            card_timeout=options["card_timeout"],
            entry_timeout=options["entry_timeout"],
            walk_up=options["walk_up"],
        )

        def stop(signum: int, frame: object) -> None:
            service.stop_event.set()

        previous = signal.signal(signal.SIGTERM, stop)
        self.stdout.write(
            f"Card reader service for counter {counter} "
            f"(trust store: {trust_store.source or 'none'}; Ctrl+C to stop)"
        )
        # --once is bounded: a card, an entry and some slack, then it gives up.
        limit = (
            options["card_timeout"] + 2 * options["entry_timeout"] + 30 if options["once"] else None
        )
        try:
            done = service.serve(once=options["once"], on_result=self._report, seconds=limit)
        except KeyboardInterrupt:
            done = False
            service.stop_event.set()
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("Stopped.")
        if options["once"] and not done:
            raise CommandError("No verification finished.")

    def _report(self, result: Any) -> None:
        match = result.match
        found = ""
        if match is not None and match.person_id is not None:
            found = f", matched person {match.person_id}"
        elif match is not None and match.near_misses:
            found = f", {len(match.near_misses)} near miss(es), no match"
        error = f" ({result.error_code})" if result.error_code else ""
        note = f" [{result.basic_four_note}]" if result.basic_four_note else ""
        tries = f", PIN tries left {result.tries_left}" if result.tries_left is not None else ""
        self.stdout.write(f"{result.outcome}{error}{tries}{found}{note} in {result.seconds:.2f} s")

    def _trust_store(self, options: dict[str, Any]) -> TrustStore:
        if options["training"]:
            if not settings.DEBUG:
                raise CommandError("--training trusts a test CA: run it with DEBUG=true only.")
            CertificateAuthority.load_or_create(TRAINING_CA_DIR)
            path = str(TRAINING_CA_DIR / "ca.pem")
        else:
            path = options["trust_store"] or configured_path()
        if not path:
            raise CommandError(
                "No trust store: set CARD_TRUST_STORE or pass --trust-store (every card would be "
                "refused without one)."
            )
        try:
            store = TrustStore.load(path)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the trust store {path}: {exc}") from exc
        if not store.anchors:
            raise CommandError(f"The trust store {path} holds no CA certificate.")
        if store.has_test_authorities and not settings.DEBUG:
            self.stderr.write(self.style.WARNING("The trust store holds a TEST CA."))
        return store

    @staticmethod
    def _pin_pad(spec: str) -> PinPad:
        return TerminalPinPad() if spec == "tty" else LinePinPad(spec)

    @staticmethod
    def _face_device(options: dict[str, Any]) -> FaceAuthDevice:
        if options["training"] or options["face_device"] == "simulated":
            return SimulatedFaceDevice([options["face_outcome"]], card_face_file=CARD_FACE_FILE)
        return NoFaceDevice()
