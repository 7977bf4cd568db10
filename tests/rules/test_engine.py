"""Table-driven tests of the rules, one block per rule id (shared DESIGN.md, ASSESS_API.md)."""

from dataclasses import replace
from datetime import date

import pytest

from eligibility.rules.engine import assess
from eligibility.rules.facts import (
    CardStatus,
    Certificate,
    DocumentIssued,
    DocumentKind,
    Event,
    EventKind,
    Income,
    MynaCard,
    PaperCard,
    PersonFacts,
)
from eligibility.rules.policy import policy_at

D = date
CERT, NOTICE = DocumentKind.CERTIFICATE, DocumentKind.NOTICE
MYNA = MynaCard(registered_on=D(2023, 1, 1))
OLD_CARD = PaperCard(D(2024, 10, 1), D(2025, 9, 30))


def person(**kw) -> PersonFacts:
    base = {"birth_date": D(1980, 5, 5), "enrolled_on": D(2015, 4, 1)}
    base.update(kw)
    return PersonFacts(**base)


def ev(day: date, kind: str) -> Event:
    return Event(day, EventKind(kind))


def due(result):
    return [(d.document.value, d.reason, d.by, d.on_application) for d in result.documents_due]


# --- R-ENROLMENT / R-AGE75: who is insured -----------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "as_of", "insured"),
    [
        (person(), D(2015, 3, 31), False),  # the day before the first covered day
        (person(), D(2015, 4, 1), True),
        (person(withdrawn_on=D(2026, 6, 1)), D(2026, 5, 31), True),
        (person(withdrawn_on=D(2026, 6, 1)), D(2026, 6, 1), False),  # first uncovered day
        (person(birth_date=D(1951, 12, 10)), D(2026, 12, 9), True),  # R-AGE75: day before
        (person(birth_date=D(1951, 12, 10)), D(2026, 12, 10), False),  # the 75th birthday
        (person(birth_date=D(1952, 2, 29)), D(2027, 2, 28), True),
        (person(birth_date=D(1952, 2, 29)), D(2027, 3, 1), False),  # 29 Feb: 1 March
    ],
)
def test_insured_from_enrolment_to_withdrawal_or_the_75th_birthday(facts, as_of, insured):
    result = assess(facts, as_of)
    assert result.insured is insured
    assert (result.burden_ratio is None) is (not insured)


def test_not_insured_means_no_proof_and_nothing_due():
    result = assess(
        person(
            myna=MYNA, events=(ev(D(2026, 1, 5), "address_change"),), withdrawn_on=D(2026, 2, 1)
        ),
        D(2026, 3, 1),
    )
    for proof in (result.proofs.myna, result.proofs.paper_card, result.proofs.certificate):
        assert (proof.usable, proof.reason) == (False, "not_insured")
    assert result.documents_due == ()
    assert result.notes == ()


def test_the_75th_birthday_names_r_age75():
    result = assess(person(birth_date=D(1951, 12, 10), myna=MYNA), D(2026, 12, 10))
    assert "R-AGE75" in result.proofs.myna.rules
    assert result.decisions[0].code == "insured.late_elderly"


