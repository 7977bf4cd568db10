"""Person search: normalisation, reading the query, results, the search page and its audit event."""

from __future__ import annotations

import importlib
from datetime import date
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from eligibility.models import InsuredPerson
from eligibility.search import (
    ParsedQuery,
    QueryKind,
    normalise_kana,
    normalise_name,
    parse_query,
    persons_matching,
    redact_query,
    search_columns_for,
    search_persons,
)
from sumida_kokuho.models import AuditEvent
from sumida_kokuho.roles import Role
from tests.factories import HouseholdFactory, InsuredPersonFactory
from tests.factories.staff import sign_in_staff, staff_in_role

FULL_WIDTH_DIGITS = str.maketrans("0123456789-", "０１２３４５６７８９－")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- normalisation (no database) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("ｽﾐﾀﾞ", "スミダ"),  # half-width katakana, voiced mark as a separate character
        ("すみだ", "スミダ"),  # hiragana
        ("スミダ", "スミダ"),
        ("スミダ　タロウ", "スミダタロウ"),  # full-width space
        ("ｽﾐﾀﾞ ﾀﾛｳ", "スミダタロウ"),
        ("  すみだ たろう ", "スミダタロウ"),
        ("ｺｰﾋｰ", "コーヒー"),  # the long vowel mark is kept
        ("ゔぁいおりん", "ヴァイオリン"),
        ("スミス・ジョン", "スミスジョン"),  # middle dot between parts of a foreign name
        ("ｽﾐｽ･ｼﾞｮﾝ", "スミスジョン"),
    ],
)
def test_normalise_kana(typed, normal):
    assert normalise_kana(typed) == normal


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("墨田 太郎", "墨田太郎"),
        ("墨田　はな子", "墨田ハナ子"),
        ("ＳＭＩＴＨ John", "smithjohn"),
    ],
)
def test_normalise_name(typed, normal):
    assert normalise_name(typed) == normal


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("13-100001-01", ParsedQuery(QueryKind.INSURED_NUMBER, "13", "100001", "01")),
        (
            "13-100001-01".translate(FULL_WIDTH_DIGITS),
            ParsedQuery(QueryKind.INSURED_NUMBER, "13", "100001", "01"),
        ),
        ("13 100001 1", ParsedQuery(QueryKind.INSURED_NUMBER, "13", "100001", "01")),
        ("13ー100001", ParsedQuery(QueryKind.INSURED_NUMBER, "13", "100001")),
        ("13−100001", ParsedQuery(QueryKind.INSURED_NUMBER, "13", "100001")),
        ("１００００１", ParsedQuery(QueryKind.INSURED_NUMBER, number="100001")),
        ("1956-04-01", ParsedQuery(QueryKind.BIRTH_DATE, birth_date=date(1956, 4, 1))),
        ("1956/4/1", ParsedQuery(QueryKind.BIRTH_DATE, birth_date=date(1956, 4, 1))),
        ("S31.4.1", ParsedQuery(QueryKind.BIRTH_DATE, birth_date=date(1956, 4, 1))),
        ("Ｓ３１．４．１", ParsedQuery(QueryKind.BIRTH_DATE, birth_date=date(1956, 4, 1))),
        ("昭和31年4月1日", ParsedQuery(QueryKind.BIRTH_DATE, birth_date=date(1956, 4, 1))),
        ("R7.9.30", ParsedQuery(QueryKind.BIRTH_DATE, birth_date=date(2025, 9, 30))),
        ("令和元年5月1日", ParsedQuery(QueryKind.BIRTH_DATE, birth_date=date(2019, 5, 1))),
        ("ｽﾐﾀﾞ", ParsedQuery(QueryKind.KANA, name_kana="スミダ")),
        ("すみだ　たろう", ParsedQuery(QueryKind.KANA, name_kana="スミダタロウ")),
        ("墨田 太郎", ParsedQuery(QueryKind.NAME, name="墨田太郎")),
        ("Smith", ParsedQuery(QueryKind.NAME, name="smith")),
        (
            "スミダ タロウ S31.4.1",
            ParsedQuery(QueryKind.KANA, name_kana="スミダタロウ", birth_date=date(1956, 4, 1)),
        ),
        (
            "昭和31年4月1日 すみだ",
            ParsedQuery(QueryKind.KANA, name_kana="スミダ", birth_date=date(1956, 4, 1)),
        ),
        (
            "墨田　1956-04-01",
            ParsedQuery(QueryKind.NAME, name="墨田", birth_date=date(1956, 4, 1)),
        ),
        ("", ParsedQuery(QueryKind.EMPTY)),
        ("　 ", ParsedQuery(QueryKind.EMPTY)),
        ("123456789012", ParsedQuery(QueryKind.MY_NUMBER)),
        ("1234 5678 9012", ParsedQuery(QueryKind.MY_NUMBER)),
        ("１２３４－５６７８－９０１２", ParsedQuery(QueryKind.MY_NUMBER)),
        # 12 or more digits in the shape of 記号-番号-枝番 are an insured number, not a My Number.
        ("9200-123456-01", ParsedQuery(QueryKind.INSURED_NUMBER, "9200", "123456", "01")),
        ("7700-0000001-01", ParsedQuery(QueryKind.INSURED_NUMBER, "7700", "0000001", "01")),
    ],
)
def test_parse_query(typed, expected):
    assert parse_query(typed) == expected


