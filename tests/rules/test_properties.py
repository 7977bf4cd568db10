"""Invariants of the rules over generated facts (hypothesis)."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from eligibility.rules.dates import reaches_age_on
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

days = st.dates(min_value=date(1940, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def facts_and_day(draw):
    birth = draw(st.dates(min_value=date(1940, 1, 1), max_value=date(2030, 12, 31)))
    enrolled = draw(st.dates(min_value=birth, max_value=date(2032, 12, 31)))
    as_of = draw(st.dates(min_value=birth, max_value=date(2035, 12, 31)))
    withdrawn = draw(st.none() | st.dates(min_value=enrolled, max_value=date(2036, 1, 1)))
    myna = draw(
        st.none()
        | st.builds(
            MynaCard,
            registered_on=st.none() | days,
            card_status=st.sampled_from(list(CardStatus)),
            e_cert_valid_until=st.none() | days,
        )
    )
    paper = None
    if draw(st.booleans()):
        issued = draw(st.dates(min_value=date(2015, 1, 1), max_value=date(2024, 12, 1)))
        paper = PaperCard(issued, draw(st.dates(min_value=issued, max_value=date(2025, 9, 30))))
    cert = None
    if draw(st.booleans()):
        issued = draw(st.dates(min_value=date(2024, 12, 2), max_value=date(2033, 1, 1)))
        cert = Certificate(issued, issued + timedelta(days=draw(st.integers(0, 1800))))
    events = tuple(
        draw(st.lists(st.builds(Event, on=days, kind=st.sampled_from(list(EventKind))), max_size=4))
    )
    documents = tuple(
        draw(
            st.lists(
                st.builds(
                    DocumentIssued, document=st.sampled_from(list(DocumentKind)), issued_on=days
                ),
                max_size=3,
            )
        )
    )
    facts = PersonFacts(
        birth_date=birth,
        enrolled_on=enrolled,
        withdrawn_on=withdrawn,
        income=draw(st.sampled_from(list(Income))),
        premium_arrears_since=draw(st.none() | days),
        needs_support=draw(st.booleans()),
        myna=myna,
        paper_card=paper,
        certificate=cert,
        documents_issued=documents,
        events=events,
    )
    return facts, as_of


@settings(max_examples=400, deadline=None)
@given(facts_and_day())
def test_burden_ratio_is_null_exactly_when_not_insured(case):
    facts, as_of = case
    result = assess(facts, as_of)
    assert (result.burden_ratio is None) is (not result.insured)
    if result.insured:
        assert result.burden_ratio in (20, 30)


@settings(max_examples=400, deadline=None)
@given(facts_and_day())
def test_at_most_one_document_is_due_and_only_for_the_insured(case):
    facts, as_of = case
    result = assess(facts, as_of)
    assert len(result.documents_due) <= 1
    if not result.insured:
        assert result.documents_due == () and result.notes == ()
        assert not any(
            p.usable
            for p in (result.proofs.myna, result.proofs.paper_card, result.proofs.certificate)
        )
    for proof in (result.proofs.myna, result.proofs.paper_card, result.proofs.certificate):
        assert (proof.reason is None) is proof.usable
        assert proof.rules


@settings(max_examples=400, deadline=None)
@given(facts_and_day())
def test_a_certificate_is_never_due_beside_a_usable_paper_card_except_at_70_or_expiry(case):
    facts, as_of = case
    result = assess(facts, as_of)
    if result.proofs.paper_card.usable:
        for doc in result.documents_due:
            if doc.document is DocumentKind.CERTIFICATE:
                assert doc.reason in {"turns_70", "paper_card_expiry"}


@settings(max_examples=300, deadline=None)
@given(
    st.dates(min_value=date(1949, 12, 1), max_value=date(1965, 12, 31)),
    st.booleans(),
    st.booleans(),
)
def test_exactly_one_of_certificate_or_notice_is_due_in_the_70th_birthday_month(birth, myna, paper):
    reached = reaches_age_on(birth, 70)
    as_of = reached.replace(day=20) if reached.day >= 20 else reached
    facts = PersonFacts(
        birth_date=birth,
        enrolled_on=date(2010, 4, 1),
        myna=MynaCard(registered_on=date(2020, 1, 1)) if myna else None,
        paper_card=PaperCard(date(2023, 10, 1), date(2025, 9, 30)) if paper else None,
    )
    result = assess(facts, as_of)
    if reached < date(2024, 12, 1) or not result.insured:
        return
    assert len(result.documents_due) == 1
    doc = result.documents_due[0]
    if doc.reason == "turns_70":
        expected = DocumentKind.NOTICE if myna else DocumentKind.CERTIFICATE
        assert doc.document is expected
    else:  # an earlier reason in the table (the paper card's expiry) took the slot
        assert doc.reason == "paper_card_expiry"
    assert "turns_70" in [d.reason for d in result.applying_reasons]


@settings(max_examples=300, deadline=None)
@given(facts_and_day())
def test_a_due_document_once_issued_is_no_longer_due(case):
    facts, as_of = case
    result = assess(facts, as_of)
    if not result.documents_due:
        return
    doc = result.documents_due[0]
    issued = PersonFacts(
        **{
            **{f: getattr(facts, f) for f in facts.__slots__},
            "documents_issued": facts.documents_issued + (DocumentIssued(doc.document, as_of),),
        }
    )
    after = assess(issued, as_of)
    assert doc.reason not in [d.reason for d in after.documents_due if d.document is doc.document]
