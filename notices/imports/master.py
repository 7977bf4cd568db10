"""The insured master: households, their members, each member's current period of coverage.

One line per person; a household's lines come together and agree on the household columns.
Compared with the records, a line creates the household or person, corrects them, opens a new
period of coverage or ends one. A household whose address or householder changes gets dated
address_change / householder_change life events for every member insured that day, and their
usable paper cards stop being usable, as `eligibility.services.record_address_change` and
`record_householder_change` do; a withdrawal voids the certificate in force and the paper card,
as `withdraw_person` does. The services work one person at a time and assess each one after the
write, which a million-line file cannot afford, so this module writes the same rows in bulk
(ADR 0009); persons and households it changes are locked first, as the services lock them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from operator import attrgetter
from types import SimpleNamespace
from typing import Any, ClassVar

from django.db.models import DateField, Max, Model, Q, Value
from django.db.models.functions import Greatest

from cards.models import Certificate, PaperCard
from eligibility.models import Enrolment, Household, InsuredPerson, LifeEvent
from eligibility.rules.dates import anniversary
from eligibility.rules.policy import parameter, policy_at
from eligibility.search import search_columns_for
from notices.imports import bulk, cells
from notices.imports.base import (
    CREATED,
    UNCHANGED,
    UPDATED,
    Change,
    Context,
    FieldReaders,
    GroupPlan,
    LineReader,
)
from notices.imports.errors import LineError
from notices.imports.reading import Column, Header

COLUMNS: tuple[Column, ...] = (
    Column("symbol", ("記号",)),
    Column("number", ("番号",)),
    Column("branch", ("枝番",)),
    Column("postal_code", ("郵便番号", "〒")),
    Column("address", ("住所",)),
    Column("householder_branch", ("世帯主枝番",)),
    Column("family_name", ("氏", "姓")),
    Column("given_name", ("名",)),
    Column("family_name_kana", ("氏カナ", "姓カナ")),
    Column("given_name_kana", ("名カナ",)),
    Column("birth_date", ("生年月日",)),
    Column("sex", ("性別",)),
    Column("relation", ("続柄",)),
    Column("enrolled_on", ("資格取得日", "取得日")),
    Column("enrolment_reason", ("取得事由",)),
    Column("withdrawn_on", ("資格喪失日", "喪失日"), required=False),
    Column("withdrawal_reason", ("喪失事由",), required=False),
    Column("changed_on", ("異動日",), required=False),
)

SEX = {"1": "1", "2": "2", "m": "1", "f": "2", "male": "1", "female": "2"} | {
    "男": "1",
    "女": "2",
    "男性": "1",
    "女性": "2",
}
RELATION = {value: value for value in InsuredPerson.Relation.values} | {
    "世帯主": "householder",
    "本人": "householder",
    "配偶者": "spouse",
    "妻": "spouse",
    "夫": "spouse",
    "子": "child",
    "長男": "child",
    "長女": "child",
    "次男": "child",
    "次女": "child",
    "父": "parent",
    "母": "parent",
    "親": "parent",
    "その他": "other",
}
ENROLMENT_REASON = {value: value for value in Enrolment.Reason.values} | {
    "離職": "job_loss",
    "社保離脱": "job_loss",
    "社保喪失": "job_loss",
    "転入": "move_in",
    "出生": "birth",
    "生保廃止": "welfare_ended",
    "生活保護廃止": "welfare_ended",
    "その他": "other",
}
WITHDRAWAL_REASON = {value: value for value in Enrolment.WithdrawalReason.values} | {
    "転出": "move_out",
    "社保加入": "employment",
    "就職": "employment",
    "死亡": "death",
    "生保開始": "welfare",
    "生活保護開始": "welfare",
    "後期高齢者医療": "late_elderly",
    "75歳到達": "late_elderly",
    "その他": "other",
}

PERSON_FIELDS = (
    "family_name",
    "given_name",
    "family_name_kana",
    "given_name_kana",
    "birth_date",
    "sex",
    "relation",
)
_LIMITS = {
    name: InsuredPerson._meta.get_field(name).max_length  # type: ignore[union-attr]
    for name in PERSON_FIELDS[:4]
}
_ADDRESS_LIMIT: int = Household._meta.get_field("address").max_length or 200  # type: ignore[union-attr]
_ID_LIMIT: int = Household._meta.get_field("number").max_length or 20  # type: ignore[union-attr]
SPEC: tuple[tuple[str, Any, dict[str, Any]], ...] = (
    ("symbol", cells.digits, {"limit": _ID_LIMIT}),
    ("number", cells.digits, {"limit": _ID_LIMIT}),
    ("branch", cells.branch, {}),
    ("postal_code", cells.postal_code, {}),
    ("address", cells.text, {"limit": _ADDRESS_LIMIT}),
    ("householder_branch", cells.branch, {}),
    ("family_name", cells.text, {"limit": _LIMITS["family_name"]}),
    ("given_name", cells.text, {"limit": _LIMITS["given_name"]}),
    ("family_name_kana", cells.kana, {"limit": _LIMITS["family_name_kana"]}),
    ("given_name_kana", cells.kana, {"limit": _LIMITS["given_name_kana"]}),
    ("birth_date", cells.read_date, {}),
    ("sex", cells.choice, {"options": SEX}),
    ("relation", cells.choice, {"options": RELATION}),
    ("enrolled_on", cells.read_date, {}),
    ("enrolment_reason", cells.choice, {"options": ENROLMENT_REASON}),
    ("withdrawn_on", cells.read_date, {"required": False}),
    ("withdrawal_reason", cells.choice, {"options": WITHDRAWAL_REASON, "required": False}),
    ("changed_on", cells.read_date, {"required": False}),
)
_PERIOD_FIELDS = ("pk", "enrolled_on", "reason", "withdrawn_on", "withdrawal_reason")
_person_values = attrgetter(*PERSON_FIELDS)  # one C call for the fields compared
_HOUSEHOLD_COLUMNS = ("postal_code", "address", "householder_branch", "changed_on")
# Read per line, so the one parameter rather than a whole policy snapshot.
_LATE_ELDERLY_AGE = parameter("late_elderly_age")
ADDRESS = LifeEvent.Kind.ADDRESS_CHANGE.value
HOUSEHOLDER = LifeEvent.Kind.HOUSEHOLDER_CHANGE.value


@dataclass(slots=True)
class MasterRow:
    line: int
    symbol: str
    number: str
    branch: str
    postal_code: str
    address: str
    householder_branch: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date
    sex: str
    relation: str
    enrolled_on: date
    enrolment_reason: str
    withdrawn_on: date | None
    withdrawal_reason: str
    changed_on: date | None

    @property
    def insured_number(self) -> str:
        return f"{self.symbol}-{self.number}-{self.branch}"


@dataclass(frozen=True, slots=True)
class StoredPerson:
    pk: int
    branch: str
    family_name: str
    given_name: str
    family_name_kana: str
    given_name_kana: str
    birth_date: date
    sex: str
    relation: str


@dataclass(frozen=True, slots=True)
class StoredPeriod:
    pk: int
    enrolled_on: date
    reason: str
    withdrawn_on: date | None
    withdrawal_reason: str


@dataclass(frozen=True, slots=True)
class StoredHousehold:
    pk: int
    postal_code: str
    address: str
    householder_id: int | None


@dataclass(slots=True)
class Snapshot:
    households: dict[tuple[str, str], StoredHousehold] = field(default_factory=dict)
    members: dict[int, dict[str, StoredPerson]] = field(default_factory=dict)
    periods: dict[int, list[StoredPeriod]] = field(default_factory=dict)
    latest_events: dict[tuple[int, str], date] = field(default_factory=dict)
    branch_of: dict[int, str] = field(default_factory=dict)  # person id -> branch


# A person in the writes: a stored person's pk, or the branch of one created in the same group.
PersonRef = int | str


@dataclass(slots=True)
class Writes:
    key: tuple[str, str]
    household_id: int | None = None
    new_household: tuple[str, str] | None = None  # (postal code, address)
    new_address: tuple[str, str] | None = None
    householder: PersonRef | None = None  # set the householder to this member
    householder_written: bool = False  # written with the new household already
    new_ids: dict[str, int] = field(default_factory=dict)  # branch -> id of a new person
    new_persons: list[MasterRow] = field(default_factory=list)
    person_updates: list[tuple[int, MasterRow]] = field(default_factory=list)
    relation_updates: list[tuple[str, int]] = field(default_factory=list)
    new_periods: list[tuple[PersonRef, MasterRow]] = field(default_factory=list)
    period_updates: list[tuple[int, MasterRow]] = field(default_factory=list)
    withdrawals: list[tuple[int, date]] = field(default_factory=list)
    # (person, kind, day, details); householder_change details get the new householder's id
    events: list[tuple[PersonRef, str, date, dict[str, Any]]] = field(default_factory=list)
    contents_changed: list[tuple[int, date]] = field(default_factory=list)


def _overlaps(a_from: date, a_until: date | None, b_from: date, b_until: date | None) -> bool:
    """Half-open periods [from, until) overlap; None is open-ended."""
    return (b_until is None or a_from < b_until) and (a_until is None or b_from < a_until)


def _covers(start: date, end: date | None, day: date) -> bool:
    return start <= day and (end is None or day < end)


class MasterKind:
    name: ClassVar[str] = "master"
    columns: ClassVar[tuple[Column, ...]] = COLUMNS
    groups_households: ClassVar[bool] = True
    analysed: ClassVar[dict[type[Model], tuple[str, ...]]] = {
        Household: ("symbol", "number"),
        InsuredPerson: ("household",),
        Enrolment: ("person",),
        LifeEvent: ("person", "kind"),
    }

    # --- reading lines ---------------------------------------------------------------------

    def group_key(self, fields: list[str], header: Header) -> Hashable | None:
        symbol = cells.half_width(fields[header.index["symbol"]])
        number = cells.half_width(fields[header.index["number"]])
        return (symbol, number) if symbol and number else None

    def row_key(self, row: MasterRow) -> Hashable:
        return row.branch

    def parser(
        self, header: Header, ctx: Context
    ) -> Callable[[list[str], int], tuple[MasterRow | None, list[LineError]]]:
        readers = FieldReaders(header, SPEC)

        def parse(fields: list[str], line: int) -> tuple[MasterRow | None, list[LineError]]:
            values, reader = readers.read(fields, line)
            problems = _cross_checks(values, reader.failed if reader else set(), ctx)
            if reader is None and not problems:
                return MasterRow(line=line, **values), []
            reader = reader or LineReader(fields, header, line)
            for name, code, params in problems:
                reader.error(name, code, **params)
            return None, reader.errors

        return parse

    def check_group(self, rows: Sequence[MasterRow], header: Header) -> list[LineError]:
        errors = []
        first = rows[0]
        for row in rows[1:]:
            for name in _HOUSEHOLD_COLUMNS:
                if getattr(row, name) != getattr(first, name):
                    errors.append(
                        LineError(
                            row.line, header.label(name), "household_mismatch", {"line": first.line}
                        )
                    )
        for row in rows:
            if (row.branch == row.householder_branch) != (row.relation == "householder"):
                errors.append(LineError(row.line, header.label("relation"), "householder_relation"))
        return errors

    # --- the records ---------------------------------------------------------------------------

    def snapshot(self, groups: Sequence[Sequence[MasterRow]], ctx: Context) -> Snapshot:
        snap = Snapshot()
        by_symbol: dict[str, list[str]] = defaultdict(list)
        for rows in groups:
            by_symbol[rows[0].symbol].append(rows[0].number)
        if not by_symbol:
            return snap
        # One query per 記号 for the households, their members and the members' periods (LEFT
        # JOINs: a household without members, a member without a period still come back).
        person_household: dict[int, int] = {}
        for symbol, numbers in by_symbol.items():
            for row in (
                Household.objects.filter(
                    bulk.any_of(Household, "number", numbers),
                    _number_bounds(numbers),
                    symbol=symbol,
                )
                .order_by()
                .values_list(
                    "pk",
                    "number",
                    "postal_code",
                    "address",
                    "householder_id",
                    "members__pk",
                    *(f"members__{name}" for name in ("branch", *PERSON_FIELDS)),
                    *(f"members__enrolments__{name}" for name in _PERIOD_FIELDS),
                )
            ):
                household_id = row[0]
                if (symbol, row[1]) not in snap.households:
                    snap.households[(symbol, row[1])] = StoredHousehold(*row[0:1], *row[2:5])
                person_id = row[5]
                if person_id is None:
                    continue
                if person_id not in person_household:
                    person_household[person_id] = household_id
                    person = StoredPerson(person_id, *row[6 : 6 + 1 + len(PERSON_FIELDS)])
                    snap.members.setdefault(household_id, {})[person.branch] = person
                    snap.branch_of[person_id] = person.branch
                period = row[6 + 1 + len(PERSON_FIELDS) :]
                if period[0] is not None:
                    snap.periods.setdefault(person_id, []).append(StoredPeriod(*period))
        if not snap.households:
            return snap
        changing = [
            household.pk
            for rows in groups
            if (household := snap.households.get((rows[0].symbol, rows[0].number))) is not None
            and self._household_changes(rows[0], household, snap)
        ]
        if changing:
            # By the members' ids (the person index), not through a join on the household.
            household_of = {
                member.pk: household_id
                for household_id in changing
                for member in snap.members.get(household_id, {}).values()
            }
            for person_id, kind, last in (
                LifeEvent.objects.filter(
                    bulk.any_of(LifeEvent, "person", list(household_of)),
                    kind__in=[ADDRESS, HOUSEHOLDER],
                )
                .values_list("person_id", "kind")
                .annotate(last=Max("occurred_on"))
                .order_by()
            ):
                key = (household_of[person_id], kind)
                if key not in snap.latest_events or snap.latest_events[key] < last:
                    snap.latest_events[key] = last
        return snap

    def _household_changes(
        self, first: MasterRow, household: StoredHousehold, snap: Snapshot
    ) -> tuple[bool, bool]:
        """(address changes, householder changes) of a stored household."""
        moved = (household.postal_code, household.address) != (first.postal_code, first.address)
        current = snap.branch_of.get(household.householder_id)  # type: ignore[arg-type]
        return moved, current is not None and current != first.householder_branch

    def plan_group(
        self,
        rows: Sequence[MasterRow],
        snap: Snapshot,
        header: Header,
        ctx: Context,
        *,
        partial: bool,
        changes: bool = True,
    ) -> GroupPlan:
        first = rows[0]
        key = (first.symbol, first.number)
        plan = GroupPlan(lines=[row.line for row in rows], record=changes)
        writes = Writes(key=key)
        plan.writes = writes
        stored = snap.households.get(key)
        if stored is None:
            self._plan_new_household(rows, plan, writes, header, partial=partial)
            return plan
        writes.household_id = stored.pk
        members = snap.members.get(stored.pk, {})
        in_file = {row.branch for row in rows}
        if not partial and first.householder_branch not in in_file | set(members):
            plan.errors.append(
                LineError(first.line, header.label("householder_branch"), "unknown_householder")
            )

        for row in rows:
            self._plan_person(row, members.get(row.branch), snap, plan, writes, header)

        moved, new_head = self._household_changes(first, stored, snap)
        if (moved or new_head) and first.changed_on is None:
            plan.errors.append(
                LineError(first.line, header.label("changed_on"), "changed_on_required")
            )
        day = first.changed_on
        for changes, kind in ((moved, ADDRESS), (new_head, HOUSEHOLDER)):
            last = snap.latest_events.get((stored.pk, kind))
            if changes and day is not None and last is not None and last > day:
                plan.errors.append(
                    LineError(
                        first.line,
                        header.label("changed_on"),
                        "out_of_order",
                        {"day": last.isoformat()},
                    )
                )
        if stored.householder_id is None or new_head:
            head = members.get(first.householder_branch)
            in_rows = any(row.branch == first.householder_branch for row in rows)
            # A stored member is named by id; one created by this file by branch.
            writes.householder = head.pk if head is not None else first.householder_branch
            if head is None and not in_rows:
                writes.householder = None  # unknown_householder was reported above
        if moved:
            writes.new_address = (first.postal_code, first.address)
        if writes.householder is not None or moved:
            plan.lock_households.add(stored.pk)
            if plan.outcomes.get(first.line) == UNCHANGED:
                plan.outcomes[first.line] = UPDATED
        if (moved or new_head) and not plan.errors:
            self._plan_household_events(
                rows,
                first,
                stored,
                members,
                snap,
                writes,
                plan,
                ctx,
                moved=moved,
                new_head=new_head,
            )
        return plan

    def _plan_new_household(
        self,
        rows: Sequence[MasterRow],
        plan: GroupPlan,
        writes: Writes,
        header: Header,
        *,
        partial: bool,
    ) -> None:
        first = rows[0]
        if not partial and first.householder_branch not in {row.branch for row in rows}:
            plan.errors.append(
                LineError(first.line, header.label("householder_branch"), "unknown_householder")
            )
        writes.new_household = (first.postal_code, first.address)
        writes.householder = first.householder_branch
        if plan.record:
            plan.changes.append(
                Change(first.line, "new_household", {"number": f"{first.symbol}-{first.number}"})
            )
        for row in rows:
            writes.new_persons.append(row)
            writes.new_periods.append((row.branch, row))
            plan.outcomes[row.line] = CREATED
            if plan.record:
                plan.changes.append(
                    Change(
                        row.line,
                        "new_person",
                        {"number": row.insured_number, "day": row.enrolled_on.isoformat()},
                    )
                )

    def _plan_person(
        self,
        row: MasterRow,
        person: StoredPerson | None,
        snap: Snapshot,
        plan: GroupPlan,
        writes: Writes,
        header: Header,
    ) -> None:
        number = row.insured_number
        if person is None:
            writes.new_persons.append(row)
            writes.new_periods.append((row.branch, row))
            plan.outcomes[row.line] = CREATED
            plan.changes.append(
                Change(
                    row.line, "new_person", {"number": number, "day": row.enrolled_on.isoformat()}
                )
            )
            return
        changed = (
            [name for name in PERSON_FIELDS if getattr(row, name) != getattr(person, name)]
            if _person_values(row) != _person_values(person)
            else []
        )
        if changed:
            writes.person_updates.append((person.pk, row))
            plan.lock_persons.add(person.pk)
            plan.changes.append(
                Change(
                    row.line,
                    "person_changed",
                    {"number": number, "fields": ", ".join(header.label(n) for n in changed)},
                )
            )
        period_changed = self._plan_period(
            row, person, snap.periods.get(person.pk, []), plan, writes, header
        )
        plan.outcomes[row.line] = UPDATED if changed or period_changed else UNCHANGED

    def _plan_period(
        self,
        row: MasterRow,
        person: StoredPerson,
        periods: list[StoredPeriod],
        plan: GroupPlan,
        writes: Writes,
        header: Header,
    ) -> bool:
        number = row.insured_number
        same = next((p for p in periods if p.enrolled_on == row.enrolled_on), None)
        others = [p for p in periods if p is not same]
        for other in others:
            if _overlaps(row.enrolled_on, row.withdrawn_on, other.enrolled_on, other.withdrawn_on):
                column = "withdrawn_on" if same is not None else "enrolled_on"
                plan.errors.append(
                    LineError(
                        row.line,
                        header.label(column),
                        "overlap",
                        {"day": other.enrolled_on.isoformat()},
                    )
                )
                return True
        if same is None:
            writes.new_periods.append((person.pk, row))
            plan.lock_persons.add(person.pk)
            plan.changes.append(
                Change(row.line, "enrolled", {"number": number, "day": row.enrolled_on.isoformat()})
            )
            if row.withdrawn_on is not None:
                writes.withdrawals.append((person.pk, row.withdrawn_on))
            return True
        if (same.reason, same.withdrawn_on, same.withdrawal_reason) == (
            row.enrolment_reason,
            row.withdrawn_on,
            row.withdrawal_reason,
        ):
            return False
        writes.period_updates.append((same.pk, row))
        plan.lock_persons.add(person.pk)
        if same.withdrawn_on is None and row.withdrawn_on is not None:
            writes.withdrawals.append((person.pk, row.withdrawn_on))
            plan.changes.append(
                Change(
                    row.line, "withdrawn", {"number": number, "day": row.withdrawn_on.isoformat()}
                )
            )
        else:
            plan.changes.append(
                Change(
                    row.line,
                    "enrolment_corrected",
                    {"number": number, "day": row.enrolled_on.isoformat()},
                )
            )
        return True

    def _plan_household_events(
        self,
        rows: Sequence[MasterRow],
        first: MasterRow,
        stored: StoredHousehold,
        members: dict[str, StoredPerson],
        snap: Snapshot,
        writes: Writes,
        plan: GroupPlan,
        ctx: Context,
        *,
        moved: bool,
        new_head: bool,
    ) -> None:
        day = first.changed_on
        assert day is not None
        number = f"{first.symbol}-{first.number}"
        by_branch = {row.branch: row for row in rows}
        previous = next((m for m in members.values() if m.pk == stored.householder_id), None)
        if new_head:
            # As record_householder_change: the new head's relation becomes householder and the
            # previous head's other; members on the file carry their own relation already.
            head = members.get(first.householder_branch)
            if head is not None and head.branch not in by_branch and head.relation != "householder":
                writes.relation_updates.append(("householder", head.pk))
            if (
                previous is not None
                and previous.branch not in by_branch
                and previous.relation == "householder"
            ):
                writes.relation_updates.append(("other", previous.pk))
            plan.changes.append(
                Change(
                    first.line,
                    "householder_change",
                    {"number": number, "branch": first.householder_branch, "day": day.isoformat()},
                )
            )
        if moved:
            plan.changes.append(
                Change(first.line, "address_change", {"number": number, "day": day.isoformat()})
            )
        # Every member insured on the day of the change, as the records stand after this file.
        insured: list[PersonRef] = []
        for branch in sorted(set(members) | set(by_branch)):
            row = by_branch.get(branch)
            member = members.get(branch)
            birth = row.birth_date if row is not None else member.birth_date  # type: ignore[union-attr]
            if day < birth or day >= anniversary(birth, _LATE_ELDERLY_AGE.at(day)):
                continue
            periods = [
                (p.enrolled_on, p.withdrawn_on)
                for p in (snap.periods.get(member.pk, []) if member is not None else [])
                if row is None or p.enrolled_on != row.enrolled_on
            ]
            if row is not None:
                periods.append((row.enrolled_on, row.withdrawn_on))
            if any(_covers(start, end, day) for start, end in periods):
                insured.append(member.pk if member is not None else branch)
        run = {"import_run": ctx.run_id} if ctx.run_id is not None else {}
        for ref in insured:
            if moved:
                details = {
                    "old": {"postal_code": stored.postal_code, "address": stored.address},
                    "new": {"postal_code": first.postal_code, "address": first.address},
                    **run,
                }
                writes.events.append((ref, ADDRESS, day, details))
            if new_head:
                details = {"old_householder_id": stored.householder_id, **run}
                writes.events.append((ref, HOUSEHOLDER, day, details))
            if isinstance(ref, int):
                writes.contents_changed.append((ref, day))
                plan.lock_persons.add(ref)

    # --- writing -------------------------------------------------------------------------------

    def apply(self, plans: Sequence[GroupPlan], ctx: Context) -> None:
        groups: list[Writes] = [plan.writes for plan in plans]
        now = ctx.now
        self._insert_households_and_persons(groups, now)

        def resolve(writes: Writes, ref: PersonRef) -> int:
            return ref if isinstance(ref, int) else writes.new_ids[ref]

        person_rows = []
        for writes in groups:
            for pk, row in writes.person_updates:
                person_rows.append(
                    (*(getattr(row, name) for name in PERSON_FIELDS), *_search(row), now, pk)
                )
        bulk.update(
            InsuredPerson,
            (*PERSON_FIELDS, "name_search", "name_kanji_search", "updated_at"),
            person_rows,
        )
        bulk.update(
            InsuredPerson,
            ("relation", "updated_at"),
            [(relation, now, pk) for w in groups for relation, pk in w.relation_updates],
        )
        bulk.insert(
            Enrolment,
            ("person", "enrolled_on", "reason", "withdrawn_on", "withdrawal_reason"),
            [
                (
                    resolve(w, ref),
                    row.enrolled_on,
                    row.enrolment_reason,
                    row.withdrawn_on,
                    row.withdrawal_reason,
                )
                for w in groups
                for ref, row in w.new_periods
            ],
        )
        bulk.update(
            Enrolment,
            ("reason", "withdrawn_on", "withdrawal_reason"),
            [
                (row.enrolment_reason, row.withdrawn_on, row.withdrawal_reason, pk)
                for w in groups
                for pk, row in w.period_updates
            ],
        )
        bulk.update(
            Household,
            ("postal_code", "address", "updated_at"),
            [(*w.new_address, now, w.household_id) for w in groups if w.new_address is not None],
        )
        bulk.update(
            Household,
            ("householder", "updated_at"),
            [
                (resolve(w, w.householder), now, w.household_id)
                for w in groups
                if w.householder is not None and not w.householder_written
            ],
        )
        events = []
        for w in groups:
            for ref, kind, day, details in w.events:
                if kind == HOUSEHOLDER:
                    assert w.householder is not None
                    details = {**details, "new_householder_id": resolve(w, w.householder)}
                events.append((resolve(w, ref), kind, day, details, now, ctx.user_id))
        bulk.insert(
            LifeEvent,
            ("person", "kind", "occurred_on", "details", "recorded_at", "recorded_by"),
            events,
        )
        _invalidate_paper_cards(
            [pair for w in groups for pair in w.contents_changed],
            PaperCard.InvalidatedReason.CONTENTS_CHANGED,
        )
        withdrawals = [pair for w in groups for pair in w.withdrawals]
        _invalidate_paper_cards(withdrawals, PaperCard.InvalidatedReason.WITHDRAWN)
        _void_certificates(withdrawals)

    def _insert_households_and_persons(self, groups: list[Writes], now: Any) -> None:
        """Insert the new households and persons and note their ids on the writes.

        On PostgreSQL the ids are drawn from the sequences first, so a new household is written
        with its householder at once (foreign keys are checked at commit) and nothing is read
        back; elsewhere the rows are inserted and their ids read back by their natural keys.
        """
        households = [w for w in groups if w.new_household is not None]
        people = [(w, row) for w in groups for row in w.new_persons]
        household_ids = bulk.reserve_ids(Household, len(households))
        person_ids = bulk.reserve_ids(InsuredPerson, len(people))
        heads = household_ids is not None and person_ids is not None
        if household_ids is not None and person_ids is not None:
            for w, pk in zip(households, household_ids, strict=True):
                w.household_id = pk
            for (w, row), pk in zip(people, person_ids, strict=True):
                w.new_ids[row.branch] = pk
        columns: tuple[str, ...] = ("id",) if heads else ()
        bulk.insert(
            Household,
            (
                *columns,
                "symbol",
                "number",
                "postal_code",
                "address",
                *(("householder",) if heads else ()),
                "created_at",
                "updated_at",
            ),
            [
                (
                    *((w.household_id,) if heads else ()),
                    *w.key,
                    *w.new_household,  # type: ignore[misc]
                    *((w.new_ids[w.householder],) if heads else ()),  # type: ignore[index]
                    now,
                    now,
                )
                for w in households
            ],
        )
        if heads:
            for w in households:
                w.householder_written = True
        else:
            self._read_household_ids(households)
        bulk.insert(
            InsuredPerson,
            (
                *columns,
                "household",
                "branch",
                *PERSON_FIELDS,
                "needs_support",
                "created_at",
                "updated_at",
                "name_search",
                "name_kanji_search",
            ),
            [
                (
                    *((w.new_ids[row.branch],) if heads else ()),
                    w.household_id,
                    row.branch,
                    *(getattr(row, name) for name in PERSON_FIELDS),
                    False,
                    now,
                    now,
                    *_search(row),
                )
                for w, row in people
            ],
        )
        if not heads and people:
            wanted = sorted({w.household_id for w, _row in people})  # type: ignore[type-var]
            ids = {
                (household_id, branch): pk
                for pk, household_id, branch in InsuredPerson.objects.filter(
                    household_id__in=wanted
                ).values_list("pk", "household_id", "branch")
            }
            for w, row in people:
                w.new_ids[row.branch] = ids[(w.household_id, row.branch)]

    def _read_household_ids(self, households: list[Writes]) -> None:
        by_symbol: dict[str, list[str]] = defaultdict(list)
        for w in households:
            by_symbol[w.key[0]].append(w.key[1])
        ids: dict[tuple[str, str], int] = {}
        for symbol, numbers in by_symbol.items():
            for number, pk in Household.objects.filter(
                symbol=symbol, number__in=numbers
            ).values_list("number", "pk"):
                ids[(symbol, number)] = pk
        for w in households:
            w.household_id = ids[w.key]


def _number_bounds(numbers: list[str]) -> Q:
    """Redundant bounds on a chunk's household numbers, for the planner: with 2,000 numbers in
    `= ANY(…)` it prices an index probe per number above reading every household of the 記号,
    so the lookup grew with the file; a range makes it an index range scan (a file's numbers
    usually come sorted, so the range is narrow). Only for numbers of one length: they are ASCII
    digits (cells.digits), and digit strings of one length sort alike under every collation
    (a collation with numeric ordering sorts "9" before "10"; Python does not)."""
    if len({len(number) for number in numbers}) != 1:
        return Q()
    return Q(number__gte=min(numbers), number__lte=max(numbers))


def _cross_checks(
    v: dict[str, Any], failed: set[str], ctx: Context
) -> list[tuple[str, str, dict[str, Any]]]:
    """Errors between the values of one line: (column, code, params)."""
    problems: list[tuple[str, str, dict[str, Any]]] = []
    birth, enrolled, withdrawn = v["birth_date"], v["enrolled_on"], v["withdrawn_on"]
    if birth is not None and birth > ctx.today:
        problems.append(("birth_date", "born_in_future", {"today": ctx.today.isoformat()}))
    if birth is not None and enrolled is not None and enrolled < birth:
        problems.append(("enrolled_on", "enrolled_before_birth", {}))
    if withdrawn is not None and v["withdrawal_reason"] == "":
        problems.append(("withdrawal_reason", "withdrawal_date_without_reason", {}))
    if withdrawn is None and v["withdrawal_reason"] and "withdrawn_on" not in failed:
        problems.append(("withdrawn_on", "withdrawal_reason_without_date", {}))
    if enrolled is not None and withdrawn is not None and withdrawn < enrolled:
        problems.append(("withdrawn_on", "withdrawn_before_enrolled", {}))
    if birth is not None and enrolled is not None:
        late_elderly_from = anniversary(birth, _LATE_ELDERLY_AGE.at(enrolled))
        if enrolled >= late_elderly_from:
            problems.append(
                ("enrolled_on", "enrolled_after_75", {"day": late_elderly_from.isoformat()})
            )
        elif withdrawn is not None and withdrawn > late_elderly_from:
            problems.append(
                ("withdrawn_on", "withdrawn_after_75", {"day": late_elderly_from.isoformat()})
            )
    return problems


@lru_cache(maxsize=65536)
def _search_columns(family: str, given: str, family_kana: str, given_kana: str) -> tuple[str, str]:
    """The normalised search copies save() would write; names repeat, so they are cached."""
    columns = search_columns_for(
        SimpleNamespace(
            family_name=family,
            given_name=given,
            family_name_kana=family_kana,
            given_name_kana=given_kana,
        )
    )
    return columns["name_search"], columns["name_kanji_search"]


def _search(row: MasterRow) -> tuple[str, str]:
    return _search_columns(
        row.family_name, row.given_name, row.family_name_kana, row.given_name_kana
    )


def _by_day(pairs: list[tuple[int, date]]) -> dict[date, list[int]]:
    days: dict[date, list[int]] = defaultdict(list)
    for pk, day in pairs:
        days[day].append(pk)
    return days


def _invalidate_paper_cards(pairs: list[tuple[int, date]], reason: str) -> None:
    """Paper cards usable on the day stop being usable from it (R-PAPER-VALID)."""
    for day, persons in _by_day(pairs).items():
        if day > policy_at(day).paper_card_last_valid_on:
            continue  # no paper card is usable then anyway
        PaperCard.objects.filter(
            bulk.any_of(PaperCard, "person", persons),
            invalidated_on__isnull=True,
            issued_on__lte=day,
            valid_until__gte=day,
        ).update(invalidated_on=day, invalidated_reason=reason)


def _void_certificates(pairs: list[tuple[int, date]]) -> None:
    """The certificate in force is voided from the withdrawal (or its issue, if later)."""
    for day, persons in _by_day(pairs).items():
        Certificate.objects.filter(
            bulk.any_of(Certificate, "person", persons), voided_on__isnull=True
        ).update(
            voided_on=Greatest("issued_on", Value(day, output_field=DateField())),
            void_reason=Certificate.VoidReason.WITHDRAWN,
        )
