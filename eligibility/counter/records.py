"""Loading what the counter pages show, always behind `sumida_kokuho.access`.

A certificate, notice or application is personal data of its person, so each is opened through
`get_person_for_staff` (the 404 for the unknown or not allowed, and the audit "view" event with
what was opened in its detail). Once access is granted, the page's rows are read in a fixed
number of queries, however long the person's history is.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from cards.models import Certificate, CertificateApplication
from eligibility.facts_builder import persons_for_assessment
from eligibility.models import Household, InsuredPerson
from notices.models import Notice
from sumida_kokuho.access import get_person_for_staff

RowT = TypeVar("RowT", bound=Model)


def person_for_page(person: InsuredPerson) -> InsuredPerson:
    """`person` again with every row the person page, the rules and the documents read."""
    return (
        persons_for_assessment()
        .select_related("household__householder")
        .prefetch_related("certificate_applications", "activation_codes")
        .get(pk=person.pk)
    )


def members_for_page(household: Household) -> list[InsuredPerson]:
    """The household's members, branch order, each ready to assess (one query per relation)."""
    return list(persons_for_assessment().filter(household=household).order_by("branch"))


def _row_for_staff(
    user: Any, queryset: QuerySet[RowT], pk: Any, name: str
) -> tuple[RowT, InsuredPerson]:
    """The row `pk` and its person, opened through the access helper (which logs the view)."""
    try:
        person_id = queryset.filter(pk=pk).values_list("person_id", flat=True).first()
    except (ValueError, TypeError):
        person_id = None
    if person_id is None:
        raise Http404
    person = get_person_for_staff(user, person_id, detail={name: str(pk)})
    row = queryset.get(pk=pk)
    return row, person


def certificate_for_staff(user: Any, pk: Any) -> Certificate:
    certificate, person = _row_for_staff(user, Certificate.objects.all(), pk, "certificate")
    certificate.person = person
    return certificate


def notice_for_staff(user: Any, pk: Any) -> Notice:
    notice, person = _row_for_staff(user, Notice.objects.all(), pk, "notice")
    notice.person = person
    return notice


def application_for_staff(user: Any, pk: Any) -> CertificateApplication:
    application, person = _row_for_staff(
        user, CertificateApplication.objects.all(), pk, "application"
    )
    application.person = person
    return application
