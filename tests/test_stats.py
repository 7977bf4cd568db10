"""The statistics page: aggregated figures that agree with the rules, SVG charts with titles and
data tables, CSV exports, and who may see them (notices/stats, notices/data_views)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.test import Client

from cards.models import CertificateApplication
from eligibility.facts_builder import NoEnrolment, build_person_facts, persons_for_assessment
from eligibility.rules.engine import assess
from notices.stats import charts, queries
from notices.stats.tables import TABLES
from sumida_kokuho.roles import Role
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    InsuredPersonFactory,
    LifeEventFactory,
    MyNumberCardFactory,
    NoticeFactory,
)
from tests.factories.staff import sign_in_staff, staff_in_role

AS_OF = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _figures_not_kept(settings):  # type: ignore[no-untyped-def]
    settings.STATISTICS_CACHE_SECONDS = 0


def insured(born: date, *, enrolled: date = date(2020, 4, 1), **card: object) -> object:
    person = InsuredPersonFactory(birth_date=born)
    EnrolmentFactory(person=person, enrolled_on=enrolled)
    if card:
        MyNumberCardFactory(person=person, **card)
    return person


@pytest.fixture
def population(db: None) -> None:
    """People in every band, with and without a working マイナ保険証, and the edge cases."""
    insured(date(2022, 5, 1))  # 4: no card
    insured(date(2021, 1, 1), registered_on=date(2023, 1, 1))  # 5: holder
    insured(date(2010, 6, 6), registered_on=date(2026, 6, 1))  # 16: holder since June
    insured(date(1990, 3, 3), registered_on=None)  # 36: card, not registered
    insured(date(1970, 7, 7), registered_on=date(2023, 5, 1), card_status="lost")  # 56
    insured(date(1960, 1, 1), registered_on=date(2023, 5, 1), e_cert_valid_until=date(2026, 7, 31))

    insured(date(1955, 2, 2), registered_on=date(2023, 5, 1))  # 71: holder
    cancelled = insured(date(1953, 3, 3), registered_on=date(2023, 5, 1))  # 73
    LifeEventFactory(
        person=cancelled, kind="myna_registration_cancelled", occurred_on=date(2026, 9, 1)
    )
    insured(date(1951, 11, 26), registered_on=date(2023, 5, 1))  # 75 today: not insured
    gone = insured(date(1980, 1, 1), registered_on=date(2023, 5, 1))  # 46: withdrew
    gone.enrolments.update(withdrawn_on=date(2026, 10, 1), withdrawal_reason="employment")
    insured(date(1985, 1, 1), enrolled=date(2026, 12, 1))  # not yet enrolled


def rules_count(day: date) -> tuple[int, int]:
    insured_count = holders = 0
    for person in persons_for_assessment():
        try:
            assessment = assess(build_person_facts(person, day), day)
        except NoEnrolment:
            continue
        if assessment.insured:
            insured_count += 1
            holders += assessment.proofs.myna.usable
    return insured_count, holders


@pytest.mark.django_db
def test_figures_by_age_band_agree_with_the_rules(population: None) -> None:
    rows = queries.insured_by_age_band(AS_OF)
    assert (sum(r.insured for r in rows), sum(r.holders for r in rows)) == rules_count(AS_OF)
    by_band = {(r.low, r.high): (r.insured, r.holders) for r in rows}
    assert by_band == {
        (0, 5): (2, 1),
        (6, 18): (1, 1),
        (19, 39): (1, 0),
        (40, 64): (1, 0),  # the lost card
        (65, 69): (1, 0),  # the electronic certificate expired in July: grace ended in October
        (70, 74): (2, 1),  # the cancelled registration does not count
    }


@pytest.mark.django_db
def test_the_share_by_month_follows_registrations_withdrawals_and_cancellations(
    population: None,
) -> None:
    rows = {r.month: r for r in queries.holders_by_month(AS_OF)}
    assert list(rows)[-1] == AS_OF and len(rows) == 12
    may, august, october, now = (
        rows[date(2026, 5, 31)],
        rows[date(2026, 8, 31)],
        rows[date(2026, 10, 31)],
        rows[AS_OF],
    )
    # In May: not yet the June registration; the 1960 card's certificate is in its grace until
    # the end of October; the 1953 registration is not yet cancelled; the 1951 person is 74.
    assert (may.insured, may.holders) == (10, 6)
    assert (august.insured, august.holders) == (10, 7)
    assert (october.insured, october.holders) == (9, 5)
    assert (now.insured, now.holders) == rules_count(AS_OF)
    for day in (date(2026, 5, 31), date(2026, 8, 31)):
        # Past months come from today's rows: the lost card counts as lost from when it changed
        # (here: never recorded), so compare only what history keeps.
        assert rows[day].insured == rules_count(day)[0]


@pytest.mark.django_db
def test_documents_issued_per_month_are_grouped_by_reason(db: None) -> None:
    CertificateFactory(issued_on=date(2026, 11, 2), reason="new_enrolment")
    CertificateFactory(issued_on=date(2026, 11, 20), reason="new_enrolment")
    CertificateFactory(issued_on=date(2026, 10, 1), reason="turns_70")
    CertificateFactory(issued_on=date(2025, 10, 31), reason="turns_70")  # before the window
    NoticeFactory(issued_on=date(2026, 9, 9), reason="contents_changed")
    from cards.models import Certificate
    from notices.models import Notice

    certificates = {r.month: r.counts for r in queries.issued_by_month(Certificate, AS_OF)}
    assert certificates[date(2026, 11, 1)] == {"new_enrolment": 2}
    assert certificates[date(2026, 10, 1)] == {"turns_70": 1}
    assert sum(sum(c.values()) for c in certificates.values()) == 3
    notices = {r.month: r.counts for r in queries.issued_by_month(Notice, AS_OF)}
    assert notices[date(2026, 9, 1)] == {"contents_changed": 1}


@pytest.mark.django_db
def test_open_applications_are_counted_by_reason_and_channel(db: None) -> None:
    for channel in ("online", "online", "counter"):
        CertificateApplication.objects.create(
            person=InsuredPersonFactory(), reason="myna_card_lost", channel=channel
        )
    rows = queries.open_applications()
    assert [(r.reason, r.online, r.counter, r.total) for r in rows] == [("myna_card_lost", 2, 1, 3)]


@pytest.mark.django_db
def test_documents_due_next_month_are_counted_from_dates(db: None) -> None:
    # R-AGE70: reaching 70 in December 2026 (born 1956-12-02..1957-01-01; the 1st-born of January
    # reaches 70 on 31 December).
    insured(date(1956, 12, 15), registered_on=date(2023, 1, 1))  # お知らせ
    insured(date(1957, 1, 1))  # 資格確認書
    insured(date(1956, 12, 1))  # reached 70 on 30 November: not next month
    renewing = insured(date(1980, 5, 5))
    CertificateFactory(person=renewing, issued_on=date(2025, 12, 1), valid_until=date(2026, 12, 31))
    holder = insured(date(1981, 5, 5), registered_on=date(2023, 1, 1))
    CertificateFactory(person=holder, issued_on=date(2025, 12, 1), valid_until=date(2026, 12, 31))
    leaving = insured(date(1951, 12, 20))  # 75 on 2026-12-20: certificate ends the day before
    CertificateFactory(person=leaving, issued_on=date(2025, 12, 1), valid_until=date(2026, 12, 19))
    insured(date(1970, 1, 1), registered_on=date(2023, 1, 1), e_cert_valid_until=date(2026, 12, 10))
    first, last, rows = queries.documents_due_next_month(AS_OF)
    assert (first, last) == (date(2026, 12, 1), date(2026, 12, 31))
    assert {r.code: r.count for r in rows} == {
        "turns_70_notice": 1,
        "turns_70_certificate": 1,
        "certificate_expiry": 1,
        "myna_cert_expired": 1,
        "turns_75": 1,
    }


def test_chart_steps_are_round_numbers() -> None:
    assert [charts.nice_step(n) for n in (0, 7, 48, 230, 9_600, 1_000_000)] == [
        1,
        2,
        10,
        50,
        2_000,
        200_000,
    ]


@pytest.fixture
def supervisor(client: Client) -> Client:
    sign_in_staff(client, staff_in_role(Role.SUPERVISOR))
    return client


@pytest.mark.django_db
def test_a_supervisor_sees_tables_and_accessible_svg_charts(
    supervisor: Client, population: None, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        response = supervisor.get(
            "/data/stats/", {"as_of": "R8.11.26"}, headers={"accept-language": "en"}
        )
    assert response.status_code == 200
    html = response.content.decode()
    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(svgs) == 7
    for svg in svgs:
        ids = re.search(r'aria-labelledby="([^ "]+) ([^"]+)"', svg)
        assert ids is not None and 'role="img"' in svg
        assert f'<title id="{ids[1]}">' in svg and f'<desc id="{ids[2]}">' in svg
    assert html.count('<table class="data-table">') == len(TABLES)
    assert "Insured persons by age band" in html
    assert "Documents due next month" in html
    assert "<script" not in html and "https://" not in html.split("<footer")[0]


@pytest.mark.django_db
def test_each_table_is_exported_as_csv(supervisor: Client, population: None) -> None:
    for slug in TABLES:
        response = supervisor.get(
            f"/data/stats/{slug}.csv", {"as_of": "2026-11-26"}, headers={"accept-language": "en"}
        )
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        text = b"".join(response.streaming_content).decode()
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert len(rows) >= 2 or slug == "open-applications", slug
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(supervisor.get("/data/stats/age-bands.csv").streaming_content)
                .decode()
                .lstrip("\ufeff")
            )
        )
    )
    assert rows[-1][1:3] == ["8", "3"]


@pytest.mark.django_db
def test_a_bad_date_is_a_form_error_and_today_is_used(supervisor: Client) -> None:
    response = supervisor.get(
        "/data/stats/", {"as_of": "R8.2.30"}, headers={"accept-language": "en"}
    )
    assert response.status_code == 200
    assert "Enter a date such as 2026-11-26 or R8.11.26." in response.content.decode()


@pytest.mark.django_db
def test_counter_clerks_may_not_see_the_statistics(client: Client) -> None:
    sign_in_staff(client, staff_in_role(Role.COUNTER))
    assert client.get("/data/stats/").status_code == 403
    assert client.get("/data/stats/age-bands.csv").status_code == 403


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_the_staff_sign_in(client: Client) -> None:
    response = client.get("/data/stats/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


@pytest.mark.django_db
def test_an_unknown_table_is_not_found(supervisor: Client) -> None:
    assert supervisor.get("/data/stats/everyone.csv").status_code == 404


@pytest.mark.django_db
def test_figures_are_kept_a_few_minutes_and_counted_again_on_request(
    supervisor: Client,
    settings,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    from django.core.cache import cache

    settings.STATISTICS_CACHE_SECONDS = 300
    cache.clear()
    supervisor.get("/data/stats/", {"as_of": "2026-10-01"})
    insured(date(1980, 1, 1))  # counted only once the figures are counted again
    with django_assert_max_num_queries(12):  # the session, the user, the audit…: no figures
        kept = supervisor.get("/data/stats/age-bands.csv", {"as_of": "2026-10-01"})
    assert b"".join(kept.streaming_content).decode().splitlines()[-1].split(",")[1] == "0"
    supervisor.get("/data/stats/", {"as_of": "2026-10-01", "fresh": "1"})
    fresh = supervisor.get("/data/stats/age-bands.csv", {"as_of": "2026-10-01"})
    assert b"".join(fresh.streaming_content).decode().splitlines()[-1].split(",")[1] == "1"
    cache.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("as_of", [AS_OF, date(2028, 2, 29), date(2026, 12, 31)])
def test_the_grouped_figures_equal_the_direct_ones_at_every_edge(as_of: date) -> None:
    """The grouped query replaces dates by stand-ins; on people placed a day either side of
    every day the figures compare with, it counts exactly what one FILTER per figure counts."""
    import random

    from eligibility.rules.dates import ONE_DAY

    ends = queries.months_ending(as_of)
    late = [queries.years_before(day, 75) for day in ends]
    bands = [
        queries.years_before(as_of, n) for low, high in queries.AGE_BANDS for n in (low, high + 1)
    ]
    usable = [queries.e_cert_usable_from(day) for day in ends]
    around = lambda days: sorted({d + k * ONE_DAY for d in days for k in (-1, 0, 1)})  # noqa: E731
    births = around([*late, *bands, *ends])
    days = around(ends)
    rng = random.Random(as_of.toordinal())  # noqa: S311 (test data)
    for n, born in enumerate(births):
        enrolled = max(born, rng.choice([date(2015, 4, 1), *days]))
        person = InsuredPersonFactory(birth_date=born)
        withdrawn = rng.choice([None, None, *[d for d in days if d > enrolled]])
        EnrolmentFactory(
            person=person,
            enrolled_on=enrolled,
            withdrawn_on=withdrawn,
            withdrawal_reason="employment" if withdrawn else "",
        )
        if n % 5:
            status = rng.choice(["valid", "valid", "lost", "suspended"])
            MyNumberCardFactory(
                person=person,
                registered_on=rng.choice([None, date(2023, 5, 1), *days]),
                card_status=status,
                status_changed_on=rng.choice([None, *days]) if status != "valid" else None,
                e_cert_valid_until=rng.choice([None, date(2030, 1, 1), *around(usable)]),
            )
    assert queries.insured_and_holders(as_of) == queries.insured_and_holders_filtered(as_of)
    bands_now, months = queries.insured_and_holders(as_of)
    assert sum(r.insured for r in bands_now) > 0 and any(r.holders for r in months)
