from datetime import date

import factory
from factory.django import DjangoModelFactory

from cards.models import Certificate, DocumentReason, MyNumberCard, PaperCard
from tests.factories.households import InsuredPersonFactory


class MyNumberCardFactory(DjangoModelFactory):
    """A valid card registered for health-insurance use (a working マイナ保険証)."""

    class Meta:
        model = MyNumberCard

    person = factory.SubFactory(InsuredPersonFactory)
    card_status = MyNumberCard.Status.VALID
    registered_on = date(2023, 5, 10)
    e_cert_valid_until = date(2028, 5, 9)


class PaperCardFactory(DjangoModelFactory):
    class Meta:
        model = PaperCard

    person = factory.SubFactory(InsuredPersonFactory)
    issued_on = date(2024, 10, 1)
    valid_until = date(2025, 9, 30)


class CertificateFactory(DjangoModelFactory):
    class Meta:
        model = Certificate

    person = factory.SubFactory(InsuredPersonFactory)
    number = factory.Sequence(lambda n: f"C{n:07d}")
    issued_on = date(2025, 9, 1)
    valid_until = date(2027, 9, 30)
    reason = DocumentReason.PAPER_CARD_EXPIRY
    rule_ids = factory.List(["R-CERT-WHO"])