@pytest.mark.parametrize(
    ("typed", "recorded"),
    [
        ("123456789012", "[redacted]"),
        ("スミダ 1234 5678 9012", "スミダ [redacted]"),
        ("１２３４５６７８９０１２", "[redacted]"),
        ("13-100001-01", "13-100001-01"),
        ("9200-123456-01", "9200-123456-01"),
        ("1234567890123", "1234567890123"),
        ("ｽﾐﾀﾞ S31.4.1", "スミダ S31.4.1"),
        ("123456789012 1956-04-01", "[redacted] 1956-04-01"),
    ],
)
def test_redact_query_removes_my_numbers_only(typed, recorded):
    assert redact_query(typed) == recorded


def test_search_columns_for_any_object_with_the_four_names():
    names = SimpleNamespace(
        family_name="墨田", given_name="太郎", family_name_kana="スミダ", given_name_kana="タロウ"
    )
    assert search_columns_for(names) == {
        "name_search": "スミダタロウ",
        "name_kanji_search": "墨田太郎",
    }


# --- the stored columns --------------------------------------------------------------------------


@pytest.mark.django_db
def test_save_keeps_the_search_columns_in_step():
    person = InsuredPersonFactory(family_name_kana="スミダ", given_name_kana="タロウ")
    assert person.name_search == "スミダタロウ"
    person.given_name_kana = "ジロウ"
    person.save(update_fields=["given_name_kana"])
    person.refresh_from_db()
    assert person.name_search == "スミダジロウ"


@pytest.mark.django_db
def test_save_with_other_update_fields_leaves_the_columns_alone():
    person = InsuredPersonFactory()
    person.needs_support = True
    person.save(update_fields=["needs_support"])
    person.refresh_from_db()
    assert person.needs_support


@pytest.mark.django_db
def test_the_migration_backfills_existing_rows():
    migration = importlib.import_module("eligibility.migrations.0002_search_columns")
    first = InsuredPersonFactory(family_name="墨田", given_name="太郎", family_name_kana="スミダ",
                                 given_name_kana="タロウ")  # fmt: skip
    second = InsuredPersonFactory(family_name_kana="スズキ", given_name_kana="イチロウ")
    InsuredPerson.objects.update(name_search="", name_kanji_search="")
    # The backfill reads only the schema editor's connection (a real one cannot be opened inside
    # a test transaction on SQLite).
    migration.fill_search_columns(django_apps, SimpleNamespace(connection=connection))
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.name_search, first.name_kanji_search) == ("スミダタロウ", "墨田太郎")
    assert second.name_search == "スズキイチロウ"


