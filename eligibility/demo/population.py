"""A generated Sumida NHI population: households of 1–6 people around a given as-of date.

Deterministic: household number i depends only on (seed, as_of, i), so the same seed gives the
same people, and topping up a population continues it rather than repeating it. Names come from
Faker's ja_JP lists (kanji with their katakana readings), addresses from the real Sumida towns and
postal codes. The shares below are plausible for a Tokyo ward's NHI (many single households and
people aged 65–74), not statistics; rare situations are a little more frequent than in life so a
few hundred people already show every rule path.
"""

from __future__ import annotations

import multiprocessing
import random
from collections import deque
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import accumulate
from multiprocessing.pool import AsyncResult

from faker.providers.person.ja_JP import Provider as JapaneseNames

from eligibility.demo import POPULATION_SYMBOL
from eligibility.demo.history import complete_documents, plan_determinations
from eligibility.demo.plan import (
    ArrearsPlan,
    EventPlan,
    HouseholdPlan,
    IncomeFigures,
    MynaPlan,
    PaperCardPlan,
    PersonPlan,
)
from eligibility.rules.assessment import DocumentDue
from eligibility.rules.dates import (
    ONE_DAY,
    add_months,
    age_on,
    anniversary,
    first_of_month,
    reaches_age_on,
)
from eligibility.rules.facts import DocumentKind
from eligibility.rules.policy import policy_at
from eligibility.sumida_addresses import TOWNS, Town

# Dates of the world the population lives in (not rule parameters: those come from the policy).
PAPER_CARD_RENEWED_ON = date(2024, 10, 1)  # Sumida's last yearly paper card renewal
ONLINE_CHECKS_FROM = date(2021, 10, 20)  # マイナ保険証 in use from here
POINTS_CAMPAIGN = (date(2022, 6, 30), date(2023, 9, 30))  # when most people registered
CANCELLATION_FROM = date(2024, 10, 28)  # 利用登録解除 possible from here
OLDEST_ENROLMENT = date(2000, 4, 1)

# On-application documents: the share of people who apply.
P_APPLY = 0.55


def _pairs(
    names: dict[tuple[str, str, str], float] | tuple[tuple[str, str, str], ...],
) -> tuple[list[tuple[str, str, str]], list[float]]:
    """(kanji, katakana, romaji) names and cumulative weights (Faker's, or equal ones)."""
    weights = list(names.values()) if isinstance(names, dict) else [1.0] * len(names)
    return list(names), list(accumulate(weights))


_FAMILY = _pairs(JapaneseNames.last_name_pairs)
_MALE = _pairs(JapaneseNames.first_name_male_pairs)
_FEMALE = _pairs(JapaneseNames.first_name_female_pairs)
_BUILDINGS = ("ハイツ", "コーポ", "メゾン", "レジデンス", "パークハウス")

# Household kinds and their weights.
_KINDS = (
    ("single_young", 22),
    ("single_middle", 14),
    ("single_senior", 20),
    ("senior_couple", 12),
    ("middle_couple", 6),
    ("family", 14),
    ("three_generations", 4),
    ("senior_and_child", 8),
)
_KIND_NAMES = [k for k, _ in _KINDS]
_KIND_WEIGHTS = list(accumulate(w for _, w in _KINDS))


def generate_chunk(seed: int, as_of: date, first_index: int, count: int) -> list[HouseholdPlan]:
    """Households number `first_index` to `first_index + count - 1` (a worker's task)."""
    generator = Generator(seed, as_of)
    return [generator.household(i) for i in range(first_index, first_index + count)]


def chunks(
    seed: int, as_of: date, first_index: int, persons: int, size: int, workers: int = 0
) -> Iterator[list[HouseholdPlan]]:
    """`Generator.households` cut into lists of `size` households, made by `workers` processes.

    The result does not depend on `size` or `workers`: each household depends only on its number,
    and the household that reaches `persons` is made again with the members that still fit.
    """
    if persons <= 0:
        return
    generator = Generator(seed, as_of)
    if not workers:
        chunk: list[HouseholdPlan] = []
        for plan in generator.households(first_index, persons):
            chunk.append(plan)
            if len(chunk) == size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
        return
    made = 0
    source = _in_workers(seed, as_of, first_index, size, workers)
    try:
        for first, plans in source:
            for offset, plan in enumerate(plans):
                if len(plan.members) >= persons - made:
                    last = generator.household(first + offset, limit=persons - made)
                    yield plans[:offset] + [last]
                    return
                made += len(plan.members)
            yield plans
    finally:
        source.close()  # stops the worker processes


