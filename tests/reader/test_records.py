"""The database side: requests are claimed once, stale ones expire, results are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cards.models import CardVerification
from cards.reader.matching import MatchResult, NearMiss
from cards.reader.outcomes import Outcome
from cards.reader.records import OrmRecorder, request_verification
from cards.reader.service import VerificationResult
from sumida_kokuho.models import AuditEvent
from tests.factories import InsuredPersonFactory, StaffUserFactory
from tests.reader.conftest import COUNTER

pytestmark = pytest.mark.django_db


def test_a_request_is_claimed_once_oldest_first() -> None:
    staff = StaffUserFactory()
    first = request_verification(counter=COUNTER, method="pin", by=staff)
    request_verification(counter=COUNTER, method="face", by=staff)  # supersedes the first
    CardVerification.objects.filter(pk=first.pk).update(outcome="pending", finished_at=None)
    recorder = OrmRecorder()
    claimed = [recorder.next_request(COUNTER), recorder.next_request(COUNTER)]
    assert [c.method for c in claimed if c] == ["pin", "face"]
    assert recorder.next_request(COUNTER) is None
    assert recorder.next_request("honcho-2") is None


def test_stale_requests_expire_and_cut_off_checks_are_closed() -> None:
    staff = StaffUserFactory()
    old = timezone.now() - timedelta(hours=1)
    waiting = request_verification(counter=COUNTER, method="pin", by=staff)
    CardVerification.objects.filter(pk=waiting.pk).update(requested_at=old)
    running = CardVerification.objects.create(
        counter=COUNTER, method="pin", outcome="in_progress", requested_at=old, started_at=old
    )
    assert OrmRecorder().next_request(COUNTER) is None
    waiting.refresh_from_db()
    running.refresh_from_db()
    assert (waiting.outcome, waiting.error_code) == ("cancelled", "expired")
    assert (running.outcome, running.error_code) == ("failed", "interrupted")


def test_a_visual_check_needs_the_attestation() -> None:
    with pytest.raises(ValidationError):
        request_verification(counter=COUNTER, method="visual", by=StaffUserFactory())


def test_a_result_is_recorded_with_its_match_and_audited() -> None:
    staff = StaffUserFactory()
    person, other = InsuredPersonFactory(), InsuredPersonFactory()
    request_verification(counter=COUNTER, method="pin", by=staff)
    recorder = OrmRecorder()
    request = recorder.next_request(COUNTER)
    result = VerificationResult(
        Outcome.VERIFIED,
        tries_left=3,
        certificate_trusted=True,
        card_genuine=True,
        match=MatchResult(person.pk, (NearMiss(other.pk, ("address",)),)),
    )
    recorder.finish(request, result)
    row = CardVerification.objects.get()
    assert (row.outcome, row.matched_person, row.tries_left) == ("verified", person, 3)
    assert row.near_misses == [{"person_id": other.pk, "differs": ["address"]}]
    assert row.finished_at is not None
    event = AuditEvent.objects.get(action="card_verification")
    assert (event.actor, event.person_id, event.counter) == (staff, person.pk, COUNTER)
    assert event.detail["near_misses"] == [other.pk]
