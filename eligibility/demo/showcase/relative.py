"""The 記号 9101 showcase households: dates computed from the seeding as-of date.

Each household shows one or more rule paths on whatever day the demo is seeded; the expectations
hold on every day from EARLIEST_AS_OF on (a test sweeps years of month edges).
"""

from __future__ import annotations

from datetime import date, timedelta

from eligibility.demo.history import complete_documents, plan_determinations
from eligibility.demo.plan import (
    ArrearsPlan,
    EventPlan,
    IncomeFigures,
)
from eligibility.demo.showcase.base import (
    NOT_INSURED,
    Showcase,
    ShowcaseIssuer,
    address,
    born,
    born_in_month,
    due,
    expect,
    household,
    leap_year_in,
    months_before,
    myna,
    person,
    small_pension,
)
from eligibility.rules.dates import (
    ONE_DAY,
    add_months,
    anniversary,
    end_of_month,
    end_of_nth_month_after,
    first_of_month,
    reaches_age_on,
)
from eligibility.rules.policy import policy_at
from eligibility.rules.validity import cycle_end_on_or_after

# The rules re-raise a reason an earlier お知らせ settled (paper_card_expiry, new_enrolment, …) as
# a certificate once マイナ保険証 stops working, ahead of the reason that applies now.

# --- the as-of-relative showcase ------------------------------------------------------------------