# --- results -------------------------------------------------------------------------------------


@pytest.fixture
def people(db):
    sumida = HouseholdFactory(symbol="13", number="100001", address="東京都墨田区吾妻橋1-23-20")
    suzuki = HouseholdFactory(symbol="13", number="200002")
    kinds = {
        "taro": dict(household=sumida, branch="01", family_name="墨田", given_name="太郎",
                     family_name_kana="スミダ", given_name_kana="タロウ",
                     birth_date=date(1956, 4, 1)),
        "hanako": dict(household=sumida, branch="02", family_name="墨田", given_name="花子",
                       family_name_kana="スミダ", given_name_kana="ハナコ",
                       birth_date=date(1958, 7, 20)),
        "ichiro": dict(household=suzuki, branch="01", family_name="鈴木", given_name="一郎",
                       family_name_kana="スズキ", given_name_kana="イチロウ",
                       birth_date=date(2025, 9, 30)),
        "saburo": dict(branch="01", family_name="隅田", given_name="三郎",
                       family_name_kana="スミタ", given_name_kana="サブロウ",
                       birth_date=date(1956, 4, 1)),
    }  # fmt: skip
    return {key: InsuredPersonFactory(**fields) for key, fields in kinds.items()}


def found(query, **kwargs):
    return {person.given_name for person in search_persons(query, **kwargs).persons}


@pytest.mark.parametrize(
    "query",
    ["ｽﾐﾀﾞ", "すみだ", "スミダ", "スミダ　タロウ", "すみだ たろう", "ｽﾐﾀﾞﾀﾛｳ", "スミダタ"],
)
def test_every_way_of_typing_the_reading_finds_the_person(people, query):
    assert "太郎" in found(query)
    assert "三郎" not in found(query)  # スミタ is another name


def test_a_reading_prefix_finds_the_whole_household(people):
    assert found("スミダ") == {"太郎", "花子"}


@pytest.mark.parametrize("query", ["墨田", "墨田 太郎", "墨田　太郎", "墨田太"])
def test_kanji_names_are_found_by_prefix(people, query):
    assert "太郎" in found(query)
    assert "一郎" not in found(query)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("13-100001-01", {"太郎"}),
        ("13-100001-01".translate(FULL_WIDTH_DIGITS), {"太郎"}),
        ("13-100001", {"太郎", "花子"}),
        ("13-100001-2", {"花子"}),
        ("200002", {"一郎"}),
        ("14-100001", set()),
    ],
)
def test_insured_numbers_find_exactly_their_persons(people, query, expected):
    assert found(query) == expected


@pytest.mark.parametrize("query", ["1956-04-01", "S31.4.1", "昭和31年4月1日", "Ｓ３１．４．１"])
def test_birth_dates_in_every_form_find_the_persons_born_that_day(people, query):
    assert found(query) == {"太郎", "三郎"}


def test_a_reiwa_date_finds_a_baby(people):
    assert found("R7.9.30") == {"一郎"}


def test_a_name_with_a_birth_date_narrows_both_ways(people):
    assert found("スミダ S31.4.1") == {"太郎"}
    assert found("S31.4.1 隅田") == {"三郎"}


def test_a_my_number_is_never_searched(people, django_assert_num_queries):
    with django_assert_num_queries(0):
        result = search_persons("1234 5678 9012")
    assert result.query.kind is QueryKind.MY_NUMBER
    assert result.persons == []


def test_results_stop_at_the_limit_and_say_there_are_more(people):
    result = search_persons("スミダ", limit=1)
    assert len(result.persons) == 1
    assert result.has_more
    assert not search_persons("スミダ", limit=2).has_more


def test_results_come_in_kana_order_with_their_households(people, django_assert_num_queries):
    with django_assert_num_queries(1):
        result = search_persons("ス")
        numbers = [person.insured_number for person in result.persons]  # no query per row
    assert [p.name_search for p in result.persons] == sorted(p.name_search for p in result.persons)
    assert "13-100001-01" in numbers


