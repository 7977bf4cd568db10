"""Residents for the portal tests: insured persons, their accounts, signed-in clients."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.test import Client

from eligibility.models import InsuredPerson
from sumida_kokuho.models import ResidentAccount
from tests.factories import EnrolmentFactory, InsuredPersonFactory
from tests.factories.users import UserFactory

PASSWORD = "correct horse battery staple"  # noqa: S105


def insured(**kwargs: Any) -> InsuredPerson:
    person = InsuredPersonFactory(**kwargs)
    EnrolmentFactory(person=person, enrolled_on=date(2020, 4, 1))
    return person


def resident_user(person: InsuredPerson, **kwargs: Any) -> Any:
    address = f"resident{person.pk}@example.com"
    user = UserFactory(username=address, email=address, **kwargs)
    ResidentAccount.objects.create(
        user=user, person=person, linked_via=ResidentAccount.LinkedVia.ACTIVATION
    )
    return user


def signed_in(person: InsuredPerson) -> Client:
    client = Client()
    client.force_login(resident_user(person))
    return client