def relative_showcase(as_of: date) -> list[Showcase]:
    """The 9101 households for `as_of` (on or after EARLIEST_AS_OF)."""
    a = as_of
    month = first_of_month(a)
    next_month = add_months(month, 1)
    month_end = end_of_month(a)
    cases: list[Showcase] = []

    def add(show: Showcase, pending_for: dict[str, date] | None = None) -> None:
        issuer = ShowcaseIssuer(pending_for or {})
        plan_determinations(show.household, a, small_pension)
        complete_documents(show.household, a, issuer)
        cases.append(show)

    # 0001: nothing to do with マイナ保険証.
    h = household("0001", address("131-0045", 1, 1, 2))
    h.members = [
        person("01", "佐藤 健一 サトウ ケンイチ ♂", "主", born(a, 46, 4, 18), myna=myna(a)),
        person("02", "佐藤 美咲 サトウ ミサキ ♀", "妻", born(a, 44, 9, 3), myna=myna(a)),
    ]
    add(
        Showcase(
            h,
            "マイナ保険証があれば手続き不要",
            True,
            a,
            expects={
                "01": expect(myna=(True, None), certificate=(False, "none")),
                "02": expect(myna=(True, None)),
            },
            notes={"01": "マイナ保険証で受診。交付予定の書類なし", "02": "同上"},
        )
    )

    # 0002: turns 70 this month, with マイナ保険証 -> お知らせ.
    h = household("0002", address("131-0032", 2, 14, 7))
    h.members = [
        person(
            "01",
            "鈴木 一郎 スズキ イチロウ ♂",
            "主",
            born_in_month(month, 70, 15),
            enrolled_on=date(2016, 4, 1),
            myna=myna(a, date(2023, 6, 1)),
        ),
        person(
            "02",
            "鈴木 和子 スズキ カズコ ♀",
            "妻",
            born(a, 67, 2, 11),
            enrolled_on=date(2019, 4, 1),
            myna=myna(a),
        ),
    ]
    add(
        Showcase(
            h,
            "今月70歳・マイナ保険証あり（お知らせに負担割合2割）",
            True,
            a,
            expects={
                "01": expect(
                    documents=(due("notice", "turns_70", month_end),),
                    elderly=False,
                    myna=(True, None),
                ),
                "02": expect(),
            },
            notes={"01": "今月下旬に資格情報のお知らせ（来月1日から2割）", "02": "交付予定なし"},
        ),
        pending_for={"01": month},
    )

    # 0003: turns 70 this month, without マイナ保険証 -> 資格確認書.
    h = household("0003", address("131-0046", 3, 5, 11))
    h.members = [
        person(
            "01",
            "高橋 次郎 タカハシ ジロウ ♂",
            "主",
            born_in_month(month, 70, 20),
            enrolled_on=date(2015, 10, 1),
        ),
    ]
    add(
        Showcase(
            h,
            "今月70歳・マイナ保険証なし（資格確認書に負担割合2割）",
            True,
            a,
            expects={
                "01": expect(
                    documents=(due("certificate", "turns_70", month_end),),
                    elderly=False,
                    myna=(False, "not_registered"),
                    certificate=(True, None),
                ),
            },
            notes={"01": "今月下旬に負担割合を記載した資格確認書"},
        ),
        pending_for={"01": month},
    )

    # 0004: born on the 1st of next month: the month of turning 70 is this month.
    h = household("0004", address("131-0044", 1, 8, 3))
    h.members = [
        person(
            "01",
            "田中 三郎 タナカ サブロウ ♂",
            "主",
            born_in_month(next_month, 70, 1),
            enrolled_on=date(2017, 4, 1),
            myna=myna(a, date(2022, 11, 20)),
        ),
    ]
    add(
        Showcase(
            h,
            "来月1日生まれ：70歳になる月は今月",
            True,
            a,
            expects={
                "01": expect(
                    documents=(due("notice", "turns_70", month_end),), age=69, elderly=False
                ),
            },
            notes={"01": "1日生まれは誕生月の前月に70歳。今月お知らせ"},
        ),
        pending_for={"01": month},
    )

    # 0005: born on 29 February.
    leap_elder = leap_year_in(a.year - 74, a.year - 71)
    leap_child = leap_year_in(a.year - 4, a.year - 1)
    h = household("0005", address("130-0014", 2, 3, 9))
    h.members = [
        person(
            "01",
            "伊藤 勝 イトウ マサル ♂",
            "主",
            date(leap_elder, 2, 29),
            enrolled_on=date(2012, 4, 1),
            myna=myna(a),
        ),
        person(
            "02",
            "伊藤 由美 イトウ ユミ ♀",
            "子",
            born(a, 38, 7, 7),
            enrolled_on=date(2021, 4, 1),
            myna=myna(a),
        ),
        person("03", "伊藤 さくら イトウ サクラ ♀", "他", date(leap_child, 2, 29)),
    ]
    add(
        Showcase(
            h,
            "2月29日生まれ（うるう日の年齢計算）",
            True,
            a,
            expects={
                "01": expect(ratio=20, elderly=True, myna=(True, None)),
                "02": expect(),
                "03": expect(ratio=20, certificate=(True, None)),
            },
            notes={
                "01": f"70〜74歳で2割。75歳の誕生日は{anniversary(date(leap_elder, 2, 29), 75)}",
                "02": "交付予定なし",
                "03": "就学前で2割（資格確認書）",
            },
        )
    )

    # 0006: turning 75 next month / just turned 75.
    turned_75 = a - timedelta(days=10)
    wife_born = date(turned_75.year - 75, turned_75.month, min(turned_75.day, 28))
    h = household("0006", address("131-0041", 4, 12, 1))
    h.members = [
        person(
            "01",
            "渡辺 清 ワタナベ キヨシ ♂",
            "主",
            born_in_month(next_month, 75, 10),
            enrolled_on=date(2011, 4, 1),
        ),
        person(
            "02",
            "渡辺 節子 ワタナベ セツコ ♀",
            "妻",
            wife_born,
            enrolled_on=date(2011, 4, 1),
            myna=myna(a),
            withdrawn_on=anniversary(wife_born, 75),
            withdrawal_reason="late_elderly",
        ),
    ]
    add(
        Showcase(
            h,
            "まもなく75歳／75歳になったばかり（後期高齢者医療へ）",
            True,
            a,
            expects={
                "01": expect(ratio=20, age=74, elderly=True, certificate=(True, None)),
                "02": NOT_INSURED,
            },
            notes={
                "01": "資格確認書は75歳の誕生日の前日まで。更新なし",
                "02": "75歳の誕生日から後期高齢者医療。国保の資格なし",
            },
        )
    )

    # 0007: 70–74 household with active-level income (3割).
    h = household("0007", address("130-0026", 3, 21, 4))
    h.members = [
        person(
            "01",
            "山本 茂 ヤマモト シゲル ♂",
            "主",
            born(a, 73, 5, 12),
            enrolled_on=date(2013, 6, 1),
            myna=myna(a),
            base_income=IncomeFigures(2_800_000, 4_000_000, 6_500_000),
        ),
        person(
            "02",
            "山本 洋子 ヤマモト ヨウコ ♀",
            "妻",
            born(a, 71, 10, 5),
            enrolled_on=date(2013, 6, 1),
            myna=myna(a),
            base_income=IncomeFigures(0, 0, 1_200_000),
        ),
    ]
    add(
        Showcase(
            h,
            "70〜74歳・現役並み所得の世帯（3割）",
            True,
            a,
            expects={
                "01": expect(ratio=30, elderly=True),
                "02": expect(ratio=30, elderly=True),
            },
            notes={
                "01": "課税所得280万円（145万円以上）→ 世帯の70〜74歳は3割",
                "02": "本人の所得がなくても同じ世帯なので3割",
            },
        )
    )

    # 0008: pre-school child (2割 until 31 March) and a schoolchild (3割).
    h = household("0008", address("130-0021", 2, 6, 15))
    h.members = [
        person(
            "01",
            "中村 大輔 ナカムラ ダイスケ ♂",
            "主",
            born(a, 38, 6, 2),
            enrolled_on=date(2016, 4, 1),
            myna=myna(a),
        ),
        person(
            "02",
            "中村 恵 ナカムラ メグミ ♀",
            "妻",
            born(a, 36, 1, 25),
            enrolled_on=date(2016, 4, 1),
            myna=myna(a),
        ),
        person(
            "03",
            "中村 陽太 ナカムラ ヨウタ ♂",
            "子",
            months_before(a, 5 * 12 + 3, 12),
            enrolled_on=date(2016, 4, 1),
        ),
        person(
            "04",
            "中村 結衣 ナカムラ ユイ ♀",
            "子",
            months_before(a, 7 * 12 + 6, 9),
            enrolled_on=date(2016, 4, 1),
        ),
    ]
    add(
        Showcase(
            h,
            "就学前の子ども（3月31日まで2割）",
            True,
            a,
            expects={
                "01": expect(),
                "02": expect(),
                "03": expect(ratio=20, certificate=(True, None)),
                "04": expect(ratio=30, certificate=(True, None)),
            },
            notes={
                "01": "交付予定なし",
                "02": "交付予定なし",
                "03": "6歳に達した日以後の最初の3月31日まで2割",
                "04": "小学生は3割",
            },
        )
    )

    # 0009: new enrolment after leaving a job, without マイナ保険証.
    h = household("0009", address("131-0033", 1, 17, 6))
    h.members = [
        person(
            "01",
            "小林 直樹 コバヤシ ナオキ ♂",
            "主",
            born(a, 41, 7, 20),
            enrolled_on=a - timedelta(days=5),
        ),
    ]
    add(
        Showcase(
            h,
            "退職して新たに国保へ加入・マイナ保険証なし",
            True,
            a,
            expects={
                "01": expect(
                    documents=(due("certificate", "new_enrolment"),),
                    myna=(False, "not_registered"),
                    certificate=(False, "none"),
                    paper_card=(False, "none"),
                ),
            },
            notes={"01": "申請なしで資格確認書を交付"},
        ),
        pending_for={"01": a - timedelta(days=5)},
    )

    # 0010: new enrolment after leaving a job, with マイナ保険証.
    h = household("0010", address("130-0013", 1, 2, 8))
    h.members = [
        person(
            "01",
            "加藤 愛 カトウ アイ ♀",
            "主",
            born(a, 33, 3, 8),
            enrolled_on=a - timedelta(days=3),
            myna=myna(a, date(2023, 2, 14)),
        ),
    ]
    add(
        Showcase(
            h,
            "退職して新たに国保へ加入・マイナ保険証あり",
            True,
            a,
            expects={
                "01": expect(
                    documents=(due("notice", "new_enrolment"),),
                    notes=("ready_in_about_a_week",),
                    myna=(True, None),
                ),
            },
            notes={"01": "お知らせを交付。手続きの約1週間後からマイナ保険証で受診"},
        ),
        pending_for={"01": a - timedelta(days=3)},
    )

    # 0011: moved within Sumida a few days ago.
    moved_on = a - timedelta(days=4)
    before = address("131-0031", 3, 9, 2)
    h = household("0011", address("131-0043", 5, 2, 10))
    moved = {"previous_postal_code": before[0], "previous_address": before[1]}
    h.members = [
        person(
            "01",
            "吉田 誠 ヨシダ マコト ♂",
            "主",
            born(a, 52, 11, 30),
            myna=myna(a),
            events=[EventPlan(moved_on, "address_change", dict(moved))],
        ),
        person(
            "02",
            "吉田 典子 ヨシダ ノリコ ♀",
            "妻",
            born(a, 50, 3, 16),
            events=[EventPlan(moved_on, "address_change", dict(moved))],
        ),
    ]
    add(
        Showcase(
            h,
            "区内で転居（住所の変更）",
            True,
            a,
            expects={
                "01": expect(documents=(due("notice", "contents_changed"),), myna=(True, None)),
                "02": expect(
                    documents=(due("certificate", "contents_changed"),), certificate=(True, None)
                ),
            },
            notes={"01": "新しい住所のお知らせ", "02": "新しい住所の資格確認書"},
        ),
        pending_for={"01": moved_on, "02": moved_on},
    )

    # 0012: paper card lost (a certificate on application).
    h = household("0012", address("130-0004", 2, 11, 5))
    h.members = [
        person(
            "01",
            "山田 浩 ヤマダ ヒロシ ♂",
            "主",
            born(a, 58, 8, 8),
            events=[EventPlan(date(2025, 6, 10), "paper_card_lost")],
        ),
        person(
            "02",
            "山田 恵子 ヤマダ ケイコ ♀",
            "妻",
            born(a, 57, 12, 1),
            events=[EventPlan(date(2025, 5, 20), "paper_card_lost")],
            applies_for=frozenset({"paper_card_lost"}),
        ),
    ]
    add(
        Showcase(
            h,
            "紙の保険証を紛失（申請で資格確認書）",
            True,
            a,
            expects={
                "01": expect(
                    documents=(due("certificate", "paper_card_lost", on_application=True),),
                    paper_card=(False, "lost"),
                    certificate=(False, "none"),
                ),
                "02": expect(certificate=(True, None)),
            },
            notes={
                "01": "まだ申請していない → 申請すれば資格確認書",
                "02": "申請済み → 資格確認書で受診",
            },
        )
    )

    # 0013: My Number card lost (a certificate on application).
    h = household("0013", address("131-0034", 1, 4, 4))
    lost_on, suspended_on = a - timedelta(days=12), a - timedelta(days=30)
    h.members = [
        person(
            "01",
            "木村 拓也 キムラ タクヤ ♂",
            "主",
            born(a, 36, 5, 27),
            myna=myna(a, date(2022, 9, 1), card_status="lost", status_changed_on=lost_on),
            events=[EventPlan(lost_on, "myna_card_lost")],
        ),
        person(
            "02",
            "木村 舞 キムラ マイ ♀",
            "妻",
            born(a, 34, 10, 19),
            myna=myna(a, date(2022, 9, 1), card_status="suspended", status_changed_on=suspended_on),
            events=[EventPlan(suspended_on, "myna_card_lost")],
            applies_for=frozenset({"myna_card_lost"}),
        ),
    ]
    add(
        Showcase(
            h,
            "マイナンバーカードを紛失（申請で資格確認書）",
            True,
            a,
            expects={
                "01": expect(
                    documents=(due("certificate", "myna_card_lost", on_application=True),),
                    myna=(False, "card_not_valid"),
                    certificate=(False, "none"),
                ),
                "02": expect(myna=(False, "card_not_valid"), certificate=(True, None)),
            },
            notes={
                "01": "再交付まで1〜2か月。申請すれば資格確認書",
                "02": "一時停止中。申請して資格確認書を受け取った",
            },
        ),
        pending_for={"01": lost_on},
    )

    # 0014: e-certificate expired, within the grace period.
    expired_on = a - timedelta(days=40)
    h = household("0014", address("130-0022", 4, 7, 12))
    h.members = [
        person(
            "01",
            "林 修 ハヤシ オサム ♂",
            "主",
            born(a, 61, 2, 2),
            myna=myna(a, date(2021, 11, 1), e_cert_valid_until=expired_on),
        ),
    ]
    add(
        Showcase(
            h,
            "電子証明書の有効期限切れ（3か月の猶予期間中）",
            True,
            a,
            expects={
                "01": expect(
                    documents=(
                        due(
                            "certificate",
                            "myna_cert_expired",
                            end_of_nth_month_after(expired_on, 3),
                        ),
                    ),
                    notes=("myna_cert_grace",),
                    myna=(True, None),
                ),
            },
            notes={"01": "猶予期間中はマイナ保険証で受診可。期間内に資格確認書"},
        ),
        pending_for={"01": expired_on + ONE_DAY},
    )

    # 0015: health-insurance registration cancelled.
    cancelled_on = a - timedelta(days=20)
    h = household("0015", address("130-0005", 2, 1, 13))
    h.members = [
        person(
            "01",
            "斎藤 美穂 サイトウ ミホ ♀",
            "主",
            born(a, 29, 6, 6),
            enrolled_on=date(2020, 4, 1),
            myna=myna(a, date(2023, 3, 15)),
            events=[EventPlan(cancelled_on, "myna_registration_cancelled")],
        ),
    ]
    add(
        Showcase(
            h,
            "健康保険証の利用登録を解除",
            True,
            a,
            expects={
                "01": expect(
                    documents=(due("certificate", "myna_registration_cancelled"),),
                    myna=(False, "not_registered"),
                ),
            },
            notes={"01": "申請なしで資格確認書を交付"},
        ),
        pending_for={"01": cancelled_on},
    )

    # 0016: needs support (要配慮者).
    registered_on = a - timedelta(days=7)
    h = household("0016", address("130-0012", 3, 15, 8))
    h.members = [
        person(
            "01",
            "松本 武 マツモト タケシ ♂",
            "主",
            born(a, 68, 9, 9),
            enrolled_on=date(2018, 4, 1),
            myna=myna(a, date(2023, 8, 1)),
            needs_support=True,
            needs_support_since=registered_on,
        ),
        person(
            "02",
            "松本 幸子 マツモト サチコ ♀",
            "妻",
            born(a, 66, 4, 4),
            enrolled_on=date(2018, 4, 1),
            needs_support=True,
            needs_support_since=date(2025, 1, 15),
        ),
    ]
    add(
        Showcase(
            h,
            "要配慮者（マイナ保険証の利用に支援が必要）",
            True,
            a,
            expects={
                "01": expect(documents=(due("certificate", "needs_support"),), myna=(True, None)),
                "02": expect(certificate=(True, None)),
            },
            notes={
                "01": "要配慮者として登録 → 申請なしで資格確認書",
                "02": "登録済み。更新も申請不要",
            },
        ),
        pending_for={"01": registered_on},
    )

    # 0017: premiums unpaid for less than a year.
    h = household("0017", address("130-0003", 1, 10, 1))
    h.members = [
        person("01", "井上 隆 イノウエ タカシ ♂", "主", born(a, 50, 1, 30), myna=myna(a)),
    ]
    h.arrears = [ArrearsPlan(months_before(a, 5, 1))]
    add(
        Showcase(
            h,
            "保険料の未納（1年未満）",
            True,
            a,
            expects={
                "01": expect(notes=("limit_category_unconfirmable",), myna=(True, None)),
            },
            notes={"01": "限度額区分を確認できない → 保険料係へ相談"},
        )
    )

    # 0018: premiums unpaid for more than a year; a child under 18 is excluded.
    h = household("0018", address("131-0041", 2, 19, 3))
    h.members = [
        person("01", "清水 剛 シミズ ツヨシ ♂", "主", born(a, 47, 8, 31), myna=myna(a)),
        person("02", "清水 直美 シミズ ナオミ ♀", "妻", born(a, 45, 12, 12)),
        person("03", "清水 蓮 シミズ レン ♂", "子", months_before(a, 15 * 12 + 4, 14)),
    ]
    h.arrears = [ArrearsPlan(months_before(a, 16, 1))]
    add(
        Showcase(
            h,
            "保険料の未納（1年以上）：特別療養費、18歳までの子は対象外",
            True,
            a,
            expects={
                "01": expect(notes=("limit_category_unconfirmable", "special_medical_expenses")),
                "02": expect(notes=("special_medical_expenses",), certificate=(True, None)),
                "03": expect(certificate=(True, None)),
            },
            notes={
                "01": "いったん10割負担（特別療養費）",
                "02": "同上（資格確認書）",
                "03": "18歳到達年度末までの子は対象外",
            },
        )
    )

    # 0019: a certificate expiring within 60 days (renewal due). Turning 70 next month, the
    # certificate ends at the end of that month (or earlier, at the end of the ward's cycle).
    # On the 1st of a month before a 31-day month the end is 61 days away: due from the 2nd.
    birth = born_in_month(next_month, 70, 18)
    # The certificate in hand ends with the cycle or at the end of the month of turning 70.
    expires_on = min(
        cycle_end_on_or_after(a, policy_at(a)), end_of_month(reaches_age_on(birth, 70))
    )
    renewal_from = expires_on - timedelta(days=policy_at(a).renewal_lead_days)
    renewal = (due("certificate", "certificate_expiry", expires_on),) if renewal_from <= a else ()
    h = household("0019", address("131-0032", 5, 8, 6))
    h.members = [
        person("01", "佐々木 明 ササキ アキラ ♂", "主", birth, enrolled_on=date(2016, 10, 1)),
    ]
    add(
        Showcase(
            h,
            "資格確認書の有効期限まで60日以内（更新）",
            True,
            a,
            expects={
                "01": expect(documents=renewal, certificate=(True, None)),
            },
            notes={"01": "来月70歳。有効期限（その月末）前に負担割合入りの更新分"},
        ),
        pending_for={"01": renewal_from},
    )

    # 0020: a household of six with mixed status.
    h = household("0020", address("130-0011", 3, 4, 18))
    h.members = [
        person(
            "01",
            "後藤 正樹 ゴトウ マサキ ♂",
            "主",
            born(a, 46, 5, 5),
            enrolled_on=date(2016, 4, 1),
            myna=myna(a),
        ),
        person(
            "02",
            "後藤 裕子 ゴトウ ユウコ ♀",
            "妻",
            born(a, 44, 3, 3),
            enrolled_on=date(2016, 4, 1),
            myna=myna(a, date(2022, 2, 2), e_cert_valid_until=a - timedelta(days=200)),
        ),
        person(
            "03",
            "後藤 翔 ゴトウ ショウ ♂",
            "子",
            months_before(a, 19 * 12 + 2, 20),
            enrolled_on=date(2016, 4, 1),
            myna=myna(a),
            withdrawn_on=a - timedelta(days=60),
            withdrawal_reason="employment",
        ),
        person(
            "04",
            "後藤 陽菜 ゴトウ ヒナ ♀",
            "子",
            months_before(a, 4 * 12 + 1, 3),
            enrolled_on=date(2016, 4, 1),
        ),
        person(
            "05",
            "後藤 昭 ゴトウ アキラ ♂",
            "親",
            born(a, 72, 6, 21),
            enrolled_on=date(2014, 4, 1),
            myna=myna(a),
        ),
        person(
            "06",
            "後藤 君子 ゴトウ キミコ ♀",
            "親",
            born(a, 68, 8, 21),
            enrolled_on=date(2014, 4, 1),
        ),
    ]
    add(
        Showcase(
            h,
            "6人世帯（世帯主と状況の異なる世帯員）",
            True,
            a,
            expects={
                "01": expect(myna=(True, None)),
                "02": expect(myna=(False, "card_not_valid"), certificate=(True, None)),
                "03": NOT_INSURED,
                "04": expect(ratio=20, certificate=(True, None)),
                "05": expect(ratio=20, elderly=True, myna=(True, None)),
                "06": expect(certificate=(True, None)),
            },
            notes={
                "01": "世帯主。マイナ保険証",
                "02": "電子証明書の猶予切れ → 資格確認書",
                "03": "就職して社会保険へ（資格喪失）",
                "04": "就学前2割（資格確認書）",
                "05": "70〜74歳2割（マイナ保険証）",
                "06": "マイナ保険証なし（資格確認書）",
            },
        )
    )

    # 0021: moved out of Sumida (withdrawn).
    h = household("0021", address("130-0024", 1, 13, 9))
    h.members = [
        person(
            "01",
            "森 健太 モリ ケンタ ♂",
            "主",
            born(a, 31, 12, 24),
            enrolled_on=date(2019, 7, 1),
            myna=myna(a),
            withdrawn_on=a - timedelta(days=25),
            withdrawal_reason="move_out",
        ),
    ]
    add(
        Showcase(
            h,
            "区外へ転出（資格喪失）",
            True,
            a,
            expects={"01": NOT_INSURED},
            notes={"01": "転出日から墨田区国保の資格なし"},
        )
    )
    return cases