def test_the_query_has_no_order_by_so_the_limit_stops_the_index_scan(people):
    sql = str(persons_matching(parse_query("スミダ")).query)
    assert "ORDER BY" not in sql


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL index use")
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("スミダ", "person_name_search_idx"),
        ("墨田", "person_kanji_search_idx"),
        ("S31.4.1", "person_birth_date_idx"),
    ],
)
def test_postgresql_can_use_the_search_indexes(people, query, index):
    # The tables are tiny, so forbid sequential scans: the plan must then name the index, which
    # it can only for a prefix LIKE if the operator class is right.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = persons_matching(parse_query(query))[:51].explain()
    assert index in plan


# --- the search page -----------------------------------------------------------------------------


@pytest.fixture
def clerk_client(client, db, settings):
    settings.LANGUAGE_CODE = "en"  # assertions below read the English texts
    sign_in_staff(client, staff_in_role(Role.COUNTER, username="clerk"), counter="honcho-1")
    return client


def test_the_staff_home_has_the_search_box(clerk_client):
    response = clerk_client.get("/staff/")
    assert response.status_code == 200
    assert 'action="/staff/search/"' in response.content.decode()


def test_search_page_lists_persons_with_links_and_wareki_birth_dates(clerk_client, people):
    response = clerk_client.get("/staff/search/", {"q": "ｽﾐﾀﾞ ﾀﾛｳ"}, HTTP_ACCEPT_LANGUAGE="ja")
    html = response.content.decode()
    taro = people["taro"]
    assert f'href="/counter/person/{taro.pk}/"' in html
    assert "13-100001-01" in html
    assert "昭和31年4月1日（1956年）" in html
    assert "東京都墨田区吾妻橋1-23-20" in html
    assert "花子" not in html


def test_search_page_writes_one_audit_event_with_the_persons_shown(clerk_client, people):
    clerk_client.get("/staff/search/", {"q": "スミダ"})
    event = AuditEvent.objects.get(action="search")
    assert event.actor.username == "clerk"
    assert event.counter == "honcho-1"
    assert event.object_type == "eligibility.insuredperson"
    assert sorted(event.detail["ids"]) == sorted([people["taro"].pk, people["hanako"].pk])
    assert event.detail["query"] == "スミダ"
    assert event.detail["kind"] == "kana"


def test_a_my_number_typed_in_the_box_is_redacted_in_the_trail(clerk_client, people):
    response = clerk_client.get("/staff/search/", {"q": "1234 5678 9012"})
    assert "does not hold My Numbers" in response.content.decode()
    event = AuditEvent.objects.get(action="search")
    assert "1234" not in str(event.detail)
    assert event.detail == {"query": "[redacted]", "kind": "my_number", "ids": [], "more": False}


def test_an_empty_search_shows_the_error_summary(clerk_client):
    response = clerk_client.get("/staff/search/", {"q": ""})
    html = response.content.decode()
    assert 'role="alert"' in html
    assert 'href="#id_q"' in html
    assert not AuditEvent.objects.filter(action="search").exists()


def test_search_page_takes_the_same_queries_for_more_results(clerk_client, db):
    def queries_for_search():
        with CaptureQueriesContext(connection) as captured:
            assert clerk_client.get("/staff/search/", {"q": "スミダ"}).status_code == 200
        return len(captured)

    for _ in range(2):
        InsuredPersonFactory(family_name_kana="スミダ")
    few = queries_for_search()
    for _ in range(20):
        InsuredPersonFactory(family_name_kana="スミダ")
    assert queries_for_search() == few


def test_search_page_query_count_is_bounded(clerk_client, people, django_assert_max_num_queries):
    # session, user, OTP device, permissions (2), search, audit insert, session save
    with django_assert_max_num_queries(10):
        clerk_client.get("/staff/search/", {"q": "スミダ"})