def count_from(first: int, step: int) -> Iterator[int]:
    while True:
        yield first
        first += step


def _in_workers(
    seed: int, as_of: date, first_index: int, size: int, workers: int
) -> Iterator[tuple[int, list[HouseholdPlan]]]:
    # "spawn": the workers import only this pure module, never the parent's database connection.
    # At most workers + 1 chunks wait, so memory stays flat when writing is the slower side.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        waiting: deque[tuple[int, AsyncResult[list[HouseholdPlan]]]] = deque()
        starts = count_from(first_index, size)
        while True:
            while len(waiting) <= workers:
                first = next(starts)
                waiting.append(
                    (first, pool.apply_async(generate_chunk, (seed, as_of, first, size)))
                )
            first, result = waiting.popleft()
            yield first, result.get()


class Generator:
    """Builds household number `index` for one seed and as-of date."""

    def __init__(self, seed: int, as_of: date) -> None:
        self.seed = seed
        self.as_of = as_of
        self.policy = policy_at(as_of)
        self.stop_on = self.policy.paper_card_stop_on

    def households(self, first_index: int, persons: int) -> Iterator[HouseholdPlan]:
        """Households from number `first_index` on, until they hold `persons` people."""
        index, made = first_index, 0
        while made < persons:
            household = self.household(index, limit=persons - made)
            made += len(household.members)
            index += 1
            yield household

    def household(self, index: int, limit: int = 6) -> HouseholdPlan:
        # Not for secrets: reproducible demo data. A string seed is hashed the same everywhere.
        rng = random.Random(f"sumida-kokuho-demo:{self.seed}:{self.as_of}:{index}")  # noqa: S311
        town = rng.choice(TOWNS)
        address = self._address(rng, town)
        household = HouseholdPlan(POPULATION_SYMBOL, f"{index:07d}", town.postal_code, address)
        family = rng.choices(_FAMILY[0], cum_weights=_FAMILY[1])[0]
        ages = self._composition(rng)[: max(1, limit)]
        for number, (relation, low, high, sex) in enumerate(ages, start=1):
            household.members.append(self._person(rng, number, family, relation, low, high, sex))
        self._enrol(rng, household)
        for person in household.members:
            self._cards(rng, person)
        self._household_events(rng, household)
        if rng.random() < 0.045:
            since = first_of_month(self.as_of - timedelta(days=rng.randint(20, 1100)))
            settled = None
            if rng.random() < 0.25:
                paid_after = rng.randint(30, max(30, (self.as_of - since).days))
                settled = since + timedelta(days=paid_after)
                settled = settled if settled <= self.as_of else None
            household.arrears.append(ArrearsPlan(since, settled))
        household.base_income_application = rng.random() < 0.5
        plan_determinations(household, self.as_of, _pension_income)
        complete_documents(household, self.as_of, PopulationIssuer(rng))
        return household

    # --- people -----------------------------------------------------------------------------------

    def _composition(self, rng: random.Random) -> list[tuple[str, int, int, str]]:
        """(relation, lowest age, highest age, sex) per member, householder first."""
        kind = rng.choices(_KIND_NAMES, cum_weights=_KIND_WEIGHTS)[0]
        sex = rng.choice("12")
        other = "2" if sex == "1" else "1"
        if kind == "single_young":
            return [("householder", 20, 39, sex)]
        if kind == "single_middle":
            return [("householder", 40, 64, sex)]
        if kind == "single_senior":
            return [("householder", 65, 74, sex)]
        if kind == "senior_couple":
            return [("householder", 65, 74, "1"), ("spouse", 62, 74, "2")]
        if kind == "middle_couple":
            return [("householder", 40, 64, "1"), ("spouse", 38, 64, "2")]
        children = [("child", 0, 18, rng.choice("12")) for _ in range(rng.randint(1, 4))]
        if kind == "family":
            parents = [("householder", 28, 50, "1")]
            if rng.random() < 0.85:
                parents.append(("spouse", 26, 50, "2"))
            return parents + children
        if kind == "three_generations":
            elders = [("parent", 62, 74, "1"), ("parent", 60, 74, "2")][: rng.randint(1, 2)]
            return [("householder", 35, 50, "1"), ("spouse", 33, 50, "2")] + children[:2] + elders
        adults = [("householder", 65, 74, sex), ("child", 25, 50, other)]
        if rng.random() < 0.4:
            adults.insert(1, ("spouse", 63, 74, other))
        return adults

    def _person(
        self,
        rng: random.Random,
        number: int,
        family: tuple[str, str, str],
        relation: str,
        low: int,
        high: int,
        sex: str,
    ) -> PersonPlan:
        birth = self._birth(rng, low, high)
        names = _MALE if sex == "1" else _FEMALE
        given = rng.choices(names[0], cum_weights=names[1])[0]
        person = PersonPlan(
            branch=f"{number:02d}",
            family_name=family[0],
            given_name=given[0],
            family_name_kana=family[1],
            given_name_kana=given[1],
            sex=sex,
            relation=relation,
            birth_date=birth,
            enrolled_on=birth,  # set by _enrol
            enrolment_reason="other",
        )
        if age_on(birth, self.as_of) >= 65:
            person.base_income = _income(rng)
        return person

    def _birth(self, rng: random.Random, low: int, high: int) -> date:
        a = self.as_of
        if high >= 70 and rng.random() < 0.12:
            # Around the edges the rules care about: the month of turning 70, and 75.
            years = rng.choice((70, 70, 75))
            month = add_months(first_of_month(a), rng.randint(-2, 2))
            day = 1 if rng.random() < 0.3 else rng.randint(2, 28)
            return min(date(month.year - years, month.month, day), a)
        latest = _years_before(a, low)
        earliest = _years_before(a, high + 1) + ONE_DAY
        birth = date.fromordinal(rng.randint(earliest.toordinal(), latest.toordinal()))
        roll = rng.random()
        if roll < 0.03:
            birth = birth.replace(day=1)
        elif roll < 0.034:
            leap = birth.year - birth.year % 4
            if leap % 100 == 0 and leap % 400:
                leap -= 4
            birth = date(leap, 2, 29)
        return min(birth, a)

    def _enrol(self, rng: random.Random, household: HouseholdPlan) -> None:
        a, stop_on = self.as_of, self.stop_on
        adults = [p for p in household.members if age_on(p.birth_date, a) >= 18]
        youngest_adult = max(
            (p.birth_date for p in adults), default=household.members[0].birth_date
        )
        roll = rng.random()
        if roll < 0.16:
            recent_from = max(stop_on, a - timedelta(days=730))
            if rng.random() < 0.25:
                recent_from = max(stop_on, a - timedelta(days=45))
            base = _between(rng, recent_from, a)
            reason = rng.choices(
                ("job_loss", "move_in", "welfare_ended", "other"), cum_weights=(55, 90, 93, 100)
            )[0]
        else:
            earliest = max(OLDEST_ENROLMENT, anniversary(youngest_adult, 20))
            if household.members[0].birth_date < _years_before(a, 62):
                # Pensioners mostly joined when they retired, at 60 to 65.
                earliest = max(earliest, anniversary(household.members[0].birth_date, 60))
            base = _between(rng, min(earliest, stop_on - ONE_DAY), stop_on - ONE_DAY)
            reason = rng.choices(("job_loss", "move_in", "other"), cum_weights=(50, 85, 100))[0]
        late_elderly_age = self.policy.late_elderly_age
        for person in household.members:
            person.enrolled_on = max(base, person.birth_date)
            person.enrolment_reason = "birth" if person.enrolled_on == person.birth_date else reason
            if person.enrolled_on >= anniversary(person.birth_date, late_elderly_age - 1):
                # Nobody joins NHI on the eve of 後期高齢者医療: this member joined on retiring.
                person.enrolled_on = anniversary(person.birth_date, 65)
                person.enrolment_reason = "job_loss"
        self._withdraw(rng, household)

    def _withdraw(self, rng: random.Random, household: HouseholdPlan) -> None:
        a = self.as_of
        late_elderly_age = self.policy.late_elderly_age
        moved_out = rng.random() < 0.03
        moved_on = None
        if moved_out:
            start = max(p.enrolled_on for p in household.members) + timedelta(days=30)
            moved_on = _between(rng, start, a) if start < a else None
        for person in household.members:
            turns_75 = anniversary(person.birth_date, late_elderly_age)
            if turns_75 <= a:
                person.withdrawn_on, person.withdrawal_reason = turns_75, "late_elderly"
            elif moved_on is not None:
                person.withdrawn_on, person.withdrawal_reason = moved_on, "move_out"
            elif person.enrolled_on + timedelta(days=30) < a:
                age = age_on(person.birth_date, a)
                roll = rng.random()
                if 20 <= age < 65 and roll < 0.025:
                    reason = "employment"
                elif age >= 60 and roll < 0.004:
                    reason = "death"
                else:
                    continue
                person.withdrawn_on = _between(rng, person.enrolled_on + timedelta(days=30), a)
                person.withdrawal_reason = reason
        householder = household.members[0]
        others = [p for p in household.members[1:] if p.withdrawn_on is None]
        if householder.withdrawal_reason == "death" and others:
            # The next member becomes the householder: the others' cards change (R-PAPER-VALID).
            died_on = householder.withdrawn_on
            assert died_on is not None
            householder.relation, others[0].relation = "other", "householder"
            for person in others:
                person.events.append(EventPlan(died_on, "householder_change"))

    # --- cards and events -----------------------------------------------------------------------

    def _cards(self, rng: random.Random, person: PersonPlan) -> None:
        a, policy = self.as_of, self.policy
        if person.enrolled_on < self.stop_on and (
            person.withdrawn_on is None or person.withdrawn_on > PAPER_CARD_RENEWED_ON
        ):
            issued = max(PAPER_CARD_RENEWED_ON, person.enrolled_on)
            last = min(
                policy.paper_card_last_valid_on,
                reaches_age_on(person.birth_date, policy.late_elderly_age),
            )
            if issued <= last and issued <= a:
                person.paper_card = PaperCardPlan(issued, last)
                if rng.random() < 0.025:
                    lost_until = min(last, a, (person.withdrawn_on or a) - ONE_DAY)
                    if issued <= lost_until:
                        person.events.append(
                            EventPlan(_between(rng, issued, lost_until), "paper_card_lost")
                        )
        person.myna = self._myna(rng, person)
        if rng.random() < (0.03 if age_on(person.birth_date, a) >= 65 else 0.006):
            person.needs_support = True
            start = max(person.enrolled_on, self.stop_on)
            if start <= a:
                recent = rng.random() < 0.4
                person.needs_support_since = _between(
                    rng, max(start, a - timedelta(days=30)) if recent else start, a
                )

    def _myna(self, rng: random.Random, person: PersonPlan) -> MynaPlan | None:
        a = self.as_of
        age = age_on(person.birth_date, a)
        registered_share = 0.55 if age < 15 else 0.65 if age < 20 else 0.78 if age < 65 else 0.82
        roll = rng.random()
        if roll >= registered_share:
            if roll < registered_share + 0.08:
                return MynaPlan(registered_on=None, e_cert_valid_until=_future(rng, a))
            return None
        if rng.random() < 0.55:
            registered = _between(rng, *POINTS_CAMPAIGN)
        else:
            registered = _between(rng, ONLINE_CHECKS_FROM, a)
        registered = max(registered, person.birth_date + timedelta(days=rng.randint(30, 300)))
        if registered > a:
            return None
        card = MynaPlan(registered_on=registered)
        card.e_cert_valid_until = self._e_cert(rng, registered)
        roll = rng.random()
        changed_from = max(registered, a - timedelta(days=30 if rng.random() < 0.25 else 420))
        if roll < 0.028:
            card.status_changed_on = _between(rng, changed_from, a)
            if roll < 0.012:
                card.card_status = "lost"
                if rng.random() < 0.9:
                    person.events.append(EventPlan(card.status_changed_on, "myna_card_lost"))
            elif roll < 0.022:
                card.card_status = "suspended"
                if rng.random() < 0.8:
                    person.events.append(EventPlan(card.status_changed_on, "myna_card_lost"))
            else:
                card.card_status = "returned"
                if card.status_changed_on >= CANCELLATION_FROM:
                    person.events.append(
                        EventPlan(card.status_changed_on, "myna_registration_cancelled")
                    )
        elif roll < 0.04:
            lost = _between(rng, changed_from, a)
            back = lost + timedelta(days=rng.randint(30, 60))
            person.events.append(EventPlan(lost, "myna_card_lost"))
            if back <= a:
                person.events.append(EventPlan(back, "myna_card_reissued"))
        elif roll < 0.047:
            start = max(registered, CANCELLATION_FROM)
            if rng.random() < 0.3:
                start = max(start, a - timedelta(days=30))
            if start <= a:
                person.events.append(
                    EventPlan(_between(rng, start, a), "myna_registration_cancelled")
                )
        return card

    def _e_cert(self, rng: random.Random, registered: date) -> date | None:
        a = self.as_of
        roll = rng.random()
        if roll < 0.08:
            return None
        if roll < 0.14:
            expired = a - timedelta(days=rng.randint(1, 240))
        elif roll < 0.15:
            expired = a - timedelta(days=rng.randint(241, 700))
        else:
            return _future(rng, a)
        return expired if expired > registered + timedelta(days=30) else _future(rng, a)

    def _household_events(self, rng: random.Random, household: HouseholdPlan) -> None:
        a = self.as_of
        if rng.random() >= 0.09:
            return
        start = max([self.stop_on] + [p.enrolled_on for p in household.members])
        if start > a:
            return
        if rng.random() < 0.15:
            start = max(start, a - timedelta(days=30))
        moved_on = _between(rng, start, a)
        before = rng.choice(TOWNS)
        details = {
            "previous_postal_code": before.postal_code,
            "previous_address": self._address(rng, before),
        }
        for person in household.members:
            if person.enrolled_on <= moved_on and (
                person.withdrawn_on is None or person.withdrawn_on > moved_on
            ):
                person.events.append(EventPlan(moved_on, "address_change", dict(details)))

    @staticmethod
    def _address(rng: random.Random, town: Town) -> str:
        line = town.address(rng.randint(1, town.chome), rng.randint(1, 30), rng.randint(1, 25))
        if rng.random() < 0.35:
            line += f"　{town.name}{rng.choice(_BUILDINGS)}{rng.randint(1, 8)}0{rng.randint(1, 9)}"
        return line


