"""The activation letter door: 記号・番号・枝番, birth date and code, then e-mail and password."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from eligibility.services import issue_activation_code
from sumida_kokuho.models import ResidentAccount

pytestmark = pytest.mark.django_db


def letter_for(person):
    _row, plain = issue_activation_code(person=person, by=None)
    return plain


def form(person, code, **changes):
    household = person.household
    data = {
        "symbol": household.symbol,
        "number": household.number,
        "branch": person.branch,
        "birth_year": str(person.birth_date.year),
        "birth_month": str(person.birth_date.month),
        "birth_day": str(person.birth_date.day),
        "code": code,
        "email": "hanako@example.com",
        "password1": "sumida river fireworks",
        "password2": "sumida river fireworks",
    }
    return data | changes


def test_a_resident_activates_and_lands_on_their_status_signed_in(family):
    person = family["spouse"]
    client = Client()
    response = client.post("/portal/activate/", form(person, letter_for(person)))
    assert response.status_code == 302
    assert response["Location"] == "/portal/"
    account = ResidentAccount.objects.get(person=person)
    assert account.linked_via == "activation"
    assert account.user.check_password("sumida river fireworks")
    assert client.get("/portal/").status_code == 200


def test_full_width_digits_and_a_lower_case_code_are_accepted(family):
    person = family["spouse"]
    code = letter_for(person).lower()
    full_width_symbol = person.household.symbol.translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    response = Client().post("/portal/activate/", form(person, code, symbol=full_width_symbol))
    assert response.status_code == 302


def test_a_wrong_birth_date_is_refused_without_saying_which_part_was_wrong(family):
    person = family["spouse"]
    response = Client().post(
        "/portal/activate/",
        form(person, letter_for(person), birth_day="28" if person.birth_date.day != 28 else "27"),
    )
    assert response.status_code == 200
    assert "do not match" in response.content.decode() or "一致" in response.content.decode()
    assert not ResidentAccount.objects.exists()


def test_a_used_code_does_not_work_twice(family):
    person = family["spouse"]
    code = letter_for(person)
    assert Client().post("/portal/activate/", form(person, code)).status_code == 302
    again = Client().post("/portal/activate/", form(person, code, email="other@example.com"))
    assert again.status_code == 200
    assert ResidentAccount.objects.count() == 1


def test_mismatched_passwords_keep_the_code_unused(family):
    person = family["spouse"]
    code = letter_for(person)
    response = Client().post("/portal/activate/", form(person, code, password2="something else x"))
    assert response.status_code == 200
    assert Client().post("/portal/activate/", form(person, code)).status_code == 302


def test_an_e_mail_address_in_use_is_refused_and_the_code_stays_usable(family):
    get_user_model().objects.create_user(username="hanako@example.com", email="hanako@example.com")
    person = family["spouse"]
    code = letter_for(person)
    response = Client().post("/portal/activate/", form(person, code))
    assert response.status_code == 200
    assert (
        Client().post("/portal/activate/", form(person, code, email="b@example.com")).status_code
        == 302
    )


@override_settings(AXES_FAILURE_LIMIT=3)
def test_repeated_wrong_codes_lock_the_insured_number_out(family):
    person = family["spouse"]
    client = Client()
    for _ in range(2):
        assert client.post("/portal/activate/", form(person, "AAAA-AAAA-AAAA")).status_code == 200
    assert client.post("/portal/activate/", form(person, "AAAA-AAAA-AAAA")).status_code == 429
    # Even the right code is refused while locked.
    locked = client.post("/portal/activate/", form(person, letter_for(person)))
    assert locked.status_code == 429
    assert not ResidentAccount.objects.exists()