# --- R-RATIO and R-AGE70: co-payment --------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "as_of", "income", "ratio", "elderly"),
    [
        (D(2020, 4, 1), D(2026, 3, 31), Income.GENERAL, 20, False),  # reaches 6 on 3/31
        (D(2020, 4, 1), D(2026, 4, 1), Income.GENERAL, 30, False),
        (D(2020, 4, 2), D(2026, 4, 1), Income.GENERAL, 20, False),  # reaches 6 on 4/1
        (D(2020, 4, 2), D(2027, 3, 31), Income.GENERAL, 20, False),
        (D(2020, 4, 2), D(2027, 4, 1), Income.GENERAL, 30, False),
        (D(2016, 2, 29), D(2022, 3, 31), Income.GENERAL, 20, False),
        (D(2016, 2, 29), D(2022, 4, 1), Income.GENERAL, 30, False),
        (D(1956, 9, 15), D(2026, 9, 30), Income.GENERAL, 30, False),  # turns 70 in September
        (D(1956, 9, 15), D(2026, 10, 1), Income.GENERAL, 20, True),  # 70–74 rate from 10/1
        (D(1956, 9, 1), D(2026, 8, 31), Income.GENERAL, 30, False),  # born on the 1st
        (D(1956, 9, 1), D(2026, 9, 1), Income.GENERAL, 20, True),  # ... from the birth month
        (D(1956, 1, 1), D(2026, 1, 1), Income.GENERAL, 20, True),  # reached 70 on 2025-12-31
        (D(1956, 9, 15), D(2026, 10, 1), Income.ACTIVE, 30, True),
        (D(1956, 9, 15), D(2026, 9, 30), Income.ACTIVE, 30, False),
        (D(1956, 2, 29), D(2026, 3, 1), Income.GENERAL, 20, True),  # reached 70 on 2/28
        (D(1956, 3, 1), D(2026, 2, 28), Income.GENERAL, 30, False),
        (D(1956, 3, 1), D(2026, 3, 1), Income.GENERAL, 20, True),
    ],
)
def test_burden_ratio_by_age_and_income(birth, as_of, income, ratio, elderly):
    result = assess(
        person(birth_date=birth, enrolled_on=min(birth, D(2015, 4, 1)), income=income), as_of
    )
    assert (result.burden_ratio, result.elderly_recipient) == (ratio, elderly)


def test_income_matters_only_for_70_to_74():
    assert assess(person(income=Income.ACTIVE), D(2026, 1, 1)).burden_ratio == 30
    assert (
        assess(
            person(birth_date=D(2022, 1, 1), enrolled_on=D(2022, 1, 1), income=Income.ACTIVE),
            D(2026, 1, 1),
        ).burden_ratio
        == 20
    )


# --- R-MYNA ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("myna", "events", "as_of", "usable", "reason"),
    [
        (None, (), D(2026, 1, 1), False, "not_registered"),
        (MynaCard(registered_on=None), (), D(2026, 1, 1), False, "not_registered"),
        (MynaCard(registered_on=D(2026, 2, 1)), (), D(2026, 1, 1), False, "not_registered"),
        (MYNA, (), D(2026, 1, 1), True, None),
        (replace(MYNA, card_status=CardStatus.LOST), (), D(2026, 1, 1), False, "card_not_valid"),
        (
            replace(MYNA, card_status=CardStatus.SUSPENDED),
            (),
            D(2026, 1, 1),
            False,
            "card_not_valid",
        ),
        (
            replace(MYNA, card_status=CardStatus.RETURNED),
            (),
            D(2026, 1, 1),
            False,
            "card_not_valid",
        ),
        # e-certificate grace: to the last day of the 3rd month after the expiry month
        (replace(MYNA, e_cert_valid_until=D(2026, 10, 15)), (), D(2027, 1, 31), True, None),
        (
            replace(MYNA, e_cert_valid_until=D(2026, 10, 15)),
            (),
            D(2027, 2, 1),
            False,
            "card_not_valid",
        ),
        # registration cancelled, then registered again
        (
            MYNA,
            (ev(D(2025, 5, 1), "myna_registration_cancelled"),),
            D(2026, 1, 1),
            False,
            "not_registered",
        ),
        (
            MynaCard(registered_on=D(2025, 6, 1)),
            (ev(D(2025, 5, 1), "myna_registration_cancelled"),),
            D(2026, 1, 1),
            True,
            None,
        ),
        # a loss not yet followed by a reissue
        (MYNA, (ev(D(2025, 5, 1), "myna_card_lost"),), D(2026, 1, 1), False, "card_not_valid"),
        (
            MYNA,
            (ev(D(2025, 5, 1), "myna_card_lost"), ev(D(2025, 6, 20), "myna_card_reissued")),
            D(2026, 1, 1),
            True,
            None,
        ),
        # events after as_of do not count yet
        (MYNA, (ev(D(2026, 5, 1), "myna_card_lost"),), D(2026, 1, 1), True, None),
    ],
)
def test_myna_card_usable_when_registered_valid_and_certificate_in_grace(
    myna, events, as_of, usable, reason
):
    proof = assess(person(myna=myna, events=events), as_of).proofs.myna
    assert (proof.usable, proof.reason) == (usable, reason)
    assert "R-MYNA" in proof.rules


