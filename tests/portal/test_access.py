"""Nobody sees another household's records: every URL with another resident's ids is a 404."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories.staff import staff_in_role
from tests.portal.helpers import signed_in

pytestmark = pytest.mark.django_db

PERSON_URLS = ["/portal/people/{pk}/", "/portal/people/{pk}/apply/"]


@pytest.mark.parametrize("template", PERSON_URLS)
def test_another_households_person_is_not_found(family, neighbours, template):
    client = signed_in(family["head"])
    for person in neighbours.values():
        url = template.format(pk=person.pk)
        assert client.get(url).status_code == 404, url
        if url.endswith("/apply/"):
            assert client.post(url, {"reason": "other", "detail": "x"}).status_code == 404


@pytest.mark.parametrize("template", PERSON_URLS)
def test_a_member_who_is_not_the_householder_sees_only_themselves(family, template):
    client = signed_in(family["spouse"])
    assert client.get(template.format(pk=family["head"].pk)).status_code == 404
    assert client.get(template.format(pk=family["spouse"].pk)).status_code == 200


@pytest.mark.parametrize("template", PERSON_URLS)
def test_a_householder_sees_every_member(family, template):
    client = signed_in(family["head"])
    assert client.get(template.format(pk=family["spouse"].pk)).status_code == 200


def test_an_unknown_id_is_not_found_either(family):
    client = signed_in(family["head"])
    assert client.get("/portal/people/999999999/").status_code == 404


@pytest.mark.parametrize("url", ["/portal/", "/portal/people/1/", "/portal/people/1/apply/"])
def test_anonymous_visitors_are_sent_to_the_sign_in_page(db, url):
    response = Client().get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/sign-in/?next=")


def test_a_staff_account_without_a_resident_account_cannot_use_the_portal(db, client):
    client.force_login(staff_in_role())
    response = client.get("/portal/")
    assert response.status_code == 302


def test_personal_pages_are_not_cached(family):
    response = signed_in(family["head"]).get("/portal/")
    assert "no-store" in response["Cache-Control"]


def test_the_status_page_lists_the_household_only_for_the_householder(family):
    head_page = signed_in(family["head"]).get("/portal/").content.decode()
    spouse_page = signed_in(family["spouse"]).get("/portal/").content.decode()
    assert family["spouse"].given_name in head_page
    assert family["head"].given_name not in spouse_page
