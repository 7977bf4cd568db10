"""Applying for a 資格確認書 online, and the clear answer when none is needed."""

from __future__ import annotations

import pytest

from cards.models import CertificateApplication
from tests.portal.helpers import signed_in

pytestmark = pytest.mark.django_db


def test_a_householder_applies_and_sees_the_application_state(family):
    client = signed_in(family["head"])
    url = f"/portal/people/{family['head'].pk}/apply/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "needs_support", "detail": ""})
    assert response.status_code == 302
    application = CertificateApplication.objects.get(person=family["head"])
    assert application.channel == "online"
    assert application.status == "submitted"
    page = client.get(response["Location"]).content.decode()
    assert application.get_status_display() in page


def test_a_lost_card_application_while_the_myna_card_works_is_not_needed(family):
    client = signed_in(family["head"])
    client.cookies["sumida_kokuho_language"] = "en"
    response = client.post(
        f"/portal/people/{family['head'].pk}/apply/", {"reason": "paper_card_lost"}
    )
    assert response.status_code == 200
    assert "You need not apply" in response.content.decode()
    assert not CertificateApplication.objects.exists()


def test_a_certificate_holder_need_not_apply(family):
    client = signed_in(family["spouse"])
    response = client.post(
        f"/portal/people/{family['spouse'].pk}/apply/", {"reason": "other", "detail": "x"}
    )
    assert response.status_code == 200
    assert not CertificateApplication.objects.exists()


def test_other_needs_a_reason_in_words(family):
    client = signed_in(family["head"])
    response = client.post(
        f"/portal/people/{family['head'].pk}/apply/", {"reason": "other", "detail": ""}
    )
    assert response.status_code == 200
    assert not CertificateApplication.objects.exists()


def test_a_second_application_while_one_is_open_is_refused(family):
    client = signed_in(family["head"])
    url = f"/portal/people/{family['head'].pk}/apply/"
    client.post(url, {"reason": "needs_support"})
    again = client.post(url, {"reason": "needs_support"})
    assert again.status_code == 200
    assert CertificateApplication.objects.count() == 1
