from datetime import date

import factory
from factory.django import DjangoModelFactory

from cards.models import DocumentReason
from notices.models import Notice
from tests.factories.households import InsuredPersonFactory


class NoticeFactory(DjangoModelFactory):
    class Meta:
        model = Notice

    person = factory.SubFactory(InsuredPersonFactory)
    issued_on = date(2025, 9, 1)
    reason = DocumentReason.PAPER_CARD_EXPIRY
    rule_ids = factory.List(["R-NOTICE-WHO"])
