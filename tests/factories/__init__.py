"""factory-boy factories, one per model, re-exported here: `from tests.factories import ...`."""

from tests.factories.cards import CertificateFactory, MyNumberCardFactory, PaperCardFactory
from tests.factories.households import (
    BurdenDeterminationFactory,
    EnrolmentFactory,
    HouseholdFactory,
    IncomeRecordFactory,
    InsuredPersonFactory,
    LifeEventFactory,
    PremiumArrearsFactory,
)
from tests.factories.notices import NoticeFactory
from tests.factories.users import StaffUserFactory, UserFactory

__all__ = [
    "BurdenDeterminationFactory",
    "CertificateFactory",
    "EnrolmentFactory",
    "HouseholdFactory",
    "IncomeRecordFactory",
    "InsuredPersonFactory",
    "LifeEventFactory",
    "MyNumberCardFactory",
    "NoticeFactory",
    "PaperCardFactory",
    "PremiumArrearsFactory",
    "StaffUserFactory",
    "UserFactory",
]