def test_myna_in_e_certificate_grace_carries_a_note():
    facts = person(myna=replace(MYNA, e_cert_valid_until=D(2026, 10, 15)))
    assert [n.code for n in assess(facts, D(2026, 10, 15)).notes] == []
    assert [n.code for n in assess(facts, D(2026, 10, 16)).notes] == ["myna_cert_grace"]
    assert [n.code for n in assess(facts, D(2027, 2, 1)).notes] == []


# --- R-PAPER-VALID ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("card", "events", "as_of", "usable", "reason"),
    [
        (None, (), D(2025, 3, 1), False, "none"),
        (OLD_CARD, (), D(2025, 9, 30), True, None),
        (OLD_CARD, (), D(2025, 10, 1), False, "expired"),
        (PaperCard(D(2023, 10, 1), D(2025, 7, 31)), (), D(2025, 8, 1), False, "expired"),
        (PaperCard(D(2023, 10, 1), D(2026, 9, 30)), (), D(2025, 10, 1), False, "expired"),  # cap
        (
            OLD_CARD,
            (ev(D(2025, 3, 1), "address_change"),),
            D(2025, 3, 1),
            False,
            "contents_changed",
        ),
        (OLD_CARD, (ev(D(2025, 3, 1), "address_change"),), D(2025, 2, 28), True, None),
        (
            OLD_CARD,
            (ev(D(2025, 3, 1), "householder_change"),),
            D(2025, 3, 2),
            False,
            "contents_changed",
        ),
        (OLD_CARD, (ev(D(2025, 3, 1), "paper_card_lost"),), D(2025, 3, 2), False, "lost"),
        (
            OLD_CARD,
            (ev(D(2025, 3, 1), "paper_card_lost"), ev(D(2025, 4, 1), "address_change")),
            D(2025, 5, 1),
            False,
            "lost",
        ),  # the first voiding event names the reason
        (OLD_CARD, (ev(D(2024, 9, 1), "address_change"),), D(2025, 3, 1), True, None),  # before
        (OLD_CARD, (ev(D(2025, 12, 1), "address_change"),), D(2026, 1, 1), False, "expired"),
    ],
)
def test_paper_card_usable_until_expiry_unless_changed_or_lost(card, events, as_of, usable, reason):
    proof = assess(person(paper_card=card, events=events), as_of).proofs.paper_card
    assert (proof.usable, proof.reason) == (usable, reason)


# --- R-CERT-VALID (as a proof) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "usable", "reason"),
    [
        (D(2025, 9, 19), False, "not_yet_valid"),
        (D(2025, 9, 20), True, None),
        (D(2027, 9, 30), True, None),
        (D(2027, 10, 1), False, "expired"),
    ],
)
def test_certificate_usable_from_issue_to_valid_until(as_of, usable, reason):
    facts = person(certificate=Certificate(D(2025, 9, 20), D(2027, 9, 30)))
    proof = assess(facts, as_of).proofs.certificate
    assert (proof.usable, proof.reason) == (usable, reason)


# --- documents due (R-CERT-WHO, R-CERT-APPLY, R-NOTICE-WHO, R-AGE70) --------------------------


