"""Records to snapshots: the only document code that reads the database and the settings.

For many documents at once pass persons from
`persons_for_assessment().select_related("household__householder")` (or rows prefetching the
same relations): every builder here then runs without a query of its own.

The co-payment ratio is printed for 70–74 only (R-CONTENTS). Its 発効期日 is not stored on the
rows, so it is derived: the day the 70–74 rates start (R-AGE70), or the 1 August redetermination
(R-RATIO) that the document's period falls in, whichever is later.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.conf import settings
from django.utils.translation import gettext as _

from cards.models import Certificate
from eligibility.facts_builder import NoEnrolment, PersonRow, build_person_facts
from eligibility.models import InsuredPerson
from eligibility.rules.assessment import Assessment, Milestones
from eligibility.rules.engine import assess, milestones
from eligibility.rules.facts import PersonFacts
from eligibility.rules.policy import policy_at
from notices.documents.snapshots import CertificateSnapshot, DocumentSnapshot, NoticeSnapshot
from notices.models import Notice

Kind = Literal["certificate", "notice"]
SPECIAL_NOTE = "special_medical_expenses"


class SnapshotError(LookupError):
    """No document can be printed for this person (the message says why, for staff)."""


def certificate_snapshot(certificate: Certificate) -> CertificateSnapshot:
    """The 資格確認書 as it was issued (its dates, ratio and marker), with the person's current
    name and address."""
    person = certificate.person
    facts = _facts(person, certificate.issued_on)
    return certificate_snapshot_from(
        person_fields=_person_fields(person, facts),
        birth_date=person.birth_date,
        number=certificate.number,
        issued_on=certificate.issued_on,
        valid_until=certificate.valid_until,
        burden_ratio=certificate.burden_ratio,
        special_medical_expenses=certificate.special_medical_expenses,
    )


def certificate_snapshot_from(
    *,
    person_fields: dict[str, Any],
    birth_date: date,
    number: str,
    issued_on: date,
    valid_until: date,
    burden_ratio: int | None,
    special_medical_expenses: bool,
    activation_code: str | None = None,
    activation_code_until: date | None = None,
) -> CertificateSnapshot:
    """`certificate_snapshot` from plain values (the batch issues many without reading rows)."""
    ratio = burden_ratio
    elderly_from = _milestones_for(birth_date, issued_on).elderly_from
    # Under 70 for the whole validity: nothing to print, whatever was stored.
    if ratio is not None and valid_until < elderly_from:
        ratio = None
    return CertificateSnapshot(
        **person_fields,
        issued_on=issued_on,
        burden_ratio=ratio,
        burden_ratio_from=(_ratio_from(elderly_from, valid_until) if ratio is not None else None),
        special_medical_expenses=special_medical_expenses,
        certificate_number=number,
        valid_until=valid_until,
        activation_code=activation_code,
        activation_code_until=activation_code_until if activation_code else None,
    )


def notice_snapshot(
    notice: Notice,
    *,
    activation_code: str | None = None,
    activation_code_until: date | None = None,
) -> NoticeSnapshot:
    """The お知らせ as it was issued. The 特別療養費 marker is not stored on the notice, so the
    rules decide it for the issue day (R-ARREARS).

    `activation_code` is the plain code `eligibility.services.issue_activation_code` returned
    (it is never stored) with its last valid day (its `expires_at`, as a local date).
    """
    person = notice.person
    facts = _facts(person, notice.issued_on)
    return notice_snapshot_from(
        person_fields=_person_fields(person, facts),
        birth_date=person.birth_date,
        issued_on=notice.issued_on,
        burden_ratio=notice.burden_ratio,
        special_medical_expenses=facts is not None and _special(assess(facts, notice.issued_on)),
        addressee_name=_addressee(person),
        activation_code=activation_code,
        activation_code_until=activation_code_until,
    )


def notice_snapshot_from(
    *,
    person_fields: dict[str, Any],
    birth_date: date,
    issued_on: date,
    burden_ratio: int | None,
    special_medical_expenses: bool,
    addressee_name: str,
    activation_code: str | None = None,
    activation_code_until: date | None = None,
) -> NoticeSnapshot:
    """`notice_snapshot` from plain values; `special_medical_expenses` is the R-ARREARS note of
    the person's assessment on the issue day."""
    marks = _milestones_for(birth_date, issued_on)
    ratio = burden_ratio
    # Notices showing the ratio go out late in the month the person reaches 70 (R-AGE70).
    if ratio is not None and issued_on < marks.turns_70_month:
        ratio = None
    return NoticeSnapshot(
        **person_fields,
        issued_on=issued_on,
        burden_ratio=ratio,
        burden_ratio_from=(
            _ratio_from(marks.elderly_from, _notice_period_day(issued_on))
            if ratio is not None
            else None
        ),
        special_medical_expenses=special_medical_expenses,
        addressee_name=addressee_name,
        activation_code=activation_code,
        activation_code_until=activation_code_until,
    )


def snapshot_for_person(person: InsuredPerson, kind: Kind, as_of: date) -> DocumentSnapshot:
    """The document to reprint for `person` on `as_of`.

    certificate: the certificate in force (not voided, not expired); SnapshotError if none.
    notice: the latest notice issued by `as_of`; without one, a notice as it would be issued
    today, its ratio decided by the rules. SnapshotError if the person is not insured then.
    """
    if kind == "certificate":
        return certificate_snapshot(_certificate_in_force(person, as_of))
    if kind != "notice":
        raise ValueError(f"unknown document kind {kind!r}")
    notices = [n for n in person.notices.all() if n.issued_on <= as_of]
    if notices:
        return notice_snapshot(max(notices, key=lambda n: (n.issued_on, n.pk)))
    return _fresh_notice(person, as_of)


