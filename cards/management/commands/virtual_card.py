"""`manage.py virtual_card`: put a virtual My Number card on vpcd's first reader, for training.

The card belongs to a showcase person (or --person ID), so `manage.py reader --training` matches it
to the insured records. Options make a card with another PIN, fewer tries left, a locked PIN, an
untrusted certificate, or a card of another kind. It stays on the reader until Ctrl+C (or
SIGTERM, or --seconds); on a terminal, Enter takes the card off the reader and puts it back.

Needs pcscd running with Debian's vsmartcard-vpcd driver (README "Card reader at the counter").
The card's PIN is the trainer's to tell; it is a test card and not a secret.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import threading
import time
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cards.management.commands.reader import CARD_FACE_FILE, TRAINING_CA_DIR
from cards.reader.apdu import BasicFour
from cards.reader.testca import CertificateAuthority, make_card_profile
from cards.reader.virtual_card import (
    VPCD_HOST,
    VPCD_PORT,
    OtherCard,
    VirtualMyNumberCard,
    VpcdCard,
)
from eligibility.demo import SHOWCASE_SYMBOL
from eligibility.models import InsuredPerson
from sumida_kokuho import audit

# When no insured records are loaded (no seed_demo): a card that matches nobody.
FALLBACK_HOLDER = BasicFour(
    "墨田\u3000花子", "東京都墨田区吾妻橋一丁目23番20号", date(1980, 2, 17), "2"
)


class Command(BaseCommand):
    help = "Insert a virtual My Number card for a showcase person into vpcd's first reader."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--person", type=int, help="insured person id (default: a showcase one)"
        )
        parser.add_argument("--pin", default="1234", help="user-authentication PIN (4 digits)")
        parser.add_argument(
            "--text-pin", help="券面事項入力補助 PIN, when it differs from --pin (4 digits)"
        )
        parser.add_argument("--tries", type=int, default=3, choices=[0, 1, 2, 3])
        parser.add_argument("--locked", action="store_true", help="PIN locked (same as --tries 0)")
        parser.add_argument("--kind", choices=["mynumber", "other"], default="mynumber")
        parser.add_argument(
            "--untrusted",
            action="store_true",
            help="certificate from a CA the reader does not trust",
        )
        parser.add_argument("--host", default=VPCD_HOST)
        parser.add_argument("--port", type=int, default=VPCD_PORT)
        parser.add_argument("--seconds", type=float, help="take the card away after this long")

    def handle(self, *args: Any, **options: Any) -> None:
        for name in ("pin", "text_pin"):
            value = options[name]
            if value is not None and not (value.isascii() and value.isdigit() and len(value) == 4):
                raise CommandError(f"--{name.replace('_', '-')} must be 4 digits.")
        card: VirtualMyNumberCard | OtherCard
        if options["kind"] == "other":
            card, description = OtherCard(), "a card of another kind (not a My Number card)"
        else:
            holder, description = self._holder(options["person"])
            authority = (
                CertificateAuthority.create("Untrusted CA")
                if options["untrusted"]
                else CertificateAuthority.load_or_create(TRAINING_CA_DIR)
            )
            profile = make_card_profile(
                holder,
                authority,
                auth_pin=options["pin"],
                text_pin=options["text_pin"],
                auth_pin_tries=0 if options["locked"] else options["tries"],
            )
            card = VirtualMyNumberCard(profile)
            self._write_card_face(profile.access_key_b)
            description += (
                f"; PIN {options['pin']}"
                + (f", 入力補助 PIN {options['text_pin']}" if options["text_pin"] else "")
                + f", tries left {profile.auth_pin_tries}; 照合番号B {profile.access_key_b}"
                + ("; certificate NOT trusted" if options["untrusted"] else "")
            )
        stop = threading.Event()
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
        vpcd = VpcdCard(card, host=options["host"], port=options["port"]).start()
        try:
            vpcd.insert(wait=None)
            self.stdout.write(f"Card: {description}")
            self.stdout.write(
                f"Waiting for vpcd at {options['host']}:{options['port']} (pcscd must run) … "
                "Ctrl+C takes the card away and stops."
            )
            self._wait(vpcd, stop, options["seconds"])
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
            vpcd.close()
            CARD_FACE_FILE.unlink(missing_ok=True)
            self.stdout.write("Card removed.")

    def _wait(self, vpcd: VpcdCard, stop: threading.Event, seconds: float | None) -> None:
        deadline = time.monotonic() + seconds if seconds else None
        interactive = sys.stdin is not None and sys.stdin.isatty()
        if interactive:
            self.stdout.write("Enter: take the card off / put it back.")
        shown = False
        while not stop.is_set() and (deadline is None or time.monotonic() < deadline):
            if vpcd.connected and not shown:
                self.stdout.write("Card is on the reader.")
                shown = True
            if interactive and select.select([sys.stdin], [], [], 0.2)[0]:
                sys.stdin.readline()
                if vpcd.connected:
                    vpcd.remove()
                    self.stdout.write("Card taken off the reader.")
                else:
                    vpcd.insert(wait=None)
                    shown = False
            else:
                stop.wait(0.2)

    def _holder(self, person_id: int | None) -> tuple[BasicFour, str]:
        people = InsuredPerson.objects.select_related("household")
        if person_id is not None:
            person = people.filter(pk=person_id).first()
            if person is None:
                raise CommandError(f"No insured person {person_id}.")
        else:
            person = (
                people.filter(
                    household__symbol=SHOWCASE_SYMBOL, myna_card__registered_on__isnull=False
                )
                .order_by("household__number", "branch")
                .first()
            )
        if person is None:
            return FALLBACK_HOLDER, "a fictional holder (no showcase data: run seed_demo)"
        # The virtual card copies a person's basic four from the records: a staff-side read.
        audit.record(actor=None, action="virtual_card", obj=person, detail={"training": True})
        holder = BasicFour(
            name=f"{person.family_name}\u3000{person.given_name}",
            address=person.household.address,
            birth_date=person.birth_date,
            sex=person.sex,
        )
        return holder, f"{person.full_name} ({person.insured_number}, person {person.pk})"

    @staticmethod
    def _write_card_face(access_key_b: str) -> None:
        """What a face-authentication device would read off the card front (training only)."""
        CARD_FACE_FILE.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(CARD_FACE_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump({"access_key_b": access_key_b}, file)