def test_new_enrolment_without_myna_gets_a_certificate_and_with_myna_a_notice():
    facts = person(enrolled_on=D(2026, 6, 1))
    assert due(assess(facts, D(2026, 6, 10))) == [("certificate", "new_enrolment", None, False)]
    with_myna = replace(facts, myna=MYNA)
    assert due(assess(with_myna, D(2026, 6, 10))) == [("notice", "new_enrolment", None, False)]


def test_enrolment_before_the_paper_stop_is_not_a_new_enrolment_reason():
    assert due(assess(person(enrolled_on=D(2024, 12, 1), myna=MYNA), D(2024, 12, 5))) == []
    assert due(assess(person(enrolled_on=D(2024, 12, 2), myna=MYNA), D(2024, 12, 5))) == [
        ("notice", "new_enrolment", None, False)
    ]


def test_a_document_issued_on_or_after_the_trigger_settles_it():
    facts = person(
        enrolled_on=D(2026, 6, 1), documents_issued=(DocumentIssued(CERT, D(2026, 6, 1)),)
    )
    assert due(assess(facts, D(2026, 6, 10))) == []
    earlier = replace(facts, documents_issued=(DocumentIssued(CERT, D(2026, 5, 31)),))
    assert due(assess(earlier, D(2026, 6, 10))) == [("certificate", "new_enrolment", None, False)]
    # A reason decided by マイナ status is settled by either document...
    notice = replace(facts, documents_issued=(DocumentIssued(NOTICE, D(2026, 6, 2)),))
    assert due(assess(notice, D(2026, 6, 10))) == []
    # ...but a certificate-only reason is settled by a certificate alone.
    lost = person(
        myna=replace(MYNA, card_status=CardStatus.LOST),
        events=(ev(D(2026, 5, 1), "myna_card_lost"),),
        documents_issued=(DocumentIssued(NOTICE, D(2026, 5, 2)),),
    )
    assert due(assess(lost, D(2026, 6, 10))) == [("certificate", "myna_card_lost", None, True)]


def test_a_settled_reason_does_not_come_back_when_the_myna_card_stops_working():
    # The paper card's expiry was settled by a notice while the card worked; when the card is
    # lost later, the card's own reason applies (on application), not the old expiry.
    facts = person(
        paper_card=OLD_CARD,
        myna=replace(MYNA, card_status=CardStatus.LOST),
        events=(ev(D(2026, 3, 1), "myna_card_lost"),),
        documents_issued=(DocumentIssued(NOTICE, D(2025, 9, 1)),),
    )
    assert due(assess(facts, D(2026, 3, 5))) == [("certificate", "myna_card_lost", None, True)]
    # And registering the card after a certificate does not make a notice due for old reasons.
    registered = person(
        enrolled_on=D(2026, 1, 5),
        myna=MynaCard(registered_on=D(2026, 3, 1)),
        documents_issued=(DocumentIssued(CERT, D(2026, 1, 5)),),
    )
    assert due(assess(registered, D(2026, 3, 5))) == []


def test_the_current_certificate_counts_as_issued():
    facts = person(
        enrolled_on=D(2026, 6, 1), certificate=Certificate(D(2026, 6, 1), D(2027, 9, 30))
    )
    assert due(assess(facts, D(2026, 6, 10))) == []


def test_address_change_after_the_paper_stop_calls_for_a_document_by_myna_status():
    events = (ev(D(2025, 3, 1), "address_change"),)
    no_myna = person(paper_card=OLD_CARD, events=events)
    assert due(assess(no_myna, D(2025, 3, 15))) == [
        ("certificate", "contents_changed", None, False)
    ]
    with_myna = replace(no_myna, myna=MYNA)
    assert due(assess(with_myna, D(2025, 3, 15))) == [("notice", "contents_changed", None, False)]


