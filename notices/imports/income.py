"""Income figures of the 70–74 members for a fiscal year, and the household's 2割/3割 from them.

One line per member and fiscal year: 課税所得 (taxable income), 旧ただし書所得, 収入, and whether
the household applied for the 基準収入額 test (one answer per household). A household's lines come
together. The figures become IncomeRecord rows; then the household's category is decided by the
rules' household function (`rules.income.decide_income_category`, R-RATIO) on 1 August of the
fiscal year (`determination_effective_from`), and on the day a member with figures starts the
70–74 rate later in that year, and stored as a BurdenDetermination effective from that day, which
the facts builder reads. Figures of members not in the file are taken from the records.

Lines may also give the figures of a former member (旧国保被保険者: now in 後期高齢者医療, still in
the household), which the 520万円 test adds. Dependants' incomes are not part of the file: members
under 19 count as dependants with no income, as the demo data does (ADR 0009).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

from django.db.models import Model, Q

from eligibility.models import (
    BurdenDetermination,
    Enrolment,
    Household,
    IncomeRecord,
    InsuredPerson,
)
from eligibility.rules.dates import (
    ONE_DAY,
    add_months,
    age_on,
    anniversary,
    first_of_month,
    reaches_age_on,
)
from eligibility.rules.income import (
    Dependant,
    ElderlyMember,
    FormerMember,
    HouseholdIncome,
    decide_income_category,
    determination_effective_from,
)
from eligibility.rules.policy import Policy, policy_at
from notices.imports import bulk, cells
from notices.imports.base import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Change,
    Context,
    GroupPlan,
    LineReader,
)
from notices.imports.errors import LineError
from notices.imports.reading import Column, Header

COLUMNS: tuple[Column, ...] = (
    Column("fiscal_year", ("年度",)),
    Column("insured_number", ("被保険者番号", "記号番号枝番")),
    Column("taxable_income", ("課税所得", "課税標準額")),
    Column("old_proviso_income", ("旧ただし書所得",)),
    Column("income", ("収入", "収入額")),
    Column("base_income_application", ("基準収入額適用申請", "基準収入額申請")),
)
FIGURES = ("taxable_income", "old_proviso_income", "income")


@dataclass(slots=True)
class IncomeRow:
    line: int
    fiscal_year: int
    symbol: str
    number: str
    branch: str
    taxable_income: int
    old_proviso_income: int
    income: int
    base_income_application: bool

    @property
    def insured_number(self) -> str:
        return f"{self.symbol}-{self.number}-{self.branch}"

    @property
    def figures(self) -> tuple[int, int, int]:
        return (self.taxable_income, self.old_proviso_income, self.income)


@dataclass(frozen=True, slots=True)
class Member:
    pk: int
    branch: str
    birth_date: date


@dataclass(slots=True)
class StoredHousehold:
    pk: int
    householder_id: int | None
    members: dict[str, Member] = field(default_factory=dict)


@dataclass(slots=True)
class Snapshot:
    households: dict[tuple[str, str], StoredHousehold] = field(default_factory=dict)
    # person -> [(enrolled_on, withdrawn_on, withdrawal_reason)]
    periods: dict[int, list[tuple[date, date | None, str]]] = field(default_factory=dict)
    # (person, fiscal year) -> (pk, figures)
    incomes: dict[tuple[int, int], tuple[int, tuple[int, int, int]]] = field(default_factory=dict)
    # (household, effective_from) -> (pk, category, application)
    determinations: dict[tuple[int, date], tuple[int, str, bool]] = field(default_factory=dict)


@dataclass(slots=True)
class Writes:
    new_incomes: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    income_updates: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (household, day, category, application, rule ids, existing pk or None)
    determinations: list[tuple[int, date, str, bool, list[str], int | None]] = field(
        default_factory=list
    )


def year_bounds(fiscal_year: int) -> tuple[date, date]:
    """The first and last day a fiscal year's figures apply: 1 August to 31 July."""
    start = determination_effective_from(date(fiscal_year, 12, 31))
    end = determination_effective_from(date(fiscal_year + 1, 12, 31)) - ONE_DAY
    return start, end


