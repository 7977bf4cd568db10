"""The figures the ward reports and steers by, each one aggregated by the database.

Every function takes the day the figures are for (`as_of`) and returns plain numbers; no function
loops over persons in Python. Who is insured and who holds a マイナ保険証 on a day is written here
as SQL conditions that follow the rules (R-AGE75, R-MYNA) closely enough for counting:

- insured on day d: a period of coverage with enrolled_on <= d < withdrawn_on (or open), and
  d before the 75th birthday;
- holds a マイナ保険証 on d: registered for health-insurance use on or before d, the card valid
  (or its status changed only after d), the electronic certificate not past its grace (the end
  of the 3rd month after its expiry, R-MYNA), and no cancellation of that registration by d.
Past months are read from today's rows (the card status and its change date, the registration
date, cancellation events), so a card lost and found again in between is counted as valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth

from cards.models import Certificate, CertificateApplication, MyNumberCard
from eligibility.models import Enrolment, InsuredPerson, LifeEvent
from eligibility.rules.dates import ONE_DAY, add_months, end_of_month, first_of_month
from eligibility.rules.policy import policy_at
from notices.models import Notice

# Age bands the ward reports: pre-school and school age, working age, 65–69, and 70–74 (高齢受給者).
AGE_BANDS: tuple[tuple[int, int], ...] = ((0, 5), (6, 18), (19, 39), (40, 64), (65, 69), (70, 74))
MONTHS = 12
CANCELLED = LifeEvent.Kind.MYNA_REGISTRATION_CANCELLED.value


def years_before(day: date, years: int) -> date:
    """The same day `years` earlier (28 February for 29 February in a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def months_ending(as_of: date, count: int = MONTHS) -> list[date]:
    """The last day of each of the `count` months up to the month of `as_of` (that month's last
    day is `as_of` itself: figures are not counted ahead)."""
    ends = [end_of_month(add_months(first_of_month(as_of), -k)) for k in range(count - 1, 0, -1)]
    return [*ends, as_of]


# --- the conditions ----------------------------------------------------------------------------


def _insured_persons(day: date) -> QuerySet[InsuredPerson]:
    """Persons insured on `day` (see the module docstring)."""
    late_elderly_age = policy_at(day).late_elderly_age
    covered = Enrolment.objects.filter(person=OuterRef("pk"), enrolled_on__lte=day).filter(
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=day)
    )
    return InsuredPerson.objects.filter(
        Exists(covered),
        birth_date__lte=day,
        birth_date__gt=years_before(day, late_elderly_age),
    )


def _enrolment_insured(day: date, enrolment: str = "", person: str = "person__") -> Q:
    """On rows reaching a period of coverage through `enrolment` and its person through
    `person`: the period covers `day` and the person is under 75 that day."""
    late_elderly_age = policy_at(day).late_elderly_age
    return Q(
        **{
            f"{enrolment}enrolled_on__lte": day,
            f"{person}birth_date__lte": day,
            f"{person}birth_date__gt": years_before(day, late_elderly_age),
        }
    ) & (
        Q(**{f"{enrolment}withdrawn_on__isnull": True}) | Q(**{f"{enrolment}withdrawn_on__gt": day})
    )


def e_cert_usable_from(day: date) -> date:
    """The earliest electronic-certificate expiry still usable on `day`: the card works until the
    end of the grace month (R-MYNA), so an expiry in month(day) - grace or later is fine."""
    grace = policy_at(day).myna_cert_grace_months
    return first_of_month(add_months(first_of_month(day), -grace))


def _holder(day: date, card: str) -> Q:
    """The card (reached through `card`, e.g. "myna_card__") makes a マイナ保険証 on `day`; a
    cancellation of the registration is subtracted separately (`_cancelled_holders`)."""
    return (
        Q(**{f"{card}registered_on__lte": day})
        & (
            Q(**{f"{card}card_status": MyNumberCard.Status.VALID})
            | Q(**{f"{card}status_changed_on__gt": day})
        )
        & (
            Q(**{f"{card}e_cert_valid_until__isnull": True})
            | Q(**{f"{card}e_cert_valid_until__gte": e_cert_usable_from(day)})
        )
    )