def test_householder_change_counts_only_while_a_paper_card_was_usable():
    events = (ev(D(2026, 3, 1), "householder_change"),)
    assert (
        due(
            assess(
                person(events=events, certificate=Certificate(D(2025, 9, 1), D(2027, 9, 30))),
                D(2026, 3, 5),
            )
        )
        == []
    )
    with_card = person(events=(ev(D(2025, 3, 1), "householder_change"),), paper_card=OLD_CARD)
    assert due(assess(with_card, D(2025, 3, 5))) == [
        ("certificate", "contents_changed", None, False)
    ]


@pytest.mark.parametrize(
    ("birth", "as_of", "expected"),
    [
        (D(1956, 12, 1), D(2026, 11, 1), [("notice", "turns_70", D(2026, 11, 30), False)]),
        (D(1956, 12, 1), D(2026, 10, 31), []),  # not yet the month
        (D(1956, 12, 2), D(2026, 11, 30), []),  # reaches 70 on 12/1: December
        (D(1956, 12, 2), D(2026, 12, 1), [("notice", "turns_70", D(2026, 12, 31), False)]),
        (D(1956, 2, 29), D(2026, 2, 1), [("notice", "turns_70", D(2026, 2, 28), False)]),
        (D(1956, 3, 1), D(2026, 2, 1), [("notice", "turns_70", D(2026, 2, 28), False)]),
        (D(1954, 11, 15), D(2024, 11, 20), []),  # before December 2024: 高齢受給者証 era
        (D(1954, 12, 15), D(2024, 12, 20), [("notice", "turns_70", D(2024, 12, 31), False)]),
    ],
)
def test_turning_70_month_calls_for_a_document_showing_the_ratio(birth, as_of, expected):
    assert due(assess(person(birth_date=birth, myna=MYNA), as_of)) == expected


def test_turning_70_without_myna_gets_a_certificate_even_with_a_usable_paper_card():
    facts = person(birth_date=D(1955, 4, 10), paper_card=PaperCard(D(2023, 10, 1), D(2025, 9, 30)))
    assert due(assess(facts, D(2025, 4, 20))) == [
        ("certificate", "turns_70", D(2025, 4, 30), False)
    ]


def test_paper_card_expiry_is_due_from_the_lead_time_and_stays_due():
    facts = person(paper_card=OLD_CARD)
    lead = policy_at(D(2025, 8, 1)).renewal_lead_days
    start = date.fromordinal(D(2025, 9, 30).toordinal() - lead)
    assert due(assess(facts, date.fromordinal(start.toordinal() - 1))) == []
    expected = [("certificate", "paper_card_expiry", D(2025, 9, 30), False)]
    assert due(assess(facts, start)) == expected
    assert due(assess(facts, D(2026, 2, 1))) == expected
    settled = replace(facts, documents_issued=(DocumentIssued(CERT, start),))
    assert due(assess(settled, D(2026, 2, 1))) == []
    assert due(assess(replace(facts, myna=MYNA), D(2025, 9, 1))) == [
        ("notice", "paper_card_expiry", D(2025, 9, 30), False)
    ]


def test_a_voided_paper_card_has_no_expiry_reason():
    facts = person(paper_card=OLD_CARD, events=(ev(D(2025, 3, 1), "paper_card_lost"),))
    assert due(assess(facts, D(2025, 9, 1))) == [("certificate", "paper_card_lost", None, True)]


def test_while_a_paper_card_is_usable_no_certificate_is_due_for_other_reasons():
    facts = person(paper_card=OLD_CARD, needs_support=True)
    assert due(assess(facts, D(2025, 3, 1))) == []
    assert due(assess(facts, D(2025, 10, 1))) == [
        ("certificate", "paper_card_expiry", D(2025, 9, 30), False)
    ]


def test_paper_card_expiry_needs_nothing_when_coverage_ends_with_the_card():
    # 75th birthday 2025-10-01: the card ends the day before, NHI ends with it.
    facts = person(birth_date=D(1950, 10, 1), enrolled_on=D(2010, 4, 1), paper_card=OLD_CARD)
    assert due(assess(facts, D(2025, 9, 1))) == []


