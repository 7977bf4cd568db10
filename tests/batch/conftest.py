"""Fixtures for the issuance batch: a small population with documents due, print files in a
temporary directory."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

AS_OF = date(2026, 11, 25)
PERIOD = date(2026, 11, 1)


@pytest.fixture(autouse=True)
def batch_dir(settings: Any, tmp_path: Any) -> Any:
    settings.BATCH_DIR = tmp_path / "batch"
    settings.BATCH_CHUNK_SIZE = 2
    settings.BATCH_FOUR_EYES = True
    return settings.BATCH_DIR


def make_population(households: int = 3) -> dict[str, list[Any]]:
    """Per household: a householder with a usable マイナ保険証 (a notice is due: new enrolment)
    and a member without one (a certificate is due); plus one person with nothing due."""
    from tests.factories import (
        CertificateFactory,
        EnrolmentFactory,
        HouseholdFactory,
        InsuredPersonFactory,
        MyNumberCardFactory,
    )

    due: dict[str, list[Any]] = {"certificate": [], "notice": []}
    for _ in range(households):
        household = HouseholdFactory()
        head = InsuredPersonFactory(
            household=household, relation="householder", birth_date=date(1981, 6, 15)
        )
        EnrolmentFactory(person=head, enrolled_on=date(2026, 11, 10), reason="move_in")
        MyNumberCardFactory(person=head, registered_on=date(2023, 5, 10))
        member = InsuredPersonFactory(
            household=household, relation="child", birth_date=date(2012, 6, 15)
        )
        EnrolmentFactory(person=member, enrolled_on=date(2026, 11, 10), reason="move_in")
        due["notice"].append(head)
        due["certificate"].append(member)
    # Fixed birth dates: a random one could make someone turn 70 or 75 this month (due).
    settled = InsuredPersonFactory(relation="householder", birth_date=date(1980, 6, 15))
    EnrolmentFactory(person=settled, enrolled_on=date(2020, 4, 1))
    CertificateFactory(person=settled, issued_on=date(2025, 9, 1), valid_until=date(2027, 9, 30))
    return due


@pytest.fixture
def population(db: Any) -> dict[str, list[Any]]:
    return make_population()


@pytest.fixture
def planner(db: Any) -> Any:
    from tests.factories import StaffUserFactory

    return StaffUserFactory(username="planner")


@pytest.fixture
def approver(db: Any) -> Any:
    from tests.factories import StaffUserFactory

    return StaffUserFactory(username="approver")
