"""The デジタル認証アプリ door against the fake provider: PKCE, state, nonce, the token checks,
and linking by the basic four items (or the counter, never a guess)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from sumida_kokuho.models import AuditEvent, ResidentAccount
from tests.factories import InsuredPersonFactory

pytestmark = pytest.mark.django_db


def identity(person, **changes):
    return {
        "sub": f"pairwise-{person.pk}",
        "name": f"{person.family_name}　{person.given_name}",  # a full-width space, as the card
        "address": person.household.address,
        "birthdate": person.birth_date.isoformat(),
        "gender": "male" if person.sex == "1" else "female",
        "misbehave": "",
    } | changes


def sign_in_with_app(client, person, **changes):
    start = client.get("/portal/sign-in/app/")
    assert start.status_code == 302
    authorize = urlsplit(start["Location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    answer = client.post(authorize.path, params | identity(person, **changes))
    assert answer.status_code == 302, answer.content
    back = urlsplit(answer["Location"])
    return client.get(f"{back.path}?{back.query}")


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(db):
    start = Client().get("/portal/sign-in/app/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith("http://testserver/fake-oidc/authorize?")
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0] and query["nonce"][0]
    assert query["response_type"] == ["code"]
    assert set(query["scope"][0].split()) >= {"openid", "name", "address", "birthdate", "gender"}


def test_a_first_sign_in_links_the_account_by_the_basic_four_items(family):
    client = Client()
    response = sign_in_with_app(client, family["head"])
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    account = ResidentAccount.objects.get(oidc_sub=f"pairwise-{family['head'].pk}")
    assert account.person == family["head"]
    assert account.linked_via == "oidc"
    assert not account.user.has_usable_password()
    assert client.get("/portal/").status_code == 200


def test_addresses_written_with_hyphens_match_the_wards_form():
    from eligibility.portal.services import _address_key

    assert _address_key("東京都墨田区押上十二丁目1番2号") == _address_key("墨田区押上１２－１－２")
    assert _address_key("墨田区押上一丁目1番2号") != _address_key("墨田区押上1-1-3")


def test_the_next_sign_in_finds_the_account_by_sub_alone(family):
    sign_in_with_app(Client(), family["head"])
    # The address changed at the app's end; the sub is the key now.
    response = sign_in_with_app(Client(), family["head"], address="大阪府大阪市北区1-1")
    assert response.status_code == 302
    assert ResidentAccount.objects.count() == 1


def test_no_match_sends_the_resident_to_the_counter(family):
    response = sign_in_with_app(Client(), family["head"], address="墨田区どこか9-9-9")
    assert response.status_code == 403
    assert "/portal/help/" in response.content.decode()
    assert not ResidentAccount.objects.exists()


def test_an_ambiguous_match_sends_the_resident_to_the_counter_never_a_guess(family):
    head = family["head"]
    InsuredPersonFactory(
        household=head.household,
        family_name=head.family_name,
        given_name=head.given_name,
        birth_date=head.birth_date,
        sex=head.sex,
    )
    response = sign_in_with_app(Client(), head)
    assert response.status_code == 403
    assert not ResidentAccount.objects.exists()
    assert AuditEvent.objects.filter(action="oidc_link_refused").exists()


def test_a_person_linked_to_another_sub_is_not_linked_again(family):
    sign_in_with_app(Client(), family["head"])
    response = sign_in_with_app(Client(), family["head"], sub="someone-else")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "misbehaviour", ["bad_iss", "bad_aud", "bad_nonce", "expired", "bad_signature", "deny"]
)
def test_a_misbehaving_provider_is_refused(family, misbehaviour):
    client = Client()
    response = sign_in_with_app(client, family["head"], misbehave=misbehaviour)
    assert response.status_code == 400
    assert not ResidentAccount.objects.exists()
    assert "_auth_user_id" not in client.session


def test_a_callback_with_a_foreign_state_is_refused(family):
    client = Client()
    start = client.get("/portal/sign-in/app/")
    params = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    answer = client.post("/fake-oidc/authorize", params | identity(family["head"]))
    back = parse_qs(urlsplit(answer["Location"]).query)
    response = client.get(
        "/portal/sign-in/app/callback/", {"code": back["code"][0], "state": "forged"}
    )
    assert response.status_code == 400


def test_a_state_is_used_once(family):
    client = Client()
    start = client.get("/portal/sign-in/app/")
    params = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    answer = client.post("/fake-oidc/authorize", params | identity(family["head"]))
    back = urlsplit(answer["Location"])
    assert client.get(f"{back.path}?{back.query}").status_code == 302
    client.logout()
    assert client.get(f"{back.path}?{back.query}").status_code == 400


def test_the_fake_provider_wants_pkce(db):
    response = Client().get(
        "/fake-oidc/authorize",
        {
            "response_type": "code",
            "client_id": "sumida-kokuho-test",
            "redirect_uri": "http://testserver/portal/sign-in/app/callback/",
            "state": "s",
            "nonce": "n",
            "scope": "openid",
        },
    )
    assert response.status_code == 400