def _certificate_in_force(person: InsuredPerson, as_of: date) -> Certificate:
    current = [
        c
        for c in person.certificates.all()
        if c.issued_on <= as_of and (c.voided_on is None or c.voided_on > as_of)
    ]
    if not current:
        raise SnapshotError(
            _("%(person)s has no eligibility certificate in force on %(day)s.")
            % {"person": person.insured_number, "day": as_of}
        )
    latest = max(current, key=lambda c: (c.issued_on, c.pk))
    if latest.valid_until < as_of:
        raise SnapshotError(
            _(
                "%(person)s: the eligibility certificate %(number)s expired on %(day)s; "
                "issue a new one instead of reprinting it."
            )
            % {"person": person.insured_number, "number": latest.number, "day": latest.valid_until}
        )
    return latest


def _fresh_notice(person: InsuredPerson, as_of: date) -> NoticeSnapshot:
    facts = _facts(person, as_of)
    if facts is None:
        raise SnapshotError(
            _("%(person)s has no enrolment period.") % {"person": person.insured_number}
        )
    assessment = assess(facts, as_of)
    if not assessment.insured:
        raise SnapshotError(
            _("%(person)s is not insured on %(day)s.")
            % {"person": person.insured_number, "day": as_of}
        )
    marks = assessment.milestones
    ratio: int | None = None
    if assessment.elderly_recipient:
        ratio = assessment.burden_ratio
    elif as_of >= marks.turns_70_month:
        # Turning 70 this month: the notice shows the ratio that starts next month (R-AGE70).
        ratio = assess(facts, marks.elderly_from).burden_ratio
    return NoticeSnapshot(
        **_person_fields(person, facts),
        issued_on=as_of,
        burden_ratio=ratio,
        burden_ratio_from=(
            _ratio_from(marks.elderly_from, _notice_period_day(as_of)) if ratio else None
        ),
        special_medical_expenses=_special(assessment),
        addressee_name=_addressee(person),
    )


def _facts(person: InsuredPerson, on: date) -> PersonFacts | None:
    try:
        return build_person_facts(person, on)
    except NoEnrolment:
        return None


def _special(assessment: Assessment) -> bool:
    return any(note.code == SPECIAL_NOTE for note in assessment.notes)


def _milestones_for(birth_date: date, on: date) -> Milestones:
    """The age milestones, which depend on the birth date alone (and the policy in force)."""
    birth_only = PersonFacts(birth_date=birth_date, enrolled_on=birth_date)
    return milestones(birth_only, policy_at(on))


def _ratio_from(elderly_from: date, period_day: date) -> date:
    """The later of the first 70–74 day and the 1 August redetermination in force on
    `period_day` (a day the document covers: its expiry, or its issue day)."""
    month = policy_at(period_day).ratio_redetermined_month
    redetermined = date(period_day.year, month, 1)
    if redetermined > period_day:
        redetermined = redetermined.replace(year=period_day.year - 1)
    return max(elderly_from, redetermined)


def _notice_period_day(issued_on: date) -> date:
    """A notice issued in the month before the redetermination is the one mailed for it
    (R-RATIO: documents mailed in July for 1 August): it covers the new period."""
    month = policy_at(issued_on).ratio_redetermined_month
    if issued_on.month == month - 1:
        return date(issued_on.year, month, 1)
    return issued_on


def _addressee(person: InsuredPerson) -> str:
    household = person.household
    # Letters go to the householder; no query when that is the person (or it was selected).
    if household.householder_id in (None, person.pk):
        householder = person
    else:
        householder = household.householder or person
    return f"{householder.family_name}\u3000{householder.given_name}"


def _person_fields(person: InsuredPerson, facts: PersonFacts | None) -> dict[str, Any]:
    """Who and where, as recorded now: a reprint carries the current name and address."""
    household = person.household
    return {
        "insurer_number": settings.INSURER_NUMBER,
        "insurer_name": settings.INSURER_NAME,
        "symbol": household.symbol,
        "number": household.number,
        "branch": person.branch,
        "family_name": person.family_name,
        "given_name": person.given_name,
        "family_name_kana": person.family_name_kana,
        "given_name_kana": person.given_name_kana,
        "birth_date": person.birth_date,
        "enrolled_on": facts.enrolled_on if facts is not None else None,
        "postal_code": household.postal_code,
        "address": household.address,
    }


def row_addressee(row: PersonRow) -> str:
    """`_addressee` for a plain row of `iter_person_rows` (the householder's name is joined in)."""
    if row.householder_id in (None, row.pk) or row.householder_family_name is None:
        return f"{row.family_name}\u3000{row.given_name}"
    return f"{row.householder_family_name}\u3000{row.householder_given_name}"


def row_person_fields(
    row: PersonRow, enrolled_on: date | None, *, insurer: tuple[str, str] | None = None
) -> dict[str, Any]:
    """`_person_fields` for a plain row of `iter_person_rows`; `insurer` (number, name) defaults
    to the settings (a planning process passes its parent's)."""
    number, name = insurer or (settings.INSURER_NUMBER, settings.INSURER_NAME)
    return {
        "insurer_number": number,
        "insurer_name": name,
        "symbol": row.symbol,
        "number": row.number,
        "branch": row.branch,
        "family_name": row.family_name,
        "given_name": row.given_name,
        "family_name_kana": row.family_name_kana,
        "given_name_kana": row.given_name_kana,
        "birth_date": row.birth_date,
        "enrolled_on": enrolled_on,
        "postal_code": row.postal_code,
        "address": row.address,
    }
