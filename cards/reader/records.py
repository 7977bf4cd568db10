"""The database side of verifications: the counter page asks, the reader process records.

The reader process runs with the same settings as the site and writes through the ORM: the
counter page sees a result as soon as it is committed. Requests are claimed with a conditional
UPDATE (pending → in_progress), so a second reader process for the same counter, or a restart in
the middle, never runs one request twice.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.models import CardVerification, CounterReader
from cards.reader.outcomes import Method, Outcome, ReaderState
from cards.reader.service import VerificationRequest, VerificationResult
from sumida_kokuho import audit

# A request older than this when the reader reaches it is not started any more (the resident has
# probably left); staff start a new one.
PENDING_TTL = timedelta(minutes=5)
# A check still in progress after this long was cut off (the reader process stopped or crashed).
INTERRUPTED_AFTER = timedelta(minutes=10)


def staff_name(user: Any) -> str:
    return (user.get_full_name() or user.get_username()).strip()


def request_verification(
    *, counter: str, method: str, by: Any, attested: bool = False
) -> CardVerification:
    """Ask the counter's reader for a check. A visual check is attested by `by` right here.

    An older request still waiting at the same counter is withdrawn (superseded): one resident,
    one card, one check at a time.
    """
    method = Method(method)
    if method is Method.VISUAL and not attested:
        raise ValidationError(
            _("Confirm that you compared the face with the photo on the card."), code="attest"
        )
    now = timezone.now()
    with transaction.atomic():
        CardVerification.objects.filter(counter=counter, outcome=Outcome.PENDING).update(
            outcome=Outcome.CANCELLED, error_code="superseded", finished_at=now
        )
        verification = CardVerification.objects.create(
            counter=counter,
            method=method,
            staff=by,
            attested_by=staff_name(by) if method is Method.VISUAL else "",
            requested_at=now,
        )
        audit.record(
            actor=by,
            action="request_card_verification",
            obj=verification,
            counter=counter,
            detail={"method": method.value},
        )
    return verification


class OrmRecorder:
    """`cards.reader.service.Recorder` over the ORM."""

    def __init__(self, *, pending_ttl: timedelta = PENDING_TTL, long_running: bool = False) -> None:
        self.pending_ttl = pending_ttl
        # The reader process runs for days: drop connections the database server closed, as
        # Django does between requests. (Not inside tests, whose transaction it would break.)
        self.long_running = long_running

    def next_request(self, counter: str) -> VerificationRequest | None:
        if self.long_running:
            close_old_connections()
        now = timezone.now()
        CardVerification.objects.filter(
            counter=counter, outcome=Outcome.PENDING, requested_at__lt=now - self.pending_ttl
        ).update(outcome=Outcome.CANCELLED, error_code="expired", finished_at=now)
        CardVerification.objects.filter(
            counter=counter, outcome=Outcome.IN_PROGRESS, started_at__lt=now - INTERRUPTED_AFTER
        ).update(outcome=Outcome.FAILED, error_code="interrupted", finished_at=now)
        waiting = (
            CardVerification.objects.filter(counter=counter, outcome=Outcome.PENDING)
            .order_by("requested_at", "pk")
            .values_list("pk", flat=True)[:5]
        )
        for pk in waiting:
            claimed = CardVerification.objects.filter(pk=pk, outcome=Outcome.PENDING).update(
                outcome=Outcome.IN_PROGRESS, started_at=now
            )
            if claimed:
                row = CardVerification.objects.get(pk=pk)
                return VerificationRequest(
                    id=row.pk,
                    counter=row.counter,
                    method=Method(row.method),
                    staff_id=row.staff_id,
                    attested_by=row.attested_by,
                )
        return None

    def walk_up(self, counter: str) -> VerificationRequest:
        """A card placed with no request waiting: a PIN check, as at a clinic's reader."""
        now = timezone.now()
        row = CardVerification.objects.create(
            counter=counter,
            method=Method.PIN,
            outcome=Outcome.IN_PROGRESS,
            requested_at=now,
            started_at=now,
        )
        return VerificationRequest(id=row.pk, counter=counter, method=Method.PIN)

    def finish(self, request: VerificationRequest, result: VerificationResult) -> None:
        match = result.match
        with transaction.atomic():
            row = CardVerification.objects.select_for_update().get(pk=request.id)
            row.outcome = result.outcome
            row.error_code = result.error_code
            row.tries_left = result.tries_left
            row.certificate_trusted = result.certificate_trusted
            row.card_genuine = result.card_genuine
            row.basic_four_note = result.basic_four_note
            row.matched_person_id = match.person_id if match else None
            row.near_misses = [miss.as_json() for miss in match.near_misses] if match else []
            row.finished_at = timezone.now()
            row.started_at = row.started_at or row.finished_at
            row.save(
                update_fields=[
                    "outcome",
                    "error_code",
                    "tries_left",
                    "certificate_trusted",
                    "card_genuine",
                    "basic_four_note",
                    "matched_person",
                    "near_misses",
                    "finished_at",
                    "started_at",
                ]
            )
            audit.record(
                actor=row.staff,
                action="card_verification",
                obj=row,
                person=row.matched_person,
                counter=row.counter,
                detail={
                    "method": row.method,
                    "outcome": row.outcome,
                    "error_code": row.error_code,
                    "near_misses": [miss["person_id"] for miss in row.near_misses],
                },
            )

    def reader_state(self, counter: str, state: ReaderState, reader: str) -> None:
        CounterReader.objects.update_or_create(
            counter=counter,
            defaults={"state": state.value, "reader_name": reader, "updated_at": timezone.now()},
        )
