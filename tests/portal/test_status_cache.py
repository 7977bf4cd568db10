"""The status page's cache: what the rules said and the rendered page are reused only while
every row they were made from is unchanged, however the rows were changed (services, bulk
imports, `QuerySet.update()`); cached and fresh pages are the same; the query count stays
constant either way."""

from __future__ import annotations

import re
from datetime import date
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.models import Certificate, CertificateApplication, MyNumberCard, PaperCard
from eligibility.facts_builder import persons_for_assessment
from eligibility.models import (
    BurdenDetermination,
    Enrolment,
    Household,
    InsuredPerson,
    LifeEvent,
    PremiumArrears,
)
from eligibility.portal import fingerprint
from eligibility.portal.status import cached_page, statuses
from notices.models import Notice
from tests.factories import (
    CertificateFactory,
    HouseholdFactory,
    MyNumberCardFactory,
    NoticeFactory,
    PaperCardFactory,
)
from tests.factories.households import (
    BurdenDeterminationFactory,
    LifeEventFactory,
    PremiumArrearsFactory,
)
from tests.portal.helpers import insured, signed_in

pytestmark = pytest.mark.django_db

TODAY = date(2026, 9, 10)


@pytest.fixture(autouse=True)
def _today():
    with mock.patch("django.utils.timezone.localdate", return_value=TODAY):
        yield


def _household_of(size: int) -> list[InsuredPerson]:
    household = HouseholdFactory()
    people = [insured(household=household, birth_date=date(1960 + i, 4, 2)) for i in range(size)]
    MyNumberCardFactory(person=people[0])
    for person in people[1:]:
        CertificateFactory(person=person)
    return people


def _without_tokens(page: bytes) -> str:
    """The page without what differs on every response (CSRF token, CSP nonce)."""
    text = page.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r'nonce="[^"]+"', "", text)


def _queries(client, url="/portal/") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_query_count_is_constant_cached_or_not_for_a_household_of_6():
    cold, warm = [], []
    for size in (2, 6):
        client = signed_in(_household_of(size)[0])
        caches[settings.PORTAL_STATUS_CACHE].clear()
        cold.append(_queries(client))
        warm.append(_queries(client))
    assert cold[0] == cold[1], cold
    assert warm[0] == warm[1], warm
    assert warm[1] < cold[1], (warm, cold)  # the cache does save work


def test_a_cached_page_is_the_page_rendered_afresh():
    people = _household_of(6)
    client = signed_in(people[0])
    fresh = client.get("/portal/").content
    cached = client.get("/portal/").content
    caches[settings.PORTAL_STATUS_CACHE].clear()
    again = client.get("/portal/").content
    assert _without_tokens(cached) == _without_tokens(fresh) == _without_tokens(again)
    assert people[5].given_name in fresh.decode()


def test_the_page_follows_the_language_and_the_day():
    people = _household_of(2)
    client = signed_in(people[0])
    assert "令和8年9月10日" in client.get("/portal/").content.decode()
    client.cookies["sumida_kokuho_language"] = "en"
    assert "10 September 2026" in client.get("/portal/").content.decode()
    with mock.patch("django.utils.timezone.localdate", return_value=date(2026, 9, 11)):
        assert "11 September 2026" in client.get("/portal/").content.decode()


def _usable_proofs(client) -> str:
    client.cookies["sumida_kokuho_language"] = "en"
    return client.get("/portal/").content.decode()


def test_a_card_status_changed_by_a_bulk_update_shows_at_once():
    """QuerySet.update() sends no signal: the fingerprint sees the row itself."""
    people = _household_of(2)
    client = signed_in(people[0])
    before = _usable_proofs(client)
    assert "The My Number card can be used as the health insurance card" in before
    MyNumberCard.objects.filter(person=people[0]).update(card_status=MyNumberCard.Status.LOST)
    after = _usable_proofs(client)
    assert "The My Number card cannot be used" in after


def test_a_voided_certificate_of_a_member_shows_on_the_householders_page():
    people = _household_of(3)
    client = signed_in(people[0])
    page = _usable_proofs(client)
    assert page.count("No proof usable today") == 0
    Certificate.objects.filter(person=people[2]).update(voided_on=date(2026, 9, 1))
    assert _usable_proofs(client).count("No proof usable today") == 1


def test_an_event_added_by_bulk_create_shows_at_once():
    person = insured(birth_date=date(1980, 1, 1))
    MyNumberCardFactory(person=person)
    client = signed_in(person)
    assert "The My Number card can be used as the health insurance card" in _usable_proofs(client)
    LifeEvent.objects.bulk_create(
        [
            LifeEvent(
                person=person,
                kind=LifeEvent.Kind.MYNA_REGISTRATION_CANCELLED,
                occurred_on=date(2026, 9, 1),
            )
        ]
    )
    assert "There is no My Number card registered" in _usable_proofs(client)


