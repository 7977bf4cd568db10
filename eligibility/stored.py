"""Assess a person stored in the database through the same rules and the same JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from eligibility.assess_api import assessment_json
from eligibility.facts_builder import NoEnrolment, build_person_facts, persons_for_assessment
from eligibility.rules.engine import assess
from sumida_kokuho import audit


def assess_stored_person(
    person_id: int, as_of: date, language: str = "ja", *, via: str, actor: Any = None
) -> dict[str, Any] | None:
    """The assessment JSON of a stored person, or None if there is no such person.

    Reading a person's record is audit-logged in the same transaction. A person without any
    enrolment period gets an errors answer rather than a guess.
    """
    with transaction.atomic():
        person = persons_for_assessment().filter(pk=person_id).first()
        if person is None:
            return None
        audit.record(
            actor=actor,
            action="assess",
            person=person,
            detail={"as_of": as_of.isoformat(), "via": via},
        )
        try:
            facts = build_person_facts(person, as_of)
        except NoEnrolment:
            with translation.override(language):
                return {
                    "errors": [
                        {
                            "field": "person.enrolled_on",
                            "message": _("This person has no enrolment period."),
                        }
                    ]
                }
    answer = assessment_json(assess(facts, as_of), language)
    answer["person"] = {"id": person.pk, "insured_number": person.insured_number}
    return answer
