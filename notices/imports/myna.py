"""マイナ保険証 registration status from the national system, one line per insured person.

The file says what holds now: registered or not (and since when), the card's status, and the
electronic certificate's expiry. Compared with the ward's record of the card, a difference is
written the way `eligibility.services` records it, so the rules see it from its date:
- registered -> not registered: a myna_registration_cancelled event (the registration date stays,
  as `record_myna_registration_cancelled` keeps it);
- not registered -> registered: the new registration date (after any recorded cancellation);
- valid -> lost: a myna_card_lost event; lost or suspended -> valid after a recorded loss: a
  myna_card_reissued event; every status change stamps `status_changed_on`.
Events and status changes need the date of the change (changed_on).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from django.db.models import Model, Q

from cards.models import MyNumberCard
from eligibility.models import InsuredPerson, LifeEvent
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
    Column("insured_number", ("被保険者番号", "記号番号枝番")),
    Column("registered", ("利用登録", "登録")),
    Column("registered_on", ("利用登録日", "登録日"), required=False),
    Column("card_status", ("カード状態", "カードの状態")),
    Column("e_cert_valid_until", ("電子証明書有効期限",), required=False),
    Column("changed_on", ("異動日", "変更日"), required=False),
)

CARD_STATUS = {value: value for value in MyNumberCard.Status.values} | {
    "有効": "valid",
    "紛失": "lost",
    "一時停止": "suspended",
    "停止": "suspended",
    "返納": "returned",
    "廃止": "returned",
}
CANCELLED = LifeEvent.Kind.MYNA_REGISTRATION_CANCELLED.value
LOST = LifeEvent.Kind.MYNA_CARD_LOST.value
REISSUED = LifeEvent.Kind.MYNA_CARD_REISSUED.value


@dataclass(slots=True)
class MynaRow:
    line: int
    symbol: str
    number: str
    branch: str
    registered: bool
    registered_on: date | None
    card_status: str  # "" when the person has no card
    e_cert_valid_until: date | None
    has_e_cert_column: bool
    changed_on: date | None

    @property
    def insured_number(self) -> str:
        return f"{self.symbol}-{self.number}-{self.branch}"


@dataclass(frozen=True, slots=True)
class StoredCard:
    pk: int
    card_status: str
    status_changed_on: date | None
    registered_on: date | None
    e_cert_valid_until: date | None


@dataclass(slots=True)
class Snapshot:
    persons: dict[tuple[str, str, str], int] = field(default_factory=dict)
    cards: dict[int, StoredCard] = field(default_factory=dict)
    events: dict[int, list[tuple[str, date]]] = field(default_factory=dict)


@dataclass(slots=True)
class Writes:
    person_id: int
    new_card: tuple[Any, ...] | None = None  # status, changed, registered, e-cert
    card_update: tuple[Any, ...] | None = None  # status, changed, registered, e-cert, pk
    events: list[tuple[str, date]] = field(default_factory=list)


class MynaStatusKind:
    name: ClassVar[str] = "myna_status"
    columns: ClassVar[tuple[Column, ...]] = COLUMNS
    groups_households: ClassVar[bool] = False
    analysed: ClassVar[dict[type[Model], tuple[str, ...]]] = {
        MyNumberCard: ("person",),
        LifeEvent: ("person", "kind"),
    }

    def group_key(self, fields: list[str], header: Header) -> Hashable | None:
        try:
            return cells.insured_number(fields[header.index["insured_number"]])
        except cells.Bad:
            return None

    def row_key(self, row: MynaRow) -> Hashable:
        return (row.symbol, row.number, row.branch)

    def parser(
        self, header: Header, ctx: Context
    ) -> Callable[[list[str], int], tuple[MynaRow | None, list[LineError]]]:
        def parse(fields: list[str], line: int) -> tuple[MynaRow | None, list[LineError]]:
            return self._parse(fields, header, line, ctx)

        return parse

    def _parse(
        self, fields: list[str], header: Header, line: int, ctx: Context
    ) -> tuple[MynaRow | None, list[LineError]]:
        read = LineReader(fields, header, line)
        number = read("insured_number", cells.insured_number)
        registered = read("registered", cells.flag)
        registered_on = read("registered_on", cells.read_date, required=False)
        status = read("card_status", cells.choice, CARD_STATUS, required=False)
        e_cert = read("e_cert_valid_until", cells.read_date, required=False)
        changed_on = read("changed_on", cells.read_date, required=False)
        today = ctx.today.isoformat()
        for column, day in (("registered_on", registered_on), ("changed_on", changed_on)):
            if day is not None and day > ctx.today:
                read.error(column, "date_in_future", today=today)
        if registered is True and registered_on is None and "registered_on" not in read.failed:
            read.error("registered_on", "registered_without_date")
        if registered is False and registered_on is not None:
            read.error("registered_on", "date_without_registration")
        if registered is True and status == "":
            read.error("card_status", "registered_without_card")
        if read.errors:
            return None, read.errors
        return (
            MynaRow(
                line=line,
                symbol=number[0],
                number=number[1],
                branch=number[2],
                registered=bool(registered),
                registered_on=registered_on,
                card_status=status,
                e_cert_valid_until=e_cert,
                has_e_cert_column="e_cert_valid_until" in header.index,
                changed_on=changed_on,
            ),
            [],
        )

    def check_group(self, rows: Sequence[MynaRow], header: Header) -> list[LineError]:
        return []

    def snapshot(self, groups: Sequence[Sequence[MynaRow]], ctx: Context) -> Snapshot:
        snap = Snapshot()
        wanted: dict[tuple[str, str], set[str]] = defaultdict(set)
        for rows in groups:
            row = rows[0]
            wanted[(row.symbol, row.number)].add(row.branch)
        if not wanted:
            return snap
        condition = Q()
        by_symbol: dict[str, list[str]] = defaultdict(list)
        for symbol, number in wanted:
            by_symbol[symbol].append(number)
        for symbol, numbers in by_symbol.items():
            condition |= Q(household__symbol=symbol, household__number__in=numbers)
        for pk, symbol, number, branch in InsuredPerson.objects.filter(condition).values_list(
            "pk", "household__symbol", "household__number", "branch"
        ):
            if branch in wanted[(symbol, number)]:
                snap.persons[(symbol, number, branch)] = pk
        ids = list(snap.persons.values())
        for person_id, pk, *rest in MyNumberCard.objects.filter(
            bulk.any_of(MyNumberCard, "person", ids)
        ).values_list(
            "person_id",
            "pk",
            "card_status",
            "status_changed_on",
            "registered_on",
            "e_cert_valid_until",
        ):
            snap.cards[person_id] = StoredCard(pk, *rest)
        for person_id, kind, day in (
            LifeEvent.objects.filter(
                bulk.any_of(LifeEvent, "person", ids), kind__in=[CANCELLED, LOST, REISSUED]
            )
            .order_by("occurred_on", "pk")
            .values_list("person_id", "kind", "occurred_on")
        ):
            snap.events.setdefault(person_id, []).append((kind, day))
        return snap

    def plan_group(
        self,
        rows: Sequence[MynaRow],
        snap: Snapshot,
        header: Header,
        ctx: Context,
        *,
        partial: bool,
        changes: bool = True,
    ) -> GroupPlan:
        row = rows[0]
        plan = GroupPlan(lines=[row.line], record=changes)
        person_id = snap.persons.get((row.symbol, row.number, row.branch))
        if person_id is None:
            plan.errors.append(
                LineError(row.line, header.label("insured_number"), "unknown_person")
            )
            return plan
        writes = Writes(person_id=person_id)
        plan.writes = writes
        card = snap.cards.get(person_id)
        number = row.insured_number
        if card is None:
            if row.card_status == "":
                plan.outcomes[row.line] = UNCHANGED
                return plan
            writes.new_card = (
                row.card_status,
                row.changed_on,
                row.registered_on,
                row.e_cert_valid_until,
            )
            plan.outcomes[row.line] = CREATED
            plan.changes.append(
                Change(row.line, "card_recorded", {"number": number, "status": row.card_status})
            )
            return plan
        if row.card_status == "":
            plan.errors.append(
                LineError(row.line, header.label("card_status"), "card_status_required")
            )
            return plan
        events = snap.events.get(person_id, [])
        registered_on = self._plan_registration(row, card, events, plan, writes, header)
        status_changed_on = self._plan_status(row, card, events, plan, writes, header)
        e_cert = row.e_cert_valid_until if row.has_e_cert_column else card.e_cert_valid_until
        if e_cert != card.e_cert_valid_until:
            plan.changes.append(
                Change(
                    row.line,
                    "card_details",
                    {"number": number, "fields": header.label("e_cert_valid_until")},
                )
            )
        after = (row.card_status, status_changed_on, registered_on, e_cert)
        before = (
            card.card_status,
            card.status_changed_on,
            card.registered_on,
            card.e_cert_valid_until,
        )
        if after != before:
            writes.card_update = (*after, card.pk)
        changed = after != before or bool(writes.events)
        plan.outcomes[row.line] = UPDATED if changed else UNCHANGED
        if changed:
            plan.lock_persons.add(person_id)
        return plan

    def _plan_registration(
        self,
        row: MynaRow,
        card: StoredCard,
        events: list[tuple[str, date]],
        plan: GroupPlan,
        writes: Writes,
        header: Header,
    ) -> date | None:
        """The registration date to keep; a cancellation event when the registration ends."""
        cancellations = [day for kind, day in events if kind == CANCELLED]
        last_cancelled = max(cancellations, default=None)
        active = card.registered_on is not None and not any(
            day >= card.registered_on for day in cancellations
        )
        number = row.insured_number
        if row.registered:
            assert row.registered_on is not None
            if active and row.registered_on == card.registered_on:
                return card.registered_on
            if last_cancelled is not None and row.registered_on <= last_cancelled:
                plan.errors.append(
                    LineError(
                        row.line,
                        header.label("registered_on"),
                        "registration_not_after_cancellation",
                        {"day": last_cancelled.isoformat()},
                    )
                )
                return card.registered_on
            plan.changes.append(
                Change(
                    row.line, "registered", {"number": number, "day": row.registered_on.isoformat()}
                )
            )
            return row.registered_on
        if not active:
            return card.registered_on
        assert card.registered_on is not None
        day = row.changed_on
        if day is None:
            plan.errors.append(
                LineError(row.line, header.label("changed_on"), "status_changed_on_required")
            )
        elif day < card.registered_on:
            plan.errors.append(
                LineError(
                    row.line,
                    header.label("changed_on"),
                    "cancelled_before_registration",
                    {"day": card.registered_on.isoformat()},
                )
            )
        else:
            writes.events.append((CANCELLED, day))
            plan.changes.append(
                Change(
                    row.line, "registration_cancelled", {"number": number, "day": day.isoformat()}
                )
            )
        return card.registered_on

    def _plan_status(
        self,
        row: MynaRow,
        card: StoredCard,
        events: list[tuple[str, date]],
        plan: GroupPlan,
        writes: Writes,
        header: Header,
    ) -> date | None:
        """The status change date to keep; loss and reissue events as the services write them."""
        if row.card_status == card.card_status:
            return card.status_changed_on
        day = row.changed_on
        if day is None:
            plan.errors.append(
                LineError(row.line, header.label("changed_on"), "status_changed_on_required")
            )
            return card.status_changed_on
        outstanding = None
        for kind, on in events:
            if kind == LOST:
                outstanding = on
            elif kind == REISSUED:
                outstanding = None
        if row.card_status == MyNumberCard.Status.LOST and outstanding is None:
            writes.events.append((LOST, day))
        elif row.card_status == MyNumberCard.Status.VALID and outstanding is not None:
            if day < outstanding:
                plan.errors.append(
                    LineError(
                        row.line,
                        header.label("changed_on"),
                        "reissue_before_loss",
                        {"day": outstanding.isoformat()},
                    )
                )
                return card.status_changed_on
            writes.events.append((REISSUED, day))
        plan.changes.append(
            Change(
                row.line,
                "card_status",
                {
                    "number": row.insured_number,
                    "old": card.card_status,
                    "new": row.card_status,
                    "day": day.isoformat(),
                },
            )
        )
        return day

    def apply(self, plans: Sequence[GroupPlan], ctx: Context) -> None:
        writes: list[Writes] = [plan.writes for plan in plans if plan.writes is not None]
        now = ctx.now
        bulk.insert(
            MyNumberCard,
            (
                "person",
                "card_status",
                "status_changed_on",
                "registered_on",
                "e_cert_valid_until",
                "created_at",
                "updated_at",
            ),
            [(w.person_id, *w.new_card, now, now) for w in writes if w.new_card is not None],
        )
        bulk.update(
            MyNumberCard,
            (
                "card_status",
                "status_changed_on",
                "registered_on",
                "e_cert_valid_until",
                "updated_at",
            ),
            [(*w.card_update[:4], now, w.card_update[4]) for w in writes if w.card_update],
        )
        run = {"import_run": ctx.run_id} if ctx.run_id is not None else {}
        bulk.insert(
            LifeEvent,
            ("person", "kind", "occurred_on", "details", "recorded_at", "recorded_by"),
            [
                (w.person_id, kind, day, run, now, ctx.user_id)
                for w in writes
                for kind, day in w.events
            ],
        )