def test_a_new_application_shows_on_the_cached_page():
    people = _household_of(2)
    client = signed_in(people[1])
    assert "No applications." in _usable_proofs(client)
    CertificateApplication.objects.bulk_create(
        [
            CertificateApplication(
                person=people[1],
                reason=CertificateApplication.Reason.OTHER,
                channel=CertificateApplication.Channel.COUNTER,
            )
        ]
    )
    assert "No applications." not in _usable_proofs(client)


# Every kind of row the assessment reads, changed without a signal: the fingerprint changes.
def _change_person(p):
    InsuredPerson.objects.filter(pk=p.pk).update(needs_support=True)


def _change_household(p):
    Household.objects.filter(pk=p.household_id).update(address="東京都墨田区吾妻橋一丁目1番1号")


def _change_enrolment(p):
    Enrolment.objects.filter(person=p).update(
        withdrawn_on=date(2026, 10, 1), withdrawal_reason=Enrolment.WithdrawalReason.MOVE_OUT
    )


def _add_event(p):
    LifeEventFactory(person=p, occurred_on=date(2026, 8, 1))


def _change_paper_card(p):
    PaperCard.objects.filter(person=p).update(valid_until=date(2025, 7, 31))


def _change_certificate(p):
    Certificate.objects.filter(person=p).update(valid_until=date(2027, 7, 31))


def _add_notice(p):
    Notice.objects.bulk_create([NoticeFactory.build(person=p, issued_on=date(2026, 8, 1))])


def _change_card(p):
    MyNumberCard.objects.filter(person=p).update(e_cert_valid_until=date(2026, 5, 9))


def _change_burden(p):
    BurdenDetermination.objects.filter(household_id=p.household_id).update(category="active")


def _change_arrears(p):
    PremiumArrears.objects.filter(household_id=p.household_id).update(settled_on=TODAY)


CHANGES = [
    _change_person,
    _change_household,
    _change_enrolment,
    _add_event,
    _change_paper_card,
    _change_certificate,
    _add_notice,
    _change_card,
    _change_burden,
    _change_arrears,
]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
def test_every_fact_source_changes_the_fingerprint(change):
    household = HouseholdFactory()
    person = insured(household=household, birth_date=date(1955, 6, 15))
    other = insured(household=household, birth_date=date(1990, 6, 15))
    MyNumberCardFactory(person=person)
    PaperCardFactory(person=person)
    CertificateFactory(person=person)
    BurdenDeterminationFactory(household=household)
    PremiumArrearsFactory(household=household)
    before = fingerprint.fingerprints([person, other])
    assert fingerprint.household_fingerprints(household.pk) == before
    change(person)
    after = fingerprint.fingerprints([person, other])
    assert after[person.pk] != before[person.pk]
    assert fingerprint.household_fingerprints(household.pk) == after


def test_the_fingerprint_covers_every_path_the_assessment_loads():
    """A new prefetch in persons_for_assessment() is followed without editing fingerprint.py."""
    queryset = persons_for_assessment()
    models = {source.model for source in fingerprint.sources()}
    expected = {InsuredPerson}
    for path in [*queryset._prefetch_related_lookups, *queryset.query.select_related]:
        model = InsuredPerson
        for part in str(path).split("__"):
            model = model._meta.get_field(part).related_model
        expected.add(model)
    assert models == expected


def test_a_person_in_another_household_does_not_change_the_fingerprint():
    people = _household_of(2)
    neighbour = _household_of(1)[0]
    before = fingerprint.household_fingerprints(people[0].household_id)
    MyNumberCard.objects.filter(person=neighbour).update(card_status=MyNumberCard.Status.LOST)
    assert fingerprint.household_fingerprints(people[0].household_id) == before
    assert set(before) == {p.pk for p in people}


def test_a_page_that_changed_while_rendering_is_not_kept():
    people = _household_of(2)
    me = InsuredPerson.objects.select_related("household").get(pk=people[0].pk)
    calls = []

    def render_changing() -> str:
        calls.append(1)
        MyNumberCard.objects.filter(person=me).update(card_status=MyNumberCard.Status.LOST)
        return "stale"

    assert cached_page(me, True, TODAY, render_changing) == "stale"
    MyNumberCard.objects.filter(person=me).update(card_status=MyNumberCard.Status.VALID)
    assert cached_page(me, True, TODAY, lambda: "fresh") == "fresh"
    assert cached_page(me, True, TODAY, lambda: "never") == "fresh"
    assert calls == [1]


def test_cached_readings_equal_fresh_ones():
    people = _household_of(6)
    light = list(InsuredPerson.objects.filter(household_id=people[0].household_id))
    first = [s.reading for s in statuses(light, TODAY)]
    with CaptureQueriesContext(connection) as queries:
        second = [s.reading for s in statuses(light, TODAY)]
    caches[settings.PORTAL_STATUS_CACHE].clear()
    third = [s.reading for s in statuses(light, TODAY)]
    assert first == second == third
    assert len(queries) == 1 + 6  # the fingerprint; each light person's applications