def _band(day: date, low: int, high: int, field: str = "birth_date") -> Q:
    """Aged low to high (inclusive) on `day`."""
    return Q(
        **{
            f"{field}__gt": years_before(day, high + 1),
            f"{field}__lte": years_before(day, low),
        }
    )


def _cancellations(until: date) -> QuerySet[LifeEvent]:
    """Cancellation events that end the registration on record (on or after its date, R-MYNA),
    up to `until`. Few rows: figures subtract them rather than test every person for one."""
    return LifeEvent.objects.filter(
        kind=CANCELLED,
        occurred_on__gte=F("person__myna_card__registered_on"),
        occurred_on__lte=until,
    )


def _not_cancelled(day: date) -> Q:
    """On InsuredPerson rows: no cancellation of the registration by `day`. NOT EXISTS rather
    than NOT IN: the planner can then start from the few rows the other conditions select (an
    anti-join), where NOT IN made it filter every person through a hashed subquery."""
    return ~Exists(_cancellations(day).filter(person=OuterRef("pk")))


# --- the figures -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BandRow:
    low: int
    high: int
    insured: int
    holders: int

    @property
    def share(self) -> float | None:
        return self.holders / self.insured if self.insured else None


@dataclass(frozen=True, slots=True)
class MonthRow:
    month: date  # the last day counted
    insured: int
    holders: int

    @property
    def share(self) -> float | None:
        return self.holders / self.insured if self.insured else None


def insured_and_holders(as_of: date, months: int = MONTHS) -> tuple[list[BandRow], list[MonthRow]]:
    """Insured persons and マイナ保険証 holders by age band on `as_of`, and at the end of each
    of the last months: one GROUP BY over the periods of coverage that touch the window (a
    person insured on a day has exactly one period covering it), and one aggregate over the few
    cancellation events, which are subtracted.

    The conditions are those of `insured_and_holders_filtered`, but they compare each date
    with a few fixed days only (12 month ends, their 75th-birthday limits and grace months, the
    band limits). So in SQL each date is first replaced by a stand-in that compares with every
    one of those days as the date itself does (clamped into the window; a birth date far from
    every limit by its band's stand-in): a million periods fall into some tens of thousands of
    groups, and the conditions are decided once per group, here. Half the database's work of
    36 FILTERs on every row.
    """
    ends = months_ending(as_of, months)
    late_elderly = [years_before(day, policy_at(day).late_elderly_age) for day in ends]
    usable_from = [e_cert_usable_from(day) for day in ends]
    band_limits = [
        (years_before(as_of, high + 1), years_before(as_of, low)) for low, high in AGE_BANDS
    ]
    valid = MyNumberCard.Status.VALID.value
    totals = {f"{p}{k}": 0 for p in "ih" for k in range(len(ends))}
    totals |= {f"{p}{i}": 0 for p in ("b", "bh") for i in range(len(AGE_BANDS))}
    last = len(ends) - 1
    for enrolled, withdrawn, birth, registered, status, changed, e_cert, count in _window_groups(
        ends, late_elderly, usable_from, band_limits
    ):
        for k, day in enumerate(ends):
            if not (
                enrolled <= day
                and (withdrawn is None or withdrawn > day)
                and late_elderly[k] < birth <= day
            ):
                continue
            totals[f"i{k}"] += count
            holder = (
                registered is not None
                and registered <= day
                and (status == valid or (changed is not None and changed > day))
                and (e_cert is None or e_cert >= usable_from[k])
            )
            totals[f"h{k}"] += count if holder else 0
            if k == last:
                for i, (oldest, youngest) in enumerate(band_limits):
                    if oldest < birth <= youngest:
                        totals[f"b{i}"] += count
                        totals[f"bh{i}"] += count if holder else 0
    corrections = _cancelled_holders(as_of, ends)
    bands = [
        BandRow(low, high, totals[f"b{i}"], totals[f"bh{i}"] - corrections[f"b{i}"])
        for i, (low, high) in enumerate(AGE_BANDS)
    ]
    by_month = [
        MonthRow(day, totals[f"i{k}"], totals[f"h{k}"] - corrections[f"m{k}"])
        for k, day in enumerate(ends)
    ]
    return bands, by_month


def _clamp(column: str, low: date, high: date) -> tuple[str, list[date]]:
    """The column's value kept within [low, high] (NULL stays NULL)."""
    return f"CASE WHEN {column} < %s THEN %s WHEN {column} > %s THEN %s ELSE {column} END", [
        low,
        low,
        high,
        high,
    ]