def test_certificate_expiry_renews_only_without_myna_and_while_still_covered():
    facts = person(certificate=Certificate(D(2025, 9, 20), D(2027, 9, 30)))
    assert due(assess(facts, D(2027, 8, 1))) == [
        ("certificate", "certificate_expiry", D(2027, 9, 30), False)
    ]
    assert due(assess(facts, D(2027, 7, 31))) == []
    assert due(assess(replace(facts, myna=MYNA), D(2027, 8, 1))) == []
    ending = replace(facts, withdrawn_on=D(2027, 10, 1))
    assert due(assess(ending, D(2027, 8, 1))) == []
    turning_75 = person(
        birth_date=D(1952, 10, 1),
        enrolled_on=D(2015, 4, 1),
        certificate=Certificate(D(2026, 8, 1), D(2027, 9, 30)),
    )
    assert due(assess(turning_75, D(2027, 9, 1))) == []  # the day before the 75th birthday
    short = replace(turning_75, certificate=Certificate(D(2026, 8, 1), D(2027, 7, 31)))
    assert due(assess(short, D(2027, 7, 1))) == [
        ("certificate", "certificate_expiry", D(2027, 7, 31), False)
    ]


def test_registration_cancelled_calls_for_a_certificate():
    facts = person(myna=MYNA, events=(ev(D(2026, 4, 1), "myna_registration_cancelled"),))
    assert due(assess(facts, D(2026, 4, 2))) == [
        ("certificate", "myna_registration_cancelled", None, False)
    ]
    covered = replace(facts, certificate=Certificate(D(2026, 4, 1), D(2027, 9, 30)))
    assert due(assess(covered, D(2026, 4, 2))) == []


def test_e_certificate_expiry_calls_for_a_certificate_before_the_grace_ends():
    facts = person(myna=replace(MYNA, e_cert_valid_until=D(2026, 10, 15)))
    assert due(assess(facts, D(2026, 10, 15))) == []
    expected = [("certificate", "myna_cert_expired", D(2027, 1, 31), False)]
    assert due(assess(facts, D(2026, 10, 16))) == expected
    assert due(assess(facts, D(2027, 3, 1))) == expected  # still due after the grace


def test_needs_support_calls_for_a_certificate_without_application():
    facts = person(needs_support=True, myna=MYNA)
    assert due(assess(facts, D(2026, 1, 1))) == [("certificate", "needs_support", None, False)]
    covered = replace(facts, certificate=Certificate(D(2025, 10, 1), D(2027, 9, 30)))
    assert due(assess(covered, D(2026, 1, 1))) == []
    # renewal of a 要配慮者 needs no new application: the expiry itself is due first
    assert due(assess(replace(covered, myna=None), D(2027, 8, 15))) == [
        ("certificate", "certificate_expiry", D(2027, 9, 30), False)
    ]


def test_paper_card_lost_is_on_application_and_only_without_myna():
    events = (ev(D(2025, 3, 1), "paper_card_lost"),)
    assert due(assess(person(paper_card=OLD_CARD, events=events), D(2025, 3, 5))) == [
        ("certificate", "paper_card_lost", None, True)
    ]
    assert due(assess(person(paper_card=OLD_CARD, events=events, myna=MYNA), D(2025, 3, 5))) == []


@pytest.mark.parametrize(
    "facts",
    [
        person(myna=replace(MYNA, card_status=CardStatus.LOST)),
        person(myna=replace(MYNA, card_status=CardStatus.SUSPENDED)),
        person(myna=MYNA, events=(ev(D(2026, 5, 1), "myna_card_lost"),)),
    ],
)
def test_myna_card_lost_is_on_application(facts):
    assert due(assess(facts, D(2026, 5, 2))) == [("certificate", "myna_card_lost", None, True)]


