"""The status pages: proofs usable today with their reasons, what comes next, the household."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import CertificateFactory, HouseholdFactory, MyNumberCardFactory
from tests.portal.helpers import insured, signed_in

pytestmark = pytest.mark.django_db

TODAY = date(2026, 9, 10)


@pytest.fixture(autouse=True)
def _today():
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        yield


def test_the_householder_sees_their_proof_in_plain_words_with_wareki_and_seireki(family):
    page = signed_in(family["head"]).get("/portal/").content.decode()
    assert "令和8年9月10日（2026年）" in page
    assert "マイナ保険証" in page or "My Number" in page
    assert family["spouse"].given_name in page


def test_the_page_is_complete_in_english(family):
    client = signed_in(family["head"])
    client.cookies["sumida_kokuho_language"] = "en"
    page = client.get("/portal/").content.decode()
    assert "What you can show at a clinic or pharmacy today" in page
    assert "10 September 2026" in page


def test_a_certificate_holder_sees_when_it_expires(family):
    client = signed_in(family["spouse"])
    client.cookies["sumida_kokuho_language"] = "en"
    page = client.get("/portal/").content.decode()
    assert "30 September 2027" in page
    assert "Your eligibility certificate can be used until this day." in page


def test_turning_70_says_which_document_arrives_and_when(db):
    person = insured(birth_date=date(1956, 11, 15), sex="2")
    MyNumberCardFactory(person=person)
    client = signed_in(person)
    client.cookies["sumida_kokuho_language"] = "en"
    page = client.get("/portal/").content.decode()
    assert "late November 2026" in page
    assert "notice of insurance information" in page
    assert "2割 (20%)" in page or "3割 (30%)" in page


def test_turning_70_reads_in_japanese_with_gejun(db):
    person = insured(birth_date=date(1956, 11, 15), sex="2")
    page = signed_in(person).get("/portal/").content.decode()
    assert "令和8年11月下旬" in page


def _household_of(size: int):
    household = HouseholdFactory()
    people = [insured(household=household, birth_date=date(1960 + i, 4, 2)) for i in range(size)]
    MyNumberCardFactory(person=people[0])
    for person in people[1:]:
        CertificateFactory(person=person)
    return people


def test_the_status_page_of_a_household_of_6_runs_a_constant_number_of_queries(db):
    small = _household_of(2)
    large = _household_of(6)
    counts = []
    for people in (small, large):
        client = signed_in(people[0])
        client.get("/portal/")  # warm the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/portal/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 20, counts


def test_a_member_page_shows_only_that_member(family):
    page = signed_in(family["head"]).get(f"/portal/people/{family['spouse'].pk}/").content.decode()
    assert family["spouse"].given_name in page
