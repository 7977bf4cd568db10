"""The demo's residents (eligibility.demo.residents): after `seed_demo`, the fake デジタル認証アプリ
offers a showcase householder's identity ready to send, and the printed activation letter works.
Both journeys go through the real views with nothing typed but what the demo gives."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser
from io import StringIO
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from eligibility.demo.residents import APP_RESIDENT, DEMO_SUB, LETTER_RESIDENT
from eligibility.models import InsuredPerson
from sumida_kokuho.models import ResidentAccount

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 11, 26)


def seed(*more: str) -> str:
    out = StringIO()
    with mock.patch("django.utils.timezone.localdate", return_value=AS_OF):
        call_command(
            "seed_demo", f"--as-of={AS_OF}", "--persons=0", "--no-admin", *more, stdout=out
        )
    return out.getvalue()


def person(key: tuple[str, str, str]) -> InsuredPerson:
    symbol, number, branch = key
    return InsuredPerson.objects.get(
        household__symbol=symbol, household__number=number, branch=branch
    )


class FormValues(HTMLParser):
    """The values a browser would send for the form's fields as the page shows them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name"):
            self.values[found["name"]] = found.get("value") or ""
        elif tag == "select":
            self._select = found.get("name")
            self.values.setdefault(self._select or "", "")
        elif tag == "option" and self._select and "selected" in found:
            self.values[self._select] = found.get("value") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def sign_in_through_the_fake_app(client: Client):
    start = client.get("/portal/sign-in/app/")
    authorize = urlsplit(start["Location"])
    page = client.get(f"{authorize.path}?{authorize.query}")
    assert page.status_code == 200
    parser = FormValues()
    parser.feed(page.content.decode())
    answer = client.post(authorize.path, parser.values)  # sent as shown: nothing typed
    assert answer.status_code == 302, answer.content
    back = urlsplit(answer["Location"])
    assert "code" in parse_qs(back.query)
    return client.get(f"{back.path}?{back.query}")


def test_the_fake_app_offers_the_demo_householder_and_signs_them_in():
    output = seed()
    head = person(APP_RESIDENT)
    assert f"{head.family_name} {head.given_name}" in output and DEMO_SUB in output
    client = Client()
    client.cookies["sumida_kokuho_language"] = "en"

    with mock.patch("django.utils.timezone.localdate", return_value=AS_OF):
        assert sign_in_through_the_fake_app(client)["Location"] == "/portal/"
        page = client.get("/portal/").content.decode()

    account = ResidentAccount.objects.get(oidc_sub=DEMO_SUB)
    assert account.person == head  # linked by the four items on the first sign-in
    members = InsuredPerson.objects.filter(household=head.household)
    assert members.count() == 6
    for member in members:  # the householder sees the whole household
        assert member.given_name in page


def test_the_demo_householder_signs_in_again_after_a_reset():
    seed()
    sign_in_through_the_fake_app(Client())
    seed("--reset")  # deletes the account with the household; its user stays for the trail
    assert not ResidentAccount.objects.filter(oidc_sub=DEMO_SUB).exists()

    response = sign_in_through_the_fake_app(Client())

    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert ResidentAccount.objects.get(oidc_sub=DEMO_SUB).person == person(APP_RESIDENT)


def test_without_the_showcase_the_fake_app_offers_nothing():
    client = Client()
    start = client.get("/portal/sign-in/app/")
    authorize = urlsplit(start["Location"])
    parser = FormValues()
    parser.feed(client.get(f"{authorize.path}?{authorize.query}").content.decode())
    assert parser.values["sub"] == parser.values["name"] == ""


def test_the_printed_activation_letter_opens_an_account_for_the_member():
    output = seed()
    member = person(LETTER_RESIDENT)
    found = re.search(
        r"被保険者番号 (\d+)-(\d+)-(\d+).*生年月日 (\d{4})-(\d{2})-(\d{2}).*コード (\S+)", output
    )
    assert found is not None, output
    symbol, number, branch, year, month, day, code = found.groups()
    client = Client()
    client.cookies["sumida_kokuho_language"] = "en"
    response = client.post(
        "/portal/activate/",
        {
            "symbol": symbol,
            "number": number,
            "branch": branch,
            "birth_year": str(int(year)),
            "birth_month": str(int(month)),
            "birth_day": str(int(day)),
            "code": code,
            "email": "demo-resident@example.com",
            "password1": "sumida river fireworks",
            "password2": "sumida river fireworks",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert ResidentAccount.objects.get(user__username="demo-resident@example.com").person == member
    with mock.patch("django.utils.timezone.localdate", return_value=AS_OF):
        page = client.get("/portal/").content.decode()
    assert member.given_name in page
    assert person(APP_RESIDENT).given_name not in page  # a member sees only themselves

    again = seed()  # the account exists: no new letter
    assert "既にアカウントがあります" in again and "コード" not in again.split("住民ポータル")[1]


def test_no_letter_is_issued_when_asked_not_to():
    output = seed("--no-resident-letter")
    assert "住民ポータル" in output and "コード" not in output.split("住民ポータル")[1]