def test_myna_card_reissued_ends_the_loss_reason():
    facts = person(
        myna=MYNA,
        events=(ev(D(2026, 5, 1), "myna_card_lost"), ev(D(2026, 6, 20), "myna_card_reissued")),
    )
    assert due(assess(facts, D(2026, 6, 21))) == []


def test_at_most_one_document_a_certificate_before_a_notice_in_table_order():
    # With マイナ保険証: turns 70 (notice) and an address change (notice): the first in order.
    facts = person(
        birth_date=D(1956, 12, 15), myna=MYNA, events=(ev(D(2026, 12, 3), "address_change"),)
    )
    result = assess(facts, D(2026, 12, 10))
    assert due(result) == [("notice", "contents_changed", None, False)]
    assert [d.reason for d in result.applying_reasons] == ["contents_changed", "turns_70"]
    # A certificate reason wins over an earlier notice reason.
    lost = replace(facts, events=facts.events + (ev(D(2026, 12, 5), "myna_card_lost"),))
    assert due(assess(lost, D(2026, 12, 10))) == [("certificate", "contents_changed", None, False)]


def test_certificate_for_everyone_switch_sends_certificates_to_myna_holders():
    facts = person(enrolled_on=D(2026, 6, 1), myna=MYNA)
    everyone = policy_at(D(2026, 6, 10), certificate_for_everyone=True)
    assert due(assess(facts, D(2026, 6, 10), everyone)) == [
        ("certificate", "new_enrolment", None, False)
    ]


# --- notes (R-LIMIT, R-ARREARS, R-READY) --------------------------------------------------------


def test_arrears_hide_the_limit_category_for_myna_holders():
    facts = person(myna=MYNA, premium_arrears_since=D(2026, 6, 1))
    assert [n.code for n in assess(facts, D(2026, 11, 26)).notes] == [
        "limit_category_unconfirmable"
    ]
    assert [n.code for n in assess(facts, D(2026, 5, 31)).notes] == []


@pytest.mark.parametrize(
    ("birth", "as_of", "special"),
    [
        (D(1980, 5, 5), D(2026, 5, 31), False),  # less than a year
        (D(1980, 5, 5), D(2026, 6, 1), True),  # one year
        (D(2008, 6, 1), D(2027, 3, 31), False),  # reached 18 on 2026-05-31: until 2027-03-31
        (D(2008, 6, 1), D(2027, 4, 1), True),
    ],
)
def test_one_year_of_arrears_makes_special_medical_expenses_except_for_children(
    birth, as_of, special
):
    facts = person(
        birth_date=birth,
        enrolled_on=D(2015, 4, 1) if birth.year < 2015 else birth,
        premium_arrears_since=D(2025, 6, 1),
    )
    codes = [n.code for n in assess(facts, as_of).notes]
    assert ("special_medical_expenses" in codes) is special


def test_new_enrolment_with_myna_is_ready_in_about_a_week():
    facts = person(enrolled_on=D(2026, 6, 1), myna=MYNA)
    assert "ready_in_about_a_week" in [n.code for n in assess(facts, D(2026, 6, 7)).notes]
    assert "ready_in_about_a_week" not in [n.code for n in assess(facts, D(2026, 6, 8)).notes]
    assert "ready_in_about_a_week" not in [
        n.code for n in assess(replace(facts, myna=None), D(2026, 6, 3)).notes
    ]


def test_every_proof_document_and_note_names_its_rules():
    facts = person(
        enrolled_on=D(2026, 6, 1),
        myna=MYNA,
        premium_arrears_since=D(2025, 1, 1),
        events=(ev(D(2026, 6, 2), "address_change"),),
    )
    result = assess(facts, D(2026, 6, 3))
    items = [
        result.proofs.myna,
        result.proofs.paper_card,
        result.proofs.certificate,
        *result.documents_due,
        *result.notes,
    ]
    assert items and all(item.rules for item in items)
    assert all(rule.startswith("R-") for item in items for rule in item.rules)