def elderly_from(birth_date: date, policy: Policy) -> date:
    """R-AGE70: the 70–74 rate starts on the 1st of the month after the month age 70 is reached."""
    return first_of_month(add_months(reaches_age_on(birth_date, policy.elderly_age), 1))


class IncomeKind:
    name: ClassVar[str] = "income"
    columns: ClassVar[tuple[Column, ...]] = COLUMNS
    groups_households: ClassVar[bool] = True
    analysed: ClassVar[dict[type[Model], tuple[str, ...]]] = {
        IncomeRecord: ("person",),
        BurdenDetermination: ("household",),
    }

    def group_key(self, fields: list[str], header: Header) -> Hashable | None:
        try:
            symbol, number, _branch = cells.insured_number(fields[header.index["insured_number"]])
        except cells.Bad:
            return None
        return (symbol, number, cells.half_width(fields[header.index["fiscal_year"]]))

    def row_key(self, row: IncomeRow) -> Hashable:
        return row.branch

    def parser(
        self, header: Header, ctx: Context
    ) -> Callable[[list[str], int], tuple[IncomeRow | None, list[LineError]]]:
        def parse(fields: list[str], line: int) -> tuple[IncomeRow | None, list[LineError]]:
            return self._parse(fields, header, line, ctx)

        return parse

    def _parse(
        self, fields: list[str], header: Header, line: int, ctx: Context
    ) -> tuple[IncomeRow | None, list[LineError]]:
        read = LineReader(fields, header, line)
        year = read("fiscal_year", cells.fiscal_year)
        number = read("insured_number", cells.insured_number)
        figures = [read(name, cells.amount) for name in FIGURES]
        application = read("base_income_application", cells.flag)
        if read.errors:
            return None, read.errors
        return (
            IncomeRow(line, year, *number, *figures, base_income_application=application),
            [],
        )

    def check_group(self, rows: Sequence[IncomeRow], header: Header) -> list[LineError]:
        first = rows[0]
        return [
            LineError(
                row.line,
                header.label("base_income_application"),
                "application_mismatch",
                {"line": first.line},
            )
            for row in rows[1:]
            if row.base_income_application != first.base_income_application
        ]

    def snapshot(self, groups: Sequence[Sequence[IncomeRow]], ctx: Context) -> Snapshot:
        snap = Snapshot()
        by_symbol: dict[str, set[str]] = defaultdict(set)
        years = set()
        for rows in groups:
            by_symbol[rows[0].symbol].add(rows[0].number)
            years.add(rows[0].fiscal_year)
        if not by_symbol:
            return snap
        condition = Q()
        for symbol, numbers in by_symbol.items():
            condition |= Q(symbol=symbol, number__in=sorted(numbers))
        by_pk: dict[int, StoredHousehold] = {}
        for pk, symbol, number, householder_id in Household.objects.filter(condition).values_list(
            "pk", "symbol", "number", "householder_id"
        ):
            by_pk[pk] = snap.households[(symbol, number)] = StoredHousehold(pk, householder_id)
        if not by_pk:
            return snap
        persons = []
        for pk, household_id, branch, birth in InsuredPerson.objects.filter(
            household_id__in=list(by_pk)
        ).values_list("pk", "household_id", "branch", "birth_date"):
            by_pk[household_id].members[branch] = Member(pk, branch, birth)
            persons.append(pk)
        for person_id, *period in Enrolment.objects.filter(person_id__in=persons).values_list(
            "person_id", "enrolled_on", "withdrawn_on", "withdrawal_reason"
        ):
            snap.periods.setdefault(person_id, []).append(tuple(period))  # type: ignore[arg-type]
        for pk, person_id, year, *figures in IncomeRecord.objects.filter(
            person_id__in=persons, fiscal_year__in=sorted(years)
        ).values_list("pk", "person_id", "fiscal_year", *FIGURES):
            snap.incomes[(person_id, year)] = (pk, tuple(figures))  # type: ignore[assignment]
        first = min(year_bounds(year)[0] for year in years)
        last = max(year_bounds(year)[1] for year in years)
        for pk, household_id, day, category, application in BurdenDetermination.objects.filter(
            household_id__in=list(by_pk), effective_from__gte=first, effective_from__lte=last
        ).values_list(
            "pk", "household_id", "effective_from", "category", "base_income_application"
        ):
            snap.determinations[(household_id, day)] = (pk, category, application)
        return snap

    def plan_group(
        self,
        rows: Sequence[IncomeRow],
        snap: Snapshot,
        header: Header,
        ctx: Context,
        *,
        partial: bool,
        changes: bool = True,
    ) -> GroupPlan:
        first = rows[0]
        plan = GroupPlan(lines=[row.line for row in rows], record=changes)
        writes = Writes()
        plan.writes = writes
        household = snap.households.get((first.symbol, first.number))
        column = header.label("insured_number")
        year = first.fiscal_year
        start, end = year_bounds(year)
        policy = policy_at(start)
        figures: dict[int, tuple[int, int, int]] = {}
        for row in rows:
            member = household.members.get(row.branch) if household is not None else None
            if member is None:
                plan.errors.append(LineError(row.line, column, "unknown_person"))
                continue
            if not self._counts(member, snap, start, end, policy):
                plan.errors.append(
                    LineError(
                        row.line,
                        column,
                        "not_elderly",
                        {"year": year, "start": start.isoformat(), "end": end.isoformat()},
                    )
                )
                continue
            figures[member.pk] = row.figures
            stored = snap.incomes.get((member.pk, year))
            if stored is None:
                writes.new_incomes.append((member.pk, year, *row.figures))
                plan.outcomes[row.line] = CREATED
                code = "income_recorded"
            elif stored[1] != row.figures:
                writes.income_updates.append((*row.figures, stored[0]))
                plan.outcomes[row.line] = UPDATED
                code = "income_changed"
            else:
                plan.outcomes[row.line] = UNCHANGED
                continue
            plan.lock_persons.add(member.pk)
            plan.changes.append(
                Change(row.line, code, {"number": row.insured_number, "year": year})
            )
        if plan.errors or partial or household is None:
            return plan
        for member in household.members.values():
            stored = snap.incomes.get((member.pk, year))
            if member.pk not in figures and stored is not None:
                figures[member.pk] = stored[1]
        self._plan_determinations(rows, household, figures, snap, plan, writes, header, start, end)
        return plan

    def _covered(self, person: int, snap: Snapshot, day: date) -> bool:
        return any(
            start <= day and (until is None or day < until)
            for start, until, _reason in snap.periods.get(person, [])
        )

    def _counts(
        self, member: Member, snap: Snapshot, start: date, end: date, policy: Policy
    ) -> bool:
        """Whether the member is a 70–74 member insured on some day of the fiscal year, or a
        former member (in 後期高齢者医療 by then) whose income the 520万円 test may add."""
        begins = max(start, elderly_from(member.birth_date, policy))
        stops = min(end + ONE_DAY, anniversary(member.birth_date, policy.late_elderly_age))
        for enrolled, withdrawn, _reason in snap.periods.get(member.pk, []):
            if enrolled < stops and (withdrawn is None or begins < withdrawn) and begins < stops:
                return True
        return self._former_on(member, snap, end, policy)

    def _former_on(self, member: Member, snap: Snapshot, day: date, policy: Policy) -> bool:
        if anniversary(member.birth_date, policy.late_elderly_age) > day:
            return False
        return any(
            enrolled <= day and reason in ("", "late_elderly")
            for enrolled, _withdrawn, reason in snap.periods.get(member.pk, [])
        )

    def _plan_determinations(
        self,
        rows: Sequence[IncomeRow],
        household: StoredHousehold,
        figures: dict[int, tuple[int, int, int]],
        snap: Snapshot,
        plan: GroupPlan,
        writes: Writes,
        header: Header,
        start: date,
        end: date,
    ) -> None:
        first = rows[0]
        year = first.fiscal_year
        application = first.base_income_application
        column = header.label("insured_number")
        members = list(household.members.values())
        days = {start}
        for member in members:
            begins = elderly_from(member.birth_date, policy_at(start))
            if member.pk in figures and start < begins <= end:
                days.add(begins)
        head = next((m for m in members if m.pk == household.householder_id), None)
        number = f"{first.symbol}-{first.number}"
        for day in sorted(days):
            policy = policy_at(day)
            elderly = [
                m
                for m in members
                if elderly_from(m.birth_date, policy)
                <= day
                < anniversary(m.birth_date, policy.late_elderly_age)
                and self._covered(m.pk, snap, day)
            ]
            if not elderly:
                continue
            missing = [m for m in elderly if m.pk not in figures]
            former = [m for m in members if self._former_on(m, snap, day, policy)]
            if application:
                missing += [m for m in former if m.pk not in figures]
            if missing:
                for m in missing:
                    code = "member_without_income" if m in elderly else "former_without_income"
                    plan.errors.append(
                        LineError(
                            first.line,
                            column,
                            code,
                            {"number": f"{number}-{m.branch}", "year": year},
                        )
                    )
                continue
            facts = HouseholdIncome(
                members=tuple(
                    ElderlyMember(
                        birth_date=m.birth_date,
                        taxable_income=figures[m.pk][0],
                        old_proviso_income=figures[m.pk][1],
                        income=figures[m.pk][2],
                        is_householder=m is head,
                    )
                    for m in elderly
                ),
                former_members=tuple(
                    FormerMember(income=figures[m.pk][2]) for m in former if m.pk in figures
                ),
                base_income_application=application,
                householder_is_70_or_over=head is not None
                and age_on(head.birth_date, day + ONE_DAY) >= policy.elderly_age,
                dependants=tuple(
                    Dependant(birth_date=m.birth_date, total_income=0)
                    for m in members
                    if m.birth_date <= day
                    and age_on(m.birth_date, day + ONE_DAY) < policy.dependant_age_limit
                ),
            )
            decision = decide_income_category(facts, reference_date=day, policy=policy)
            category = decision.category.value
            stored = snap.determinations.get((household.pk, day))
            if stored is not None and stored[1:] == (category, application):
                continue
            writes.determinations.append(
                (
                    household.pk,
                    day,
                    category,
                    application,
                    list(decision.rule_ids),
                    stored[0] if stored is not None else None,
                )
            )
            plan.lock_households.add(household.pk)
            if plan.outcomes.get(first.line) == UNCHANGED:
                plan.outcomes[first.line] = UPDATED
            plan.changes.append(
                Change(
                    first.line,
                    "determination",
                    {"number": number, "category": category, "day": day.isoformat()},
                )
            )

    def apply(self, plans: Sequence[GroupPlan], ctx: Context) -> None:
        writes: list[Writes] = [plan.writes for plan in plans]
        bulk.insert(
            IncomeRecord,
            ("person", "fiscal_year", *FIGURES),
            [row for w in writes for row in w.new_incomes],
        )
        bulk.update(IncomeRecord, FIGURES, [row for w in writes for row in w.income_updates])
        fields = ("household", "effective_from", "category", "base_income_application")
        bulk.insert(
            BurdenDetermination,
            (*fields, "rule_ids", "decided_at"),
            [
                (household, day, category, application, rules, ctx.now)
                for w in writes
                for household, day, category, application, rules, pk in w.determinations
                if pk is None
            ],
        )
        bulk.update(
            BurdenDetermination,
            ("category", "base_income_application", "rule_ids", "decided_at"),
            [
                (category, application, rules, ctx.now, pk)
                for w in writes
                for _household, _day, category, application, rules, pk in w.determinations
                if pk is not None
            ],
        )
