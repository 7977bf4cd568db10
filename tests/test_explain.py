"""Every decision the rules can make has a sentence in Japanese and in English."""

from dataclasses import replace
from datetime import date

import pytest

from eligibility.explain import _DUE, _SENTENCES, explain, format_day, sentence
from eligibility.rules.assessment import Decision
from eligibility.rules.engine import assess
from eligibility.rules.facts import MynaCard, PersonFacts

PROOF_REASONS = {
    "myna": ["usable", "not_registered", "card_not_valid"],
    "paper_card": ["usable", "none", "expired", "contents_changed", "lost"],
    "certificate": ["usable", "none", "not_yet_valid", "expired"],
}


def test_every_proof_reason_has_a_sentence():
    for kind, reasons in PROOF_REASONS.items():
        for reason in reasons:
            assert f"proof.{kind}.{reason}" in _SENTENCES


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("reason", sorted(_DUE))
@pytest.mark.parametrize("document", ["certificate", "notice"])
def test_every_document_reason_has_a_sentence(language, reason, document):
    text = sentence(
        Decision(
            f"document.{document}.{reason}",
            ("R-CERT-WHO",),
            (("by", date(2026, 11, 30)), ("on_application", True)),
        ),
        language,
    )
    assert text and not text.startswith("document.")
    assert ("2026" in text) and (("令和8年11月30日" in text) is (language == "ja"))


@pytest.mark.parametrize("language", ["ja", "en"])
@pytest.mark.parametrize("code", sorted(_SENTENCES))
def test_every_sentence_renders_with_its_figures(language, code):
    params = (
        ("enrolled_on", date(2020, 4, 1)),
        ("withdrawn_on", date(2026, 1, 1)),
        ("on", date(2026, 12, 10)),
        ("ratio", 20),
        ("until", date(2027, 1, 31)),
        ("elderly_from", date(2026, 12, 1)),
        ("since", date(2025, 3, 1)),
        ("ready_on", date(2026, 6, 8)),
    )
    text = sentence(Decision(code, ("R-MYNA",), params), language)
    assert "%(" not in text and text != code


def test_an_assessment_gives_one_sentence_per_decision_in_both_languages():
    facts = PersonFacts(
        birth_date=date(1956, 12, 1),
        enrolled_on=date(2016, 4, 1),
        myna=MynaCard(registered_on=date(2023, 5, 10)),
    )
    result = assess(facts, date(2026, 11, 26))
    ja, en = explain(result, "ja"), explain(result, "en")
    assert len(ja) == len(en) == len(result.decisions)
    assert any("お知らせ" in s and "令和8年11月30日" in s for s in ja)
    assert any("notice" in s.lower() and "30 November 2026" in s for s in en)
    assert all(s not in _SENTENCES for s in ja)  # no decision code leaked as its own text
    unregistered = explain(assess(replace(facts, myna=None), date(2026, 11, 26)), "en")
    assert unregistered != en


def test_dates_show_wareki_with_the_western_year_in_japanese():
    assert format_day(date(2019, 5, 1), "ja") == "令和元年5月1日（2019年）"
    assert format_day(date(2025, 9, 30), "en") == "30 September 2025"
