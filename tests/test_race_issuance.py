"""Concurrent issuance on PostgreSQL: real transactions in threads, each with its own connection.

Two clerks pressing "issue" for the same person at the same moment must produce exactly one
certificate (ADR 0006). The threads meet at a barrier, and the work inside the lock is slowed
down, so the second clerk really does arrive while the first holds the person's row lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cards import services as card_services
from cards.models import Certificate, CertificateApplication
from cards.services import issue_certificate, submit_application, void_certificate
from eligibility.models import InsuredPerson
from sumida_kokuho.models import AuditEvent
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    InsuredPersonFactory,
    MyNumberCardFactory,
    StaffUserFactory,
)

pytestmark = [pytest.mark.race, pytest.mark.django_db(transaction=True)]

TODAY = date(2026, 11, 26)
ROUNDS = 5


@pytest.fixture(autouse=True)
def postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            f"needs concurrent transactions with row locks (PostgreSQL); this run uses "
            f"{connection.vendor}: set DATABASE_URL=postgres://…"
        )


@pytest.fixture(autouse=True)
def slow_critical_section(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold the lock a little longer, so the threads overlap whatever the machine's speed."""
    validity = card_services.certificate_validity

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.2)
        return validity(*args, **kwargs)

    monkeypatch.setattr(card_services, "certificate_validity", slow)


def run_together(*calls: Callable[[], Any], timeout: float = 30) -> list[tuple[str, Any]]:
    """Start every call at the same moment, each in its own thread and database connection.

    Returns ("ok", result) or ("error", exception) per call, in order.
    """
    barrier = threading.Barrier(len(calls), timeout=timeout)
    outcomes: list[tuple[str, Any]] = [("missing", None)] * len(calls)

    def work(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcomes[index] = ("ok", call())
        except Exception as error:  # reported to the test, not swallowed
            outcomes[index] = ("error", error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung (deadlock?)"
    return outcomes


def new_enrolment() -> InsuredPerson:
    person = InsuredPersonFactory(birth_date=date(1980, 5, 5))
    EnrolmentFactory(person=person, enrolled_on=date(2026, 11, 1))
    return person


def issue_events(person: InsuredPerson) -> int:
    return AuditEvent.objects.filter(
        action="issue", object_type="cards.certificate", person_id=person.pk
    ).count()


def test_two_clerks_pressing_issue_at_once_get_one_and_the_same_certificate():
    clerks = StaffUserFactory(), StaffUserFactory()
    for _ in range(ROUNDS):
        person = new_enrolment()

        outcomes = run_together(
            *(lambda c=c, p=person: issue_certificate(person=p, by=c, as_of=TODAY) for c in clerks)
        )

        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        assert outcomes[0][1].pk == outcomes[1][1].pk
        assert Certificate.objects.filter(person=person).count() == 1
        assert issue_events(person) == 1


def test_two_reasons_at_once_leave_exactly_one_certificate_in_force():
    clerk = StaffUserFactory()
    for _ in range(ROUNDS):
        person = new_enrolment()

        outcomes = run_together(
            *(
                lambda r=reason, p=person: issue_certificate(
                    person=p, by=clerk, as_of=TODAY, reason=r
                )
                for reason in ("new_enrolment", "other")
            )
        )

        assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
        certificates = Certificate.objects.filter(person=person)
        assert certificates.filter(voided_on__isnull=True).count() == 1
        # Served one after the other: the second reissued, voiding the first.
        assert certificates.count() == 2
        assert certificates.filter(void_reason="reissued").count() == 1
        assert len({c.number for c in certificates}) == 2
        assert issue_events(person) == 2
        assert AuditEvent.objects.filter(action="void", person_id=person.pk).count() == 1


def test_a_reissue_racing_a_void_leaves_only_the_new_certificate_in_force():
    clerk = StaffUserFactory()
    for _ in range(ROUNDS):
        person = new_enrolment()
        old = CertificateFactory(
            person=person, issued_on=date(2026, 11, 2), valid_until=date(2027, 9, 30)
        )

        outcomes = run_together(
            lambda p=person: issue_certificate(person=p, by=clerk, as_of=TODAY, reason="other"),
            lambda c=old: void_certificate(certificate=c, reason="lost", by=clerk, on=TODAY),
        )

        issued_kind, issued = outcomes[0]
        assert issued_kind == "ok", outcomes
        void_kind, void_result = outcomes[1]
        if void_kind == "error":  # the reissue came first and had voided it already
            assert isinstance(void_result, ValidationError)
            assert void_result.error_dict["__all__"][0].code == "already_void"
        old.refresh_from_db()
        assert old.voided_on == TODAY
        assert old.void_reason == ("reissued" if void_kind == "error" else "lost")
        assert Certificate.objects.get(person=person, voided_on__isnull=True) == issued


def test_issues_for_different_people_at_once_get_distinct_consecutive_numbers():
    clerk = StaffUserFactory()
    people = [new_enrolment() for _ in range(6)]

    outcomes = run_together(
        *(lambda p=p: issue_certificate(person=p, by=clerk, as_of=TODAY) for p in people)
    )

    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    numbers = sorted(certificate.number for _, certificate in outcomes)
    assert numbers == [f"2026-{n:07d}" for n in range(1, 7)]


def test_two_applications_at_once_leave_one_open_and_refuse_the_other():
    resident = StaffUserFactory()
    for _ in range(ROUNDS):
        person = new_enrolment()
        MyNumberCardFactory(person=person, card_status="lost")

        outcomes = run_together(
            *(
                lambda p=person: submit_application(
                    person=p,
                    reason="myna_card_lost",
                    detail="",
                    channel="online",
                    by=resident,
                    as_of=TODAY,
                )
                for _ in range(2)
            )
        )

        kinds = sorted(kind for kind, _ in outcomes)
        assert kinds == ["error", "ok"], outcomes
        error = next(result for kind, result in outcomes if kind == "error")
        assert error.error_dict["__all__"][0].code == "already_open"
        assert CertificateApplication.objects.filter(person=person).count() == 1
