"""`manage.py assess --person ID --as-of DATE`: a stored person through the same rules."""

import json
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from eligibility.models import LifeEvent
from sumida_kokuho.models import AuditEvent
from tests.factories import (
    EnrolmentFactory,
    InsuredPersonFactory,
    LifeEventFactory,
    MyNumberCardFactory,
    PaperCardFactory,
)

pytestmark = pytest.mark.django_db


def _assess(capsys, *args):
    call_command("assess", *args)
    return json.loads(capsys.readouterr().out)


def test_a_stored_person_turning_70_with_myna_gets_a_notice(capsys):
    person = InsuredPersonFactory(birth_date=date(1956, 12, 1))
    EnrolmentFactory(person=person, enrolled_on=date(2016, 4, 1))
    MyNumberCardFactory(person=person, e_cert_valid_until=date(2030, 1, 1))
    answer = _assess(capsys, "--person", str(person.pk), "--as-of", "R8.11.26")
    assert answer["insured"] is True and answer["age"] == 69
    assert [(d["document"], d["reason"], d["by"]) for d in answer["documents_due"]] == [
        ("notice", "turns_70", "2026-11-30")
    ]
    assert answer["person"]["insured_number"] == person.insured_number


def test_the_as_of_date_changes_the_stored_answer(capsys):
    person = InsuredPersonFactory(birth_date=date(1970, 1, 10))
    EnrolmentFactory(person=person, enrolled_on=date(2010, 4, 1))
    PaperCardFactory(person=person, issued_on=date(2024, 10, 1), valid_until=date(2025, 9, 30))
    LifeEventFactory(
        person=person, kind=LifeEvent.Kind.ADDRESS_CHANGE, occurred_on=date(2025, 3, 1)
    )
    before = _assess(capsys, "--person", str(person.pk), "--as-of", "2025-02-15")
    after = _assess(capsys, "--person", str(person.pk), "--as-of", "2025-03-15")
    assert before["proofs"]["paper_card"]["usable"] is True
    assert after["proofs"]["paper_card"]["reason"] == "contents_changed"
    assert [d["reason"] for d in after["documents_due"]] == ["contents_changed"]


def test_the_stored_answer_equals_the_answer_for_the_same_facts_sent_as_json(capsys):
    person = InsuredPersonFactory(birth_date=date(1985, 7, 20))
    EnrolmentFactory(person=person, enrolled_on=date(2026, 6, 1))
    stored = _assess(capsys, "--person", str(person.pk), "--as-of", "2026-06-10")
    request = {
        "as_of": "2026-06-10",
        "person": {"birth_date": "1985-07-20", "enrolled_on": "2026-06-01"},
    }
    from eligibility.assess_api import assess_payload

    sent = assess_payload(request)
    stored.pop("person")
    assert stored == sent


def test_assessing_a_stored_person_is_audit_logged(capsys):
    person = InsuredPersonFactory()
    EnrolmentFactory(person=person)
    _assess(capsys, "--person", str(person.pk), "--as-of", "2026-01-01")
    event = AuditEvent.objects.get(action="assess")
    assert event.person_id == person.pk
    assert event.detail["via"] == "command"


def test_an_unknown_person_is_a_command_error():
    with pytest.raises(CommandError):
        call_command("assess", "--person", "999999", "--as-of", "2026-01-01")


def test_a_person_without_enrolment_exits_2_naming_the_field(capsys):
    person = InsuredPersonFactory()
    with pytest.raises(SystemExit) as exited:
        call_command("assess", "--person", str(person.pk), "--as-of", "2026-01-01")
    assert exited.value.code == 2
    assert json.loads(capsys.readouterr().out)["errors"][0]["field"] == "person.enrolled_on"


def test_a_bad_as_of_exits_2_naming_the_field(capsys):
    person = InsuredPersonFactory()
    with pytest.raises(SystemExit) as exited:
        call_command("assess", "--person", str(person.pk), "--as-of", "R7.9.31")
    assert exited.value.code == 2
    assert json.loads(capsys.readouterr().out)["errors"][0]["field"] == "as_of"
