"""The 記号 9102 showcase households: the people of the shared worked examples (../shared/cases).

On its example's date each person's stored facts are exactly the example's request; documents
given after that date follow, so the household also looks right on the seeding day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from eligibility.demo import EXAMPLE_SYMBOL
from eligibility.demo.history import complete_documents, plan_determinations
from eligibility.demo.plan import (
    ArrearsPlan,
    DocumentPlan,
    EventPlan,
    MynaPlan,
    PaperCardPlan,
    PersonPlan,
)
from eligibility.demo.showcase.base import (
    Expect,
    Showcase,
    ShowcaseIssuer,
    address,
    due,
    household,
    myna,
    person,
    small_pension,
)
from eligibility.rules.dates import (
    ONE_DAY,
)
from eligibility.rules.facts import DocumentKind

# --- the shared worked examples (fixed dates) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkedExample:
    number: str
    name: str  # "family given ファミリー ギブン ♂|♀"
    case: str  # the file name in ../shared/cases
    title: str
    request: dict[str, Any]
    expect: Expect


WORKED_EXAMPLES: tuple[WorkedExample, ...] = (
    WorkedExample(
        "0001",
        "長谷川 聡 ハセガワ サトシ ♂",
        "address_change_voids_paper_card",
        "住所変更で紙の保険証が使えなくなった（令和7年3月）",
        {
            "as_of": "2025-03-15",
            "person": {
                "birth_date": "1970-01-10",
                "enrolled_on": "2010-04-01",
                "paper_card": {"issued_on": "2024-10-01", "valid_until": "2025-09-30"},
                "events": [{"on": "2025-03-01", "kind": "address_change"}],
            },
        },
        {
            "proofs": {"paper_card": {"usable": False, "reason": "contents_changed"}},
            "documents_due": [due("certificate", "contents_changed")],
        },
    ),
    WorkedExample(
        "0002",
        "村上 裕介 ムラカミ ユウスケ ♂",
        "arrears_hide_limit_category",
        "保険料の未納で限度額区分を確認できない",
        {
            "as_of": "2026-11-26",
            "person": {
                "birth_date": "1980-05-05",
                "enrolled_on": "2015-04-01",
                "myna": {"registered_on": "2022-01-10", "card_status": "valid"},
                "premium_arrears_since": "2026-06-01",
            },
        },
        {"notes": ["limit_category_unconfirmable"], "documents_due": []},
    ),
    WorkedExample(
        "0003",
        "近藤 真理子 コンドウ マリコ ♀",
        "expired_e_certificate_grace",
        "電子証明書の期限切れ（猶予期間中）",
        {
            "as_of": "2026-11-26",
            "person": {
                "birth_date": "1975-03-03",
                "enrolled_on": "2012-04-01",
                "myna": {
                    "registered_on": "2021-10-20",
                    "card_status": "valid",
                    "e_cert_valid_until": "2026-10-15",
                },
            },
        },
        {
            "proofs": {"myna": {"usable": True}},
            "notes": ["myna_cert_grace"],
            "documents_due": [due("certificate", "myna_cert_expired", date(2027, 1, 31))],
        },
    ),
    WorkedExample(
        "0004",
        "石川 大樹 イシカワ ダイキ ♂",
        "new_enrolment_after_leaving_job_without_myna",
        "退職して国保に加入・マイナ保険証なし（令和8年6月）",
        {
            "as_of": "2026-06-10",
            "person": {
                "birth_date": "1985-07-20",
                "enrolled_on": "2026-06-01",
                "enrolment_reason": "job_loss",
            },
        },
        {
            "insured": True,
            "age": 40,
            "burden_ratio": 30,
            "proofs": {
                "myna": {"usable": False, "reason": "not_registered"},
                "certificate": {"usable": False, "reason": "none"},
                "paper_card": {"usable": False, "reason": "none"},
            },
            "documents_due": [due("certificate", "new_enrolment")],
        },
    ),
    WorkedExample(
        "0005",
        "前田 勇 マエダ イサム ♂",
        "nhi_ends_on_75th_birthday",
        "75歳の誕生日で国保の資格がなくなる（令和8年12月10日）",
        {
            "as_of": "2026-12-10",
            "person": {
                "birth_date": "1951-12-10",
                "enrolled_on": "2011-12-10",
                "myna": {"registered_on": "2023-01-01", "card_status": "valid"},
            },
        },
        {
            "insured": False,
            "burden_ratio": None,
            "proofs": {"myna": {"usable": False, "reason": "not_insured"}},
            "documents_due": [],
        },
    ),
    WorkedExample(
        "0006",
        "藤田 悠真 フジタ ユウマ ♂",
        "preschool_until_march_31",
        "就学前の子は3月31日まで2割（令和8年3月31日）",
        {
            "as_of": "2026-03-31",
            "person": {
                "birth_date": "2020-04-01",
                "enrolled_on": "2020-04-01",
                "enrolment_reason": "birth",
                "certificate": {"issued_on": "2025-09-20", "valid_until": "2027-09-30"},
            },
        },
        {
            "burden_ratio": 20,
            "proofs": {"certificate": {"usable": True, "reason": None}},
            "documents_due": [],
        },
    ),
    WorkedExample(
        "0007",
        "岡田 義男 オカダ ヨシオ ♂",
        "turns_70_born_on_first_with_myna",
        "12月1日生まれ：11月にお知らせ（令和8年11月）",
        {
            "as_of": "2026-11-26",
            "person": {
                "birth_date": "1956-12-01",
                "enrolled_on": "2016-04-01",
                "myna": {"registered_on": "2023-05-10", "card_status": "valid"},
            },
        },
        {
            "insured": True,
            "age": 69,
            "elderly_recipient": False,
            "burden_ratio": 30,
            "proofs": {"myna": {"usable": True, "reason": None}},
            "documents_due": [due("notice", "turns_70", date(2026, 11, 30))],
        },
    ),
)

# The towns of the worked examples' households (fixed).
_EXAMPLE_ADDRESSES = (
    "131-0045",
    "130-0001",
    "131-0033",
    "130-0002",
    "131-0043",
    "130-0023",
    "131-0031",
)


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _example_household(example: WorkedExample, index: int, as_of: date) -> Showcase:
    """The example's person exactly as its request describes them; later history follows."""
    request = example.request["person"]
    check_on = date.fromisoformat(example.request["as_of"])
    h = household(
        example.number,
        address(_EXAMPLE_ADDRESSES[index], 1 + index % 2, 3 + index, 1 + index),
        symbol=EXAMPLE_SYMBOL,
    )
    family, given, family_kana, given_kana, sex = example.name.split()
    birth = date.fromisoformat(request["birth_date"])
    card = request.get("myna")
    paper = request.get("paper_card")
    member = PersonPlan(
        branch="01",
        family_name=family,
        given_name=given,
        family_name_kana=family_kana,
        given_name_kana=given_kana,
        sex="1" if sex == "♂" else "2",
        relation="householder",
        birth_date=birth,
        enrolled_on=date.fromisoformat(request["enrolled_on"]),
        enrolment_reason=request.get("enrolment_reason", "other"),
        myna=MynaPlan(
            registered_on=_day(card.get("registered_on")),
            card_status=card.get("card_status", "valid"),
            e_cert_valid_until=_day(card.get("e_cert_valid_until")),
        )
        if card
        else None,
        paper_card=PaperCardPlan(
            date.fromisoformat(paper["issued_on"]), date.fromisoformat(paper["valid_until"])
        )
        if paper
        else None,
        events=[
            EventPlan(date.fromisoformat(e["on"]), e["kind"]) for e in request.get("events", [])
        ],
    )
    certificate = request.get("certificate")
    if certificate:
        member.documents.append(
            DocumentPlan(
                DocumentKind.CERTIFICATE,
                date.fromisoformat(certificate["issued_on"]),
                "paper_card_expiry",
                ("R-PAPER-VALID", "R-CERT-WHO"),
                number=f"{EXAMPLE_SYMBOL}{example.number}0101",
                valid_until=date.fromisoformat(certificate["valid_until"]),
            )
        )
    h.members = [member]
    notes = {"01": example.case}
    if member.birth_date > check_on - timedelta(days=365 * 18):
        # A child's household needs a householder: a parent, who is no part of the example.
        member.branch, member.relation = "02", "child"
        if member.documents:
            member.documents[0].number = f"{EXAMPLE_SYMBOL}{example.number}0201"
        h.members.insert(
            0,
            person(
                "01",
                "藤田 香織 フジタ カオリ ♀",
                "主",
                date(1988, 6, 14),
                enrolled_on=date(2020, 4, 1),
                myna=myna(as_of),
            ),
        )
        notes = {"01": "（例の子の世帯主）", "02": example.case}
    if "premium_arrears_since" in request:
        h.arrears = [ArrearsPlan(date.fromisoformat(request["premium_arrears_since"]))]
    plan_determinations(h, as_of, small_pension)
    # The example's person gets documents only after the example's day (which sees none of
    # them); a parent added as householder has the usual history.
    complete_documents(h, as_of, ShowcaseIssuer({}), start=check_on + ONE_DAY, members=[member])
    complete_documents(h, as_of, ShowcaseIssuer({}), members=h.members[:-1])
    example_branch = member.branch
    return Showcase(
        h, example.title, False, check_on, expects={example_branch: example.expect}, notes=notes
    )


def example_showcase(as_of: date) -> list[Showcase]:
    """The 9102 households: the worked examples' people, with history up to `as_of`."""
    return [_example_household(ex, i, as_of) for i, ex in enumerate(WORKED_EXAMPLES)]