class PopulationIssuer:
    """When the ward gave a due document: the counter, the monthly batch, or an application."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def issue_on(
        self, person: PersonPlan, due: DocumentDue, detected_on: date, as_of: date
    ) -> date | None:
        rng = self.rng
        if due.on_application:
            if rng.random() >= P_APPLY:
                return None
            return detected_on + timedelta(days=rng.randint(0, 20))
        reason, by = due.reason, due.by
        if reason in ("new_enrolment", "contents_changed"):
            low, high = (0, 10) if due.document is DocumentKind.NOTICE else (2, 16)
            day = detected_on + timedelta(days=rng.randint(low, high))
        elif reason == "turns_70":
            day = detected_on.replace(day=rng.randint(18, 26))  # late in the month (R-AGE70)
        elif (
            reason in ("paper_card_expiry", "certificate_expiry")
            and by is not None
            and (by > detected_on)
        ):
            day = by - timedelta(
                days=rng.randint(15, 55) if reason == "paper_card_expiry" else rng.randint(5, 25)
            )
        elif reason == "myna_cert_expired":
            day = detected_on + timedelta(days=rng.randint(14, 60))
        else:
            day = detected_on + timedelta(days=rng.randint(2, 20))
        day = max(day, detected_on)
        if by is not None and detected_on <= by:
            day = min(day, by)
        return day


# --- small helpers --------------------------------------------------------------------------------


def _between(rng: random.Random, first: date, last: date) -> date:
    if last <= first:
        return first
    return date.fromordinal(rng.randint(first.toordinal(), last.toordinal()))


def _years_before(day: date, years: int) -> date:
    return (
        anniversary(day, -years)
        if not (day.month == 2 and day.day == 29)
        else date(day.year - years, 2, 28)
    )


def _future(rng: random.Random, as_of: date) -> date:
    return as_of + timedelta(days=rng.randint(20, 1800))


def _income(rng: random.Random) -> IncomeFigures:
    """A 65+ person's yearly figures: mostly pensions; a few with active-level income."""
    roll = rng.random()
    if roll < 0.78:
        taxable = rng.choice((0, 0, 0, rng.randint(0, 1_200_000)))
    elif roll < 0.88:
        taxable = rng.randint(1_200_000, 1_449_999)
    else:
        taxable = rng.randint(1_450_000, 5_000_000)
    old_proviso = taxable + rng.randint(330_000, 1_500_000) if taxable else rng.randint(0, 600_000)
    return IncomeFigures(taxable, old_proviso, old_proviso + rng.randint(1_100_000, 2_000_000))


def _pension_income(person: PersonPlan, fiscal_year: int) -> IncomeFigures:
    return person.base_income or IncomeFigures(0, 0, 780_000)