def _window_groups(
    ends: list[date],
    late_elderly: list[date],
    usable_from: list[date],
    band_limits: list[tuple[date, date]],
) -> list[tuple[Any, ...]]:
    """(enrolled_on, withdrawn_on, birth_date, registered_on, card_status, status_changed_on,
    e_cert_valid_until, count) of the periods touching the window, each date replaced by its
    stand-in (see `insured_and_holders`):

    - enrolled_on (compared "<= month end"): at least the first month end;
    - withdrawn_on, registered_on, status_changed_on ("> month end", "<= month end"): within
      [first month end, last month end + 1 day];
    - e_cert_valid_until (">= first usable expiry"): within [first usable - 1 day, last usable];
    - birth_date: kept near the 75th-birthday limits and within the window; elsewhere only the
      band limits matter, so the day after the nearest limit below stands in for it.
    """
    quote = connection.ops.quote_name
    enrolment, person, card = Enrolment._meta, InsuredPerson._meta, MyNumberCard._meta

    def column(alias: str, meta: Any, name: str) -> str:
        return f"{alias}.{quote(meta.get_field(name).column)}"

    first, after = ends[0], ends[-1] + ONE_DAY
    selects: list[str] = []
    params: list[Any] = []
    for sql, values in (
        _clamp(column("e", enrolment, "enrolled_on"), first, after),
        _clamp(column("e", enrolment, "withdrawn_on"), first, after),
    ):
        selects.append(sql)
        params.extend(values)
    # Birth dates: the comparisons are "> 75th-birthday limit", "<= month end" and the bands'
    # "> oldest" / "<= youngest"; between two of those days every date compares alike.
    birth = column("p", person, "birth_date")
    limits = sorted({limit for pair in band_limits for limit in pair})
    near_75 = (min(late_elderly), max(late_elderly))
    whens = [
        f"WHEN {birth} <= %s THEN %s",  # 75 or older all window long: never insured
        f"WHEN {birth} <= %s THEN {birth}",  # turning 75 within the window
        f"WHEN {birth} > %s THEN {birth}",  # born within the window
    ]
    whens.append(f"WHEN {birth} <= %s THEN %s")  # older than every band
    birth_params: list[Any] = [near_75[0], near_75[0], near_75[1], first, limits[0], limits[0]]
    for below, above in zip(limits, [*limits[1:], None], strict=True):
        if above is None:
            whens.append("ELSE %s")
            birth_params.append(below + ONE_DAY)
        else:
            whens.append(f"WHEN {birth} <= %s THEN %s")
            birth_params.extend([above, below + ONE_DAY])
    selects.append(f"CASE {' '.join(whens)} END")
    params.extend(birth_params)
    for sql, values in (
        _clamp(column("c", card, "registered_on"), first, after),
        (column("c", card, "card_status"), []),
        _clamp(column("c", card, "status_changed_on"), first, after),
        _clamp(column("c", card, "e_cert_valid_until"), usable_from[0] - ONE_DAY, usable_from[-1]),
    ):
        selects.append(sql)
        params.extend(values)
    withdrawn = column("e", enrolment, "withdrawn_on")
    pk = quote(person.pk.column)  # type: ignore[union-attr]
    sql = (
        f"SELECT {', '.join(selects)}, COUNT(*) "  # noqa: S608 (names from the models)
        f"FROM {quote(enrolment.db_table)} e "
        f"JOIN {quote(person.db_table)} p ON p.{pk} = {column('e', enrolment, 'person')} "
        f"LEFT JOIN {quote(card.db_table)} c ON {column('c', card, 'person')} = p.{pk} "
        f"WHERE {column('e', enrolment, 'enrolled_on')} <= %s "
        f"AND ({withdrawn} IS NULL OR {withdrawn} >= %s) "
        f"GROUP BY {', '.join(str(n) for n in range(1, len(selects) + 1))}"
    )
    params.extend([ends[-1], first])
    postgresql = connection.vendor == "postgresql"
    if not postgresql:
        params = [p.isoformat() if isinstance(p, date) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if postgresql:
        return [tuple(row) for row in rows]
    dates = (0, 1, 2, 3, 5, 6)
    return [
        tuple(
            date.fromisoformat(value) if i in dates and value is not None else value
            for i, value in enumerate(row)
        )
        for row in rows
    ]


def _cancelled_holders(as_of: date, ends: list[date]) -> dict[str, Any]:
    """Holders whose registration was cancelled by each month end, and by band on `as_of`:
    one aggregate over the few cancellation events, to subtract."""
    cancelled: dict[str, Any] = {}
    for k, day in enumerate(ends):
        cancelled[f"m{k}"] = Count(
            "person_id",
            distinct=True,
            filter=_enrolment_insured(day, "person__enrolments__")
            & _holder(day, "person__myna_card__")
            & Q(occurred_on__lte=day),
        )
    now_holder = _holder(as_of, "person__myna_card__")
    for i, (low, high) in enumerate(AGE_BANDS):
        band = _band(as_of, low, high, "person__birth_date")
        cancelled[f"b{i}"] = Count(
            "person_id",
            distinct=True,
            filter=_enrolment_insured(as_of, "person__enrolments__")
            & now_holder
            & band
            & Q(occurred_on__lte=as_of),
        )
    return _cancellations(ends[-1]).aggregate(**cancelled)


def insured_and_holders_filtered(
    as_of: date, months: int = MONTHS
) -> tuple[list[BandRow], list[MonthRow]]:
    """The figures of `insured_and_holders`, written directly: one aggregate with a FILTER per
    figure (36 conditions on each of a million periods). Slower; kept as the plain statement
    of the conditions, which the tests hold the grouped form to."""
    ends = months_ending(as_of, months)
    window = Enrolment.objects.filter(enrolled_on__lte=ends[-1]).filter(
        Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=ends[0])
    )
    counts: dict[str, Any] = {}
    cancelled: dict[str, Any] = {}
    for k, day in enumerate(ends):
        insured = _enrolment_insured(day)
        counts[f"i{k}"] = Count("pk", filter=insured)
        counts[f"h{k}"] = Count("pk", filter=insured & _holder(day, "person__myna_card__"))
        cancelled[f"m{k}"] = Count(
            "person_id",
            distinct=True,
            filter=_enrolment_insured(day, "person__enrolments__")
            & _holder(day, "person__myna_card__")
            & Q(occurred_on__lte=day),
        )
    now_insured = _enrolment_insured(as_of)
    now_holder = _holder(as_of, "person__myna_card__")
    for i, (low, high) in enumerate(AGE_BANDS):
        band = _band(as_of, low, high, "person__birth_date")
        counts[f"b{i}"] = Count("pk", filter=now_insured & band)
        counts[f"bh{i}"] = Count("pk", filter=now_insured & band & now_holder)
        cancelled[f"b{i}"] = Count(
            "person_id",
            distinct=True,
            filter=_enrolment_insured(as_of, "person__enrolments__")
            & now_holder
            & band
            & Q(occurred_on__lte=as_of),
        )
    totals = window.aggregate(**counts)
    corrections = _cancellations(ends[-1]).aggregate(**cancelled)
    bands = [
        BandRow(low, high, totals[f"b{i}"], totals[f"bh{i}"] - corrections[f"b{i}"])
        for i, (low, high) in enumerate(AGE_BANDS)
    ]
    by_month = [
        MonthRow(day, totals[f"i{k}"], totals[f"h{k}"] - corrections[f"m{k}"])
        for k, day in enumerate(ends)
    ]
    return bands, by_month


