"""Writes about insured persons: enrolment, withdrawal, the life events the rules react to, and
the residents' activation codes; plus the two reads the counter needs after a write.

Services are the only code that writes (STYLE.md): keyword-only, `by=` the acting user, one
transaction each with its audit events inside it, so a refusal or a failure leaves nothing
behind. Refusals are `ValidationError`s keyed by the keyword argument at fault (`enrolled_on`,
`reason`, …), or by NON_FIELD_ERRORS when the records' state rather than one input is the
problem; every error has a `code`.

Each write takes the person's row lock first (households: the household row, then the members in
primary-key order), so writes about one person serialise; see ADR 0006. After the write the
person is assessed again on `as_of` (default: today in Asia/Tokyo) and the result says which
document is now due.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cards.models import Certificate, MyNumberCard, PaperCard
from eligibility.facts_builder import NoEnrolment, build_person_facts, persons_for_assessment
from eligibility.models import Enrolment, Household, InsuredPerson, LifeEvent, postal_code_validator
from eligibility.rules import facts
from eligibility.rules.assessment import Assessment, DocumentDue
from eligibility.rules.dates import ONE_DAY, reaches_age_on
from eligibility.rules.engine import assess
from eligibility.rules.policy import policy_at
from sumida_kokuho import audit
from sumida_kokuho.models import ACTIVATION_CODE_LIFETIME, ActivationCode, AuditAction

Actor = AbstractBaseUser | AnonymousUser | None
RowT = TypeVar("RowT")


# --- shared by the services of every app --------------------------------------------------------


def acting_user(by: Actor) -> AbstractBaseUser | None:
    """The user to stamp on a row (`recorded_by`, `issued_by`): None for anonymous callers."""
    return by if by is not None and by.is_authenticated else None


def refuse(field: str, message: Any, code: str, **params: Any) -> ValidationError:
    """A refusal naming `field` (NON_FIELD_ERRORS for the records' state). Raise the result."""
    return ValidationError({field: ValidationError(message, code=code, params=params or None)})


def lock_person(person: InsuredPerson) -> InsuredPerson:
    """Re-read `person` with its row locked until the transaction ends (ADR 0006).

    Every write about one person takes this lock before it reads what it decides on, so two
    clerks acting on the same person at once are served one after the other.
    """
    return InsuredPerson.objects.select_for_update().get(pk=person.pk)


def fresh_assessment(person_id: int, as_of: date) -> tuple[InsuredPerson, Assessment]:
    """The person read again from the database (not from any cache on an instance), assessed.

    Raises `NoEnrolment` for a person without any enrolment period.
    """
    person = persons_for_assessment().get(pk=person_id)
    return person, assess(build_person_facts(person, as_of), as_of)


@dataclass(frozen=True, slots=True)
class Recorded(Generic[RowT]):
    """What a write left behind: the row written, and the person's assessment afterwards."""

    row: RowT
    person: InsuredPerson
    assessment: Assessment

    @property
    def document_due(self) -> DocumentDue | None:
        """The document to offer now (at most one is due at a time), or None."""
        return self.assessment.documents_due[0] if self.assessment.documents_due else None


@dataclass(frozen=True, slots=True)
class HouseholdRecorded:
    """A household-wide change: one `Recorded` per member insured on the day of the change."""

    household: Household
    members: tuple[Recorded[LifeEvent], ...]


# --- reads --------------------------------------------------------------------------------------


def assess_person(*, person: InsuredPerson, as_of: date) -> Assessment:
    """The person's assessment on `as_of`, read fresh from the database (raises NoEnrolment)."""
    return fresh_assessment(person.pk, as_of)[1]


def document_due(*, person: InsuredPerson, as_of: date) -> DocumentDue | None:
    """The one document due for the person on `as_of`, or None (also for a person without any
    enrolment period: nothing can be due to someone never insured)."""
    try:
        due = assess_person(person=person, as_of=as_of).documents_due
    except NoEnrolment:
        return None
    return due[0] if due else None


def what_if(
    *, person: InsuredPerson, event_kind: str, occurred_on: date, as_of: date
) -> Assessment:
    """The assessment on `as_of` as if `event_kind` were recorded on `occurred_on`. Saves nothing.

    The card status follows the event the way the recording service would change it, so a
    what-if of `myna_card_reissued` shows the card usable again.
    """
    try:
        kind = facts.EventKind(event_kind)
    except ValueError:
        raise refuse(
            "event_kind", _("Choose a kind of event from the list."), "invalid_choice"
        ) from None
    stored = persons_for_assessment().get(pk=person.pk)
    current = build_person_facts(stored, as_of)
    myna = current.myna
    if myna is not None and kind is facts.EventKind.MYNA_CARD_LOST:
        myna = dataclasses.replace(myna, card_status=facts.CardStatus.LOST)
    elif myna is not None and kind is facts.EventKind.MYNA_CARD_REISSUED:
        myna = dataclasses.replace(myna, card_status=facts.CardStatus.VALID)
    supposed = dataclasses.replace(
        current, myna=myna, events=(*current.events, facts.Event(on=occurred_on, kind=kind))
    )
    return assess(supposed, as_of)


# --- helpers for the writes ---------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _recorded(row: RowT, person_id: int, as_of: date | None) -> Recorded[RowT]:
    person, assessment = fresh_assessment(person_id, as_of or _today())
    return Recorded(row=row, person=person, assessment=assessment)


def _late_elderly_from(person: InsuredPerson, day: date) -> date:
    """The 75th birthday: NHI ends that day (R-AGE75)."""
    return reaches_age_on(person.birth_date, policy_at(day).late_elderly_age) + ONE_DAY


def _insured_on(person: InsuredPerson, day: date) -> bool:
    """Whether the rules see `person` (loaded by persons_for_assessment) insured on `day`."""
    try:
        return assess(build_person_facts(person, day), day).insured
    except NoEnrolment:
        return False


def _require_insured(person: InsuredPerson, day: date, field: str = "occurred_on") -> None:
    if not _insured_on(person, day):
        raise refuse(field, _("This person is not insured on %(day)s."), "not_insured", day=day)


def _paper_cards_usable_on(person: InsuredPerson, day: date) -> list[PaperCard]:
    """Paper cards not yet invalidated whose validity covers `day` (R-PAPER-VALID)."""
    last_valid = policy_at(day).paper_card_last_valid_on
    return [
        card
        for card in person.paper_cards.all()
        if card.invalidated_on is None
        and card.issued_on <= day <= min(card.valid_until, last_valid)
    ]


def _invalidate_paper_card(
    card: PaperCard, *, on: date, reason: str, by: Actor, counter: str
) -> None:
    card.invalidated_on = on
    card.invalidated_reason = reason
    card.save(update_fields=["invalidated_on", "invalidated_reason"])
    audit.record(
        actor=by, action="invalidate", obj=card, counter=counter, detail={"reason": reason}
    )


def _write_event(
    *,
    person: InsuredPerson,
    kind: str,
    occurred_on: date,
    by: Actor,
    counter: str,
    details: dict[str, Any] | None = None,
) -> LifeEvent:
    event = LifeEvent.objects.create(
        person=person,
        kind=kind,
        occurred_on=occurred_on,
        details=details or {},
        recorded_by=acting_user(by),
    )
    # The kind only: the event's details (addresses) stay in the record, not in the trail.
    audit.record(actor=by, action="record_event", obj=event, counter=counter, detail={"kind": kind})
    return event


def _load_locked(person: InsuredPerson) -> InsuredPerson:
    """Lock the person's row, then load everything the rules read about them."""
    lock_person(person)
    return persons_for_assessment().get(pk=person.pk)


def _lock_household_members(household: Household) -> list[InsuredPerson]:
    # Locked in primary-key order, the same order for every service, so two household-wide
    # changes cannot deadlock; then loaded with everything the rules read.
    ids = list(
        InsuredPerson.objects.select_for_update()
        .filter(household=household)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(persons_for_assessment().filter(pk__in=ids).order_by("pk"))


def _members_recorded(
    household: Household, events: dict[int, LifeEvent], as_of: date | None
) -> HouseholdRecorded:
    day = as_of or _today()
    people = persons_for_assessment().filter(pk__in=events).order_by("pk")
    return HouseholdRecorded(
        household=household,
        members=tuple(
            Recorded(row=events[p.pk], person=p, assessment=assess(build_person_facts(p, day), day))
            for p in people
        ),
    )


def _outstanding_myna_loss(events: Iterable[LifeEvent]) -> LifeEvent | None:
    """The latest myna_card_lost event not followed by a reissue (as the rules read them)."""
    latest = None
    for event in sorted(events, key=lambda e: (e.occurred_on, e.pk)):
        if event.kind == LifeEvent.Kind.MYNA_CARD_LOST:
            latest = event
        elif event.kind == LifeEvent.Kind.MYNA_CARD_REISSUED:
            latest = None
    return latest


# --- enrolment and withdrawal -------------------------------------------------------------------


def enrol_person(
    *,
    person: InsuredPerson,
    enrolled_on: date,
    reason: str,
    by: Actor,
    counter: str = "",
    as_of: date | None = None,
) -> Recorded[Enrolment]:
    """資格取得: open a period of coverage from `enrolled_on` (the first covered day)."""
    if reason not in Enrolment.Reason.values:
        raise refuse("reason", _("Choose an enrolment reason from the list."), "invalid_choice")
    with transaction.atomic():
        person = lock_person(person)
        if enrolled_on < person.birth_date:
            raise refuse(
                "enrolled_on", _("The enrolment date cannot be before birth."), "before_birth"
            )
        late_elderly_from = _late_elderly_from(person, enrolled_on)
        if enrolled_on >= late_elderly_from:
            raise refuse(
                "enrolled_on",
                _("From %(day)s this person is covered by late-stage elderly care, not NHI."),
                "late_elderly",
                day=late_elderly_from,
            )
        for period in person.enrolments.all():
            if period.withdrawn_on is None or period.withdrawn_on > enrolled_on:
                raise refuse(
                    "enrolled_on",
                    _("This overlaps the period of coverage from %(day)s."),
                    "overlap",
                    day=period.enrolled_on,
                )
        enrolment = Enrolment.objects.create(person=person, enrolled_on=enrolled_on, reason=reason)
        audit.record(
            actor=by, action="enrol", obj=enrolment, counter=counter, detail={"reason": reason}
        )
        return _recorded(enrolment, person.pk, as_of)


def withdraw_person(
    *,
    person: InsuredPerson,
    withdrawn_on: date,
    reason: str,
    by: Actor,
    counter: str = "",
    as_of: date | None = None,
) -> Recorded[Enrolment]:
    """資格喪失: end the open period of coverage; `withdrawn_on` is the first uncovered day.

    The paper card still valid then is invalidated and the certificate in force is voided, both
    from `withdrawn_on` (a certificate issued later than that is voided on its issue day).
    """
    # Imported here: cards.services builds on this module.
    from cards.services import void_certificate

    if reason not in Enrolment.WithdrawalReason.values:
        raise refuse("reason", _("Choose a withdrawal reason from the list."), "invalid_choice")
    with transaction.atomic():
        person = _load_locked(person)
        enrolment = (
            person.enrolments.select_for_update()
            .filter(withdrawn_on__isnull=True)
            .order_by("-enrolled_on")
            .first()
        )
        if enrolment is None:
            raise refuse(
                NON_FIELD_ERRORS,
                _("This person has no open period of coverage to end."),
                "no_open_enrolment",
            )
        if withdrawn_on < enrolment.enrolled_on:
            raise refuse(
                "withdrawn_on",
                _("The withdrawal date cannot be before the enrolment date (%(day)s)."),
                "before_enrolment",
                day=enrolment.enrolled_on,
            )
        late_elderly_from = _late_elderly_from(person, withdrawn_on)
        if withdrawn_on > late_elderly_from:
            raise refuse(
                "withdrawn_on",
                _("Coverage already ends on the 75th birthday (%(day)s)."),
                "after_late_elderly",
                day=late_elderly_from,
            )
        enrolment.withdrawn_on = withdrawn_on
        enrolment.withdrawal_reason = reason
        enrolment.save(update_fields=["withdrawn_on", "withdrawal_reason"])
        audit.record(
            actor=by, action="withdraw", obj=enrolment, counter=counter, detail={"reason": reason}
        )
        for card in _paper_cards_usable_on(person, withdrawn_on):
            _invalidate_paper_card(
                card,
                on=withdrawn_on,
                reason=PaperCard.InvalidatedReason.WITHDRAWN,
                by=by,
                counter=counter,
            )
        for certificate in person.certificates.filter(voided_on__isnull=True):
            void_certificate(
                certificate=certificate,
                reason=Certificate.VoidReason.WITHDRAWN,
                by=by,
                on=max(withdrawn_on, certificate.issued_on),
                counter=counter,
            )
        return _recorded(enrolment, person.pk, as_of)


# --- household-wide changes ---------------------------------------------------------------------


def _refuse_out_of_order(household: Household, kind: str, occurred_on: date) -> None:
    later = (
        LifeEvent.objects.filter(
            person__household=household, kind=kind, occurred_on__gt=occurred_on
        )
        .order_by("-occurred_on")
        .first()
    )
    if later is not None:
        raise refuse(
            "occurred_on",
            _(
                "A later change (%(day)s) is already recorded; "
                "record changes in the order they happened."
            ),
            "out_of_order",
            day=later.occurred_on,
        )


def record_address_change(
    *,
    household: Household,
    occurred_on: date,
    postal_code: str,
    address: str,
    by: Actor,
    counter: str = "",
    as_of: date | None = None,
) -> HouseholdRecorded:
    """住所変更: the household moves within Sumida. Every member insured that day gets an
    address_change event (old and new address in its details); their usable paper cards are
    invalidated as contents changed (R-PAPER-VALID)."""
    postal_code, address = postal_code.strip(), address.strip()
    errors: dict[str, list[ValidationError]] = {}
    try:
        postal_code_validator(postal_code)
    except ValidationError as error:
        errors["postal_code"] = error.error_list
    max_length = Household._meta.get_field("address").max_length or 0
    if not address:
        errors["address"] = [ValidationError(_("Enter the new address."), code="required")]
    elif len(address) > max_length:
        errors["address"] = [
            ValidationError(
                _("Enter at most %(limit)s characters."),
                code="max_length",
                params={"limit": max_length},
            )
        ]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if (household.postal_code, household.address) == (postal_code, address):
            raise refuse("address", _("This is already the household's address."), "unchanged")
        _refuse_out_of_order(household, LifeEvent.Kind.ADDRESS_CHANGE, occurred_on)
        members = _lock_household_members(household)
        change = {
            "old": {"postal_code": household.postal_code, "address": household.address},
            "new": {"postal_code": postal_code, "address": address},
        }
        household.postal_code, household.address = postal_code, address
        household.save(update_fields=["postal_code", "address", "updated_at"])
        audit.record(
            actor=by,
            action=AuditAction.CHANGE,
            obj=household,
            counter=counter,
            detail={"fields": ["postal_code", "address"]},
        )
        events = _record_contents_change(
            members, LifeEvent.Kind.ADDRESS_CHANGE, occurred_on, change, by=by, counter=counter
        )
        return _members_recorded(household, events, as_of)


def _record_contents_change(
    members: list[InsuredPerson],
    kind: str,
    occurred_on: date,
    details: dict[str, Any],
    *,
    by: Actor,
    counter: str,
) -> dict[int, LifeEvent]:
    """A change of the paper card's printed contents (address, householder) for a household:
    an event for every member insured that day, and their usable paper cards invalidated
    (R-PAPER-VALID)."""
    events = {}
    for member in members:
        if not _insured_on(member, occurred_on):
            continue
        events[member.pk] = _write_event(
            person=member,
            kind=kind,
            occurred_on=occurred_on,
            details=details,
            by=by,
            counter=counter,
        )
        for card in _paper_cards_usable_on(member, occurred_on):
            _invalidate_paper_card(
                card,
                on=occurred_on,
                reason=PaperCard.InvalidatedReason.CONTENTS_CHANGED,
                by=by,
                counter=counter,
            )
    return events


def record_householder_change(
    *,
    household: Household,
    new_householder: InsuredPerson,
    occurred_on: date,
    by: Actor,
    counter: str = "",
    as_of: date | None = None,
) -> HouseholdRecorded:
    """世帯主変更: `new_householder` (a member) heads the household from `occurred_on`.

    Every member insured that day gets a householder_change event and their usable paper cards
    are invalidated (R-PAPER-VALID). The new householder's relation becomes `householder` and
    the previous householder's `other`: the other relations are corrected by hand.
    """
    with transaction.atomic():
        household = Household.objects.select_for_update().get(pk=household.pk)
        if new_householder.household_id != household.pk:
            raise refuse(
                "new_householder",
                _("The new householder must be a member of this household."),
                "not_a_member",
            )
        if household.householder_id == new_householder.pk:
            raise refuse(
                "new_householder", _("This person is already the householder."), "unchanged"
            )
        _refuse_out_of_order(household, LifeEvent.Kind.HOUSEHOLDER_CHANGE, occurred_on)
        members = _lock_household_members(household)
        previous_id = household.householder_id
        household.householder_id = new_householder.pk
        household.save(update_fields=["householder", "updated_at"])
        audit.record(
            actor=by,
            action=AuditAction.CHANGE,
            obj=household,
            counter=counter,
            detail={"fields": ["householder"]},
        )
        for member in members:
            relation = None
            if member.pk == new_householder.pk:
                relation = InsuredPerson.Relation.HOUSEHOLDER
            elif member.pk == previous_id and member.relation == InsuredPerson.Relation.HOUSEHOLDER:
                relation = InsuredPerson.Relation.OTHER
            if relation is not None and relation != member.relation:
                member.relation = relation
                member.save(update_fields=["relation", "updated_at"])
                audit.record(
                    actor=by,
                    action=AuditAction.CHANGE,
                    obj=member,
                    counter=counter,
                    detail={"fields": ["relation"]},
                )
        details = {"old_householder_id": previous_id, "new_householder_id": new_householder.pk}
        events = _record_contents_change(
            members, LifeEvent.Kind.HOUSEHOLDER_CHANGE, occurred_on, details, by=by, counter=counter
        )
        return _members_recorded(household, events, as_of)


# --- lost cards and the registration ------------------------------------------------------------


def record_paper_card_lost(
    *,
    person: InsuredPerson,
    occurred_on: date,
    by: Actor,
    counter: str = "",
    as_of: date | None = None,
) -> Recorded[LifeEvent]:
    """紙の保険証の紛失: the paper card cannot be used from `occurred_on` and is not reissued;
    a certificate becomes due on application for people without マイナ保険証 (R-CERT-APPLY)."""
    with transaction.atomic():
        person = _load_locked(person)
        _require_insured(person, occurred_on)
        issued = [card for card in person.paper_cards.all() if card.issued_on <= occurred_on]
        if not issued:
            raise refuse(
                "occurred_on",
                _("No paper card had been issued to this person by that day."),
                "no_paper_card",
            )
        latest = max(issued, key=lambda card: (card.issued_on, card.pk))
        if latest.invalidated_reason == PaperCard.InvalidatedReason.LOST:
            raise refuse(
                NON_FIELD_ERRORS, _("This paper card is already reported lost."), "already_lost"
            )
        event = _write_event(
            person=person,
            kind=LifeEvent.Kind.PAPER_CARD_LOST,
            occurred_on=occurred_on,
            by=by,
            counter=counter,
        )
        for card in _paper_cards_usable_on(person, occurred_on):
            _invalidate_paper_card(
                card,
                on=occurred_on,
                reason=PaperCard.InvalidatedReason.LOST,
                by=by,
                counter=counter,
            )
        return _recorded(event, person.pk, as_of)


def _set_card_status(
    card: MyNumberCard,
    *,
    status: str,
    on: date,
    by: Actor,
    counter: str,
    e_cert_valid_until: date | None = None,
) -> None:
    card.card_status = status
    card.status_changed_on = on
    fields = ["card_status", "status_changed_on"]
    if e_cert_valid_until is not None:
        card.e_cert_valid_until = e_cert_valid_until
        fields.append("e_cert_valid_until")
    card.save(update_fields=[*fields, "updated_at"])
    audit.record(
        actor=by, action=AuditAction.CHANGE, obj=card, counter=counter, detail={"fields": fields}
    )


def _myna_card(person: InsuredPerson) -> MyNumberCard | None:
    return MyNumberCard.objects.select_for_update().filter(person=person).first()


def record_myna_card_lost(
    *,
    person: InsuredPerson,
    occurred_on: date,
    by: Actor,
    counter: str = "",
    as_of: date | None = None,
) -> Recorded[LifeEvent]:
    """マイナンバーカードの紛失: the card is marked lost (when the ward has its record) and the
    event stops it working as マイナ保険証 until a reissue is recorded (ADR 0001 point 5)."""
    with transaction.atomic():
        person = _load_locked(person)
        _require_insured(person, occurred_on)
        if _outstanding_myna_loss(person.events.all()) is not None:
            raise refuse(
                NON_FIELD_ERRORS,
                _("The My Number card is already reported lost."),
                "already_lost",
            )
        card = _myna_card(person)
        if card is not None:
            _set_card_status(
                card, status=MyNumberCard.Status.LOST, on=occurred_on, by=by, counter=counter
            )
        event = _write_event(
            person=person,
            kind=LifeEvent.Kind.MYNA_CARD_LOST,
            occurred_on=occurred_on,
            by=by,
            counter=counter,
        )
        return _recorded(event, person.pk, as_of)


def record_myna_card_reissued(
    *,
    person: InsuredPerson,
    occurred_on: date,
    by: Actor,
    counter: str = "",
    as_of: date | None = None,
    e_cert_valid_until: date | None = None,
) -> Recorded[LifeEvent]:
    """マイナンバーカードの再交付: the card is valid again from `occurred_on` (with the new card's
    electronic certificate expiry, when given)."""
    with transaction.atomic():
        person = _load_locked(person)
        loss = _outstanding_myna_loss(person.events.all())
        card = _myna_card(person)
        card_down = card is not None and card.card_status in (
            MyNumberCard.Status.LOST,
            MyNumberCard.Status.SUSPENDED,
        )
        if loss is None and not card_down:
            raise refuse(
                NON_FIELD_ERRORS,
                _("No loss of the My Number card is recorded."),
                "not_lost",
            )
        if loss is not None and occurred_on < loss.occurred_on:
            raise refuse(
                "occurred_on",
                _("The reissue cannot be before the loss (%(day)s)."),
                "before_loss",
                day=loss.occurred_on,
            )
        _require_insured(person, occurred_on)
        if card is not None:
            _set_card_status(
                card,
                status=MyNumberCard.Status.VALID,
                on=occurred_on,
                by=by,
                counter=counter,
                e_cert_valid_until=e_cert_valid_until,
            )
        event = _write_event(
            person=person,
            kind=LifeEvent.Kind.MYNA_CARD_REISSUED,
            occurred_on=occurred_on,
            by=by,
            counter=counter,
        )
        return _recorded(event, person.pk, as_of)


def record_myna_registration_cancelled(
    *,
    person: InsuredPerson,
    occurred_on: date,
    by: Actor,
    counter: str = "",
    as_of: date | None = None,
) -> Recorded[LifeEvent]:
    """利用登録解除: the card no longer works as マイナ保険証 from `occurred_on`.

    `registered_on` is kept: the rules read a cancellation on or after it as the end of that
    registration, and a later `registered_on` as a new one (ADR 0001 point 5). Clearing it would
    also erase when the person had been registered.
    """
    with transaction.atomic():
        person = _load_locked(person)
        card = _myna_card(person)
        if card is None or card.registered_on is None:
            raise refuse(
                NON_FIELD_ERRORS,
                _("The My Number card is not registered for health-insurance use."),
                "not_registered",
            )
        if occurred_on < card.registered_on:
            raise refuse(
                "occurred_on",
                _("The cancellation cannot be before the registration (%(day)s)."),
                "before_registration",
                day=card.registered_on,
            )
        if any(
            e.kind == LifeEvent.Kind.MYNA_REGISTRATION_CANCELLED
            and e.occurred_on >= card.registered_on
            for e in person.events.all()
        ):
            raise refuse(
                NON_FIELD_ERRORS,
                _("This registration is already cancelled."),
                "already_cancelled",
            )
        _require_insured(person, occurred_on)
        event = _write_event(
            person=person,
            kind=LifeEvent.Kind.MYNA_REGISTRATION_CANCELLED,
            occurred_on=occurred_on,
            by=by,
            counter=counter,
        )
        return _recorded(event, person.pk, as_of)


# --- activation codes ---------------------------------------------------------------------------

# No 0/O, 1/I: the code is read off paper and typed. 32 symbols x 12 = 60 bits from the CSPRNG.
ACTIVATION_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
ACTIVATION_CODE_LENGTH = 12
_INSURED_NUMBER = re.compile(r"([0-9]+)-([0-9]+)-([0-9]{2})")


def plain_activation_codes(count: int) -> list[str]:
    """`count` fresh codes from one read of the CSPRNG (`secrets.choice` costs a system call per
    symbol). Each symbol is a random byte below the largest multiple of the alphabet's size,
    taken modulo that size: uniform, bytes above it are skipped (rejection sampling)."""
    size = len(ACTIVATION_ALPHABET)
    limit = 256 - 256 % size
    wanted = count * ACTIVATION_CODE_LENGTH
    symbols: list[str] = []
    while len(symbols) < wanted:
        symbols.extend(
            ACTIVATION_ALPHABET[byte % size]
            for byte in secrets.token_bytes(wanted - len(symbols) + 16)
            if byte < limit
        )
    codes = []
    for start in range(0, wanted, ACTIVATION_CODE_LENGTH):
        plain = "".join(symbols[start : start + ACTIVATION_CODE_LENGTH])
        codes.append("-".join(plain[i : i + 4] for i in range(0, ACTIVATION_CODE_LENGTH, 4)))
    return codes


def _hash_code(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def _normalise_code(code: str) -> str:
    """Upper case, half width, without the grouping hyphens and spaces people type."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", code)).upper()


def issue_activation_code(
    *, person: InsuredPerson, by: Actor, counter: str = ""
) -> tuple[ActivationCode, str]:
    """A new activation code for `person`, to be printed. Returns the row and the plain code
    (XXXX-XXXX-XXXX), which is shown this once and never stored; older unused codes of the
    person expire now, so only the latest letter works."""
    with transaction.atomic():
        person = lock_person(person)
        now = timezone.now()
        expired = ActivationCode.objects.filter(
            person=person, used_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)
        printed = plain_activation_codes(1)[0]
        code = ActivationCode.objects.create(
            person=person,
            code_hash=_hash_code(_normalise_code(printed)),
            created_at=now,
            expires_at=now + ACTIVATION_CODE_LIFETIME,
            created_by=acting_user(by),
        )
        audit.record(
            actor=by,
            action=AuditAction.ISSUE,
            obj=code,
            person=person,
            counter=counter,
            detail={"expired_codes": expired},
        )
    return code, printed


def redeem_activation_code(
    *, insured_number: str, birth_date: date, code: str, at: datetime | None = None
) -> InsuredPerson | None:
    """The person whose unused, unexpired code this is, if 記号-番号-枝番 and the birth date are
    theirs too; the code is then used up. None otherwise, without saying which part was wrong.

    The code is found by its hash (the database compares hashes, never the code), and refusals
    are audit-logged with their cause for the staff only.
    """
    now = at or timezone.now()
    normalised = _normalise_code(code)
    digest = _hash_code(normalised)
    number = _INSURED_NUMBER.fullmatch(unicodedata.normalize("NFKC", insured_number).strip())
    with transaction.atomic():
        row = (
            ActivationCode.objects.select_for_update(of=("self",))
            .select_related("person__household")
            .filter(code_hash=digest)
            .first()
        )
        cause = None
        if row is None or not hmac.compare_digest(row.code_hash, digest):
            cause = "unknown_code"
        elif row.used_at is not None:
            cause = "used"
        elif now >= row.expires_at:
            cause = "expired"
        else:
            person = row.person
            claimed = "-".join(number.groups()) if number else ""
            actual = f"{person.household.symbol}-{person.household.number}-{person.branch}"
            same_number = hmac.compare_digest(claimed.encode(), actual.encode())
            if not (same_number and birth_date == person.birth_date):
                cause = "identity_mismatch"
        if cause is not None:
            audit.record(
                actor=None,
                action="redeem_refused",
                obj=row,
                detail={"cause": cause},
                object_type="sumida_kokuho.activationcode",
            )
            return None
        assert row is not None
        row.used_at = now
        row.save(update_fields=["used_at"])
        audit.record(actor=None, action="redeem", obj=row)
        return row.person