def insured_by_age_band(as_of: date) -> list[BandRow]:
    return insured_and_holders(as_of)[0]


def holders_by_month(as_of: date, months: int = MONTHS) -> list[MonthRow]:
    return insured_and_holders(as_of, months)[1]


@dataclass(frozen=True, slots=True)
class IssuedRow:
    month: date
    counts: dict[str, int]  # reason -> documents

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def issued_by_month(model: type[Certificate] | type[Notice], as_of: date) -> list[IssuedRow]:
    """Documents issued per month and reason over the last months (one GROUP BY)."""
    ends = months_ending(as_of)
    start = first_of_month(ends[0])
    per: dict[date, dict[str, int]] = {first_of_month(day): {} for day in ends}
    for row in (
        model.objects.filter(issued_on__gte=start, issued_on__lte=as_of)
        .annotate(month=TruncMonth("issued_on"))
        .values("month", "reason")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        month = row["month"]
        if isinstance(month, datetime):
            month = month.date()
        per[month][row["reason"]] = row["n"]
    return [IssuedRow(month, counts) for month, counts in per.items()]


@dataclass(frozen=True, slots=True)
class ApplicationRow:
    reason: str
    online: int
    counter: int
    oldest: datetime | None

    @property
    def total(self) -> int:
        return self.online + self.counter


def open_applications() -> list[ApplicationRow]:
    """Applications still waiting for a decision, by reason and channel (one GROUP BY)."""
    rows = (
        CertificateApplication.objects.filter(status=CertificateApplication.Status.SUBMITTED)
        .values("reason")
        .annotate(
            online=Count("pk", filter=Q(channel=CertificateApplication.Channel.ONLINE)),
            counter=Count("pk", filter=Q(channel=CertificateApplication.Channel.COUNTER)),
            oldest=Min("submitted_at"),
        )
        .order_by("reason")
    )
    return [ApplicationRow(r["reason"], r["online"], r["counter"], r["oldest"]) for r in rows]


@dataclass(frozen=True, slots=True)
class DueRow:
    code: str  # turns_70_notice, turns_70_certificate, certificate_expiry, myna_cert_expired,
    # turns_75
    count: int


def documents_due_next_month(as_of: date) -> tuple[date, date, list[DueRow]]:
    """The cheap categories of next month's documents, counted with SQL (no assessment):

    - turning 70 next month (R-AGE70), by whether they hold a マイナ保険証 (お知らせ) or not
      (資格確認書); from birth dates;
    - 資格確認書 expiring next month, to be renewed (R-CERT-WHO): not for people turning 70 that
      month (counted above) or reaching 75 by the day after expiry (R-AGE75), and not for
      holders unless they need support;
    - electronic certificates expiring next month of holders without a 資格確認書 in force: one
      becomes due before the grace ends (R-MYNA, R-CERT-WHO);
    - reaching 75 next month: NHI ends, no document (for planning).
    Documents due for events (enrolment, moves, lost cards, cancellations) are not counted.
    """
    first = first_of_month(add_months(first_of_month(as_of), 1))
    last = end_of_month(first)
    policy = policy_at(first)
    insured = _insured_persons(first)
    # R-AGE70: the month a person reaches 70, i.e. the day before the 70th birthday falls in it.
    turns_70 = Q(
        birth_date__gte=years_before(first + ONE_DAY, policy.elderly_age),
        birth_date__lte=years_before(last + ONE_DAY, policy.elderly_age),
    )
    holder = _holder(first, "myna_card__") & _not_cancelled(first)
    seventy = insured.filter(turns_70).aggregate(notice=Count("pk", filter=holder), all=Count("pk"))
    reaches_75 = Q(
        birth_date__gte=years_before(first, policy.late_elderly_age),
        birth_date__lte=years_before(last + ONE_DAY, policy.late_elderly_age),
    )
    expiring = (
        insured.filter(
            certificates__valid_until__gte=first,
            certificates__valid_until__lte=last,
            certificates__voided_on__isnull=True,
        )
        .exclude(turns_70)
        .exclude(reaches_75)
        .filter(~holder | Q(needs_support=True))
        .aggregate(n=Count("pk", distinct=True))
    )
    in_force = Certificate.objects.filter(
        person=OuterRef("pk"), issued_on__lte=last, valid_until__gte=last, voided_on__isnull=True
    )
    e_cert = (
        insured.filter(holder)
        .filter(myna_card__e_cert_valid_until__gte=first, myna_card__e_cert_valid_until__lte=last)
        .exclude(Exists(in_force))
        .count()
    )
    leaving = _insured_persons(first).filter(
        birth_date__gte=years_before(first, policy.late_elderly_age),
        birth_date__lte=years_before(last, policy.late_elderly_age),
    )
    rows = [
        DueRow("turns_70_notice", seventy["notice"]),
        DueRow("turns_70_certificate", seventy["all"] - seventy["notice"]),
        DueRow("certificate_expiry", expiring["n"]),
        DueRow("myna_cert_expired", e_cert),
        DueRow("turns_75", leaving.count()),
    ]
    return first, last, rows
