"""The rules: one person's facts and a date in, an assessment with rule ids out.

Pure functions. No clock, no database, no settings: `as_of` and the policy are arguments. The rule
ids are those of the shared DESIGN.md; the document table is the one of ASSESS_API.md, in its order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from eligibility.rules.assessment import (
    Assessment,
    Decision,
    DocumentDue,
    Milestones,
    Note,
    Proof,
    Proofs,
)
from eligibility.rules.dates import (
    ONE_DAY,
    add_months,
    age_on,
    end_of_month,
    end_of_nth_month_after,
    first_march_31_on_or_after,
    first_of_month,
    reaches_age_on,
)
from eligibility.rules.facts import (
    CardStatus,
    DocumentKind,
    Event,
    EventKind,
    Income,
    PersonFacts,
)
from eligibility.rules.policy import Policy, policy_at

CERTIFICATE = DocumentKind.CERTIFICATE
NOTICE = DocumentKind.NOTICE

# Events after which the old paper card may no longer be used (R-PAPER-VALID).
_PAPER_VOIDING = {
    EventKind.ADDRESS_CHANGE: "contents_changed",
    EventKind.HOUSEHOLDER_CHANGE: "contents_changed",
    EventKind.PAPER_CARD_LOST: "lost",
}


def milestones(facts: PersonFacts, policy: Policy) -> Milestones:
    birth = facts.birth_date
    reaches_70 = reaches_age_on(birth, policy.elderly_age)
    late_elderly_from = reaches_age_on(birth, policy.late_elderly_age) + ONE_DAY
    ends = [late_elderly_from]
    if facts.withdrawn_on is not None:
        ends.append(facts.withdrawn_on)
    return Milestones(
        turns_70_month=first_of_month(reaches_70),
        # 70–74 rates from the 1st of the month after the month the person reaches 70; for
        # someone born on the 1st that month is the one before the birth month (R-AGE70).
        elderly_from=add_months(first_of_month(reaches_70), 1),
        preschool_until=first_march_31_on_or_after(reaches_age_on(birth, policy.preschool_age)),
        late_elderly_from=late_elderly_from,
        coverage_ends_on=min(ends),
    )


@dataclass(frozen=True, slots=True)
class _Context:
    facts: PersonFacts
    as_of: date
    policy: Policy
    marks: Milestones
    events: tuple[Event, ...]  # events on or before as_of, oldest first


def _events_up_to(facts: PersonFacts, as_of: date) -> tuple[Event, ...]:
    return tuple(sorted((e for e in facts.events if e.on <= as_of), key=lambda e: e.on))


def _insured(ctx: _Context) -> tuple[bool, Decision]:
    facts, as_of, marks = ctx.facts, ctx.as_of, ctx.marks
    if as_of < facts.enrolled_on:
        return False, Decision(
            "insured.not_yet", ("R-ENROLMENT",), (("enrolled_on", facts.enrolled_on),)
        )
    if as_of >= marks.late_elderly_from:
        return False, Decision(
            "insured.late_elderly", ("R-AGE75",), (("on", marks.late_elderly_from),)
        )
    if facts.withdrawn_on is not None and as_of >= facts.withdrawn_on:
        return False, Decision(
            "insured.withdrawn", ("R-ENROLMENT",), (("withdrawn_on", facts.withdrawn_on),)
        )
    return True, Decision("insured.yes", ("R-ENROLMENT",), (("enrolled_on", facts.enrolled_on),))


def _burden_ratio(ctx: _Context, elderly: bool) -> tuple[int, Decision]:
    p, marks = ctx.policy, ctx.marks
    if elderly:
        if ctx.facts.income is Income.ACTIVE:
            return p.ratio_elderly_active, Decision(
                "ratio.elderly_active",
                ("R-RATIO", "R-AGE70"),
                (("ratio", p.ratio_elderly_active), ("until", marks.late_elderly_from - ONE_DAY)),
            )
        return p.ratio_elderly, Decision(
            "ratio.elderly",
            ("R-RATIO", "R-AGE70"),
            (("ratio", p.ratio_elderly), ("until", marks.late_elderly_from - ONE_DAY)),
        )
    if ctx.as_of <= marks.preschool_until:
        return p.ratio_preschool, Decision(
            "ratio.preschool",
            ("R-RATIO",),
            (("ratio", p.ratio_preschool), ("until", marks.preschool_until)),
        )
    return p.ratio_standard, Decision(
        "ratio.standard",
        ("R-RATIO",),
        (("ratio", p.ratio_standard), ("elderly_from", marks.elderly_from)),
    )


# --- proofs -------------------------------------------------------------------------------------


def _registration_active(ctx: _Context) -> bool:
    myna = ctx.facts.myna
    if myna is None or myna.registered_on is None or myna.registered_on > ctx.as_of:
        return False
    # A cancellation on or after the registration ends it; a later registration starts anew.
    return not any(
        e.kind is EventKind.MYNA_REGISTRATION_CANCELLED and e.on >= myna.registered_on
        for e in ctx.events
    )


def _outstanding_card_loss(ctx: _Context) -> Event | None:
    """The latest myna_card_lost event not followed by a reissue, if any."""
    latest = None
    for e in ctx.events:
        if e.kind is EventKind.MYNA_CARD_LOST:
            latest = e
        elif e.kind is EventKind.MYNA_CARD_REISSUED:
            latest = None
    return latest


def _e_cert_grace_end(ctx: _Context) -> date | None:
    myna = ctx.facts.myna
    if myna is None or myna.e_cert_valid_until is None:
        return None
    return end_of_nth_month_after(myna.e_cert_valid_until, ctx.policy.myna_cert_grace_months)


def _myna_proof(ctx: _Context) -> tuple[Proof, bool]:
    """The マイナ保険証 proof, and whether it is usable only thanks to the e-certificate grace."""
    myna = ctx.facts.myna
    rules = ("R-MYNA",)
    if myna is None or not _registration_active(ctx):
        return Proof(False, "not_registered", rules), False
    if myna.card_status is not CardStatus.VALID:
        return Proof(False, "card_not_valid", rules), False
    loss = _outstanding_card_loss(ctx)
    if loss is not None:
        return Proof(False, "card_not_valid", rules, since=loss.on), False
    grace_end = _e_cert_grace_end(ctx)
    if myna.e_cert_valid_until is not None and ctx.as_of > myna.e_cert_valid_until:
        assert grace_end is not None
        if ctx.as_of > grace_end:
            return Proof(False, "card_not_valid", rules, since=grace_end + ONE_DAY), False
        return Proof(True, None, rules), True
    return Proof(True, None, rules), False


def _paper_card_expiry(ctx: _Context) -> date | None:
    card = ctx.facts.paper_card
    if card is None:
        return None
    return min(card.valid_until, ctx.policy.paper_card_last_valid_on)


def _paper_card_voiding(ctx: _Context, before: date | None = None) -> Event | None:
    """The first event that made the paper card unusable (on or after its issue date)."""
    card = ctx.facts.paper_card
    if card is None:
        return None
    for e in ctx.events:
        if e.kind in _PAPER_VOIDING and e.on >= card.issued_on:
            if before is not None and e.on >= before:
                return None
            return e
    return None


def _paper_card_proof(ctx: _Context) -> Proof:
    card = ctx.facts.paper_card
    rules = ("R-PAPER-VALID",)
    if card is None or card.issued_on > ctx.as_of:
        return Proof(False, "none", rules)
    expiry = _paper_card_expiry(ctx)
    assert expiry is not None
    voiding = _paper_card_voiding(ctx)
    if voiding is not None and voiding.on <= expiry:
        return Proof(False, _PAPER_VOIDING[voiding.kind], rules, since=voiding.on)
    if ctx.as_of > expiry:
        return Proof(False, "expired", rules, since=expiry + ONE_DAY)
    return Proof(True, None, rules)


def _certificate_proof(ctx: _Context) -> Proof:
    cert = ctx.facts.certificate
    rules = ("R-CERT-VALID",)
    if cert is None:
        return Proof(False, "none", ("R-CERT-WHO",))
    if ctx.as_of < cert.issued_on:
        return Proof(False, "not_yet_valid", rules, since=cert.issued_on)
    if ctx.as_of > cert.valid_until:
        return Proof(False, "expired", rules, since=cert.valid_until + ONE_DAY)
    return Proof(True, None, rules)


def _not_insured(rules: tuple[str, ...], insured_decision: Decision) -> Proof:
    return Proof(False, "not_insured", rules + insured_decision.rules)


# --- documents ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Reason:
    reason: str
    document: DocumentKind
    trigger_on: date
    by: date | None
    on_application: bool
    rules: tuple[str, ...]
    covered_from: date  # a document issued on or after this day settles it
    # The kinds of document that settle it: reasons decided "by マイナ status" are settled by
    # either kind (a notice given while the card worked is not asked for again as a certificate
    # when the card later stops working: the card's own reasons cover that).
    settled_by: tuple[DocumentKind, ...] = ()


@dataclass(frozen=True, slots=True)
class _Status:
    myna_usable: bool
    paper_usable: bool
    certificate_usable: bool


BOTH_KINDS = (CERTIFICATE, NOTICE)


def _by_status(ctx: _Context, status: _Status) -> tuple[DocumentKind, str]:
    if status.myna_usable and not ctx.policy.certificate_for_everyone:
        return NOTICE, "R-NOTICE-WHO"
    return CERTIFICATE, "R-CERT-WHO"


def _new_enrolment(ctx: _Context, status: _Status) -> _Reason | None:
    enrolled_on = ctx.facts.enrolled_on
    if enrolled_on < ctx.policy.paper_card_stop_on:
        return None
    document, rule = _by_status(ctx, status)
    return _Reason(
        "new_enrolment",
        document,
        enrolled_on,
        None,
        False,
        ("R-PAPER-STOP", rule),
        enrolled_on,
        BOTH_KINDS,
    )


def _paper_usable_before(ctx: _Context, day: date) -> bool:
    """Whether the paper card was usable just before the events of `day` (R-PAPER-VALID)."""
    card = ctx.facts.paper_card
    expiry = _paper_card_expiry(ctx)
    if card is None or expiry is None or not card.issued_on <= day <= expiry:
        return False
    return _paper_card_voiding(ctx, before=day) is None


def _contents_changed(ctx: _Context, status: _Status) -> _Reason | None:
    latest = None
    for e in ctx.events:
        if e.kind is EventKind.ADDRESS_CHANGE and e.on >= ctx.policy.paper_card_stop_on:
            latest = e
        elif e.kind is EventKind.HOUSEHOLDER_CHANGE and _paper_usable_before(ctx, e.on):
            latest = e
    if latest is None:
        return None
    document, rule = _by_status(ctx, status)
    return _Reason(
        "contents_changed",
        document,
        latest.on,
        None,
        False,
        ("R-PAPER-VALID", rule),
        latest.on,
        BOTH_KINDS,
    )


def _turns_70(ctx: _Context, status: _Status) -> _Reason | None:
    month = ctx.marks.turns_70_month
    if month < ctx.policy.turns_70_documents_from or month > ctx.as_of:
        return None
    document, rule = _by_status(ctx, status)
    return _Reason(
        "turns_70",
        document,
        month,
        end_of_month(month),
        False,
        ("R-AGE70", rule),
        month,
        BOTH_KINDS,
    )


def _lead(ctx: _Context, expiry: date) -> date:
    return expiry - timedelta(days=ctx.policy.renewal_lead_days)


def _covered_after(ctx: _Context, last_day: date) -> bool:
    """Whether coverage goes on after `last_day` (not ended by the 75th birthday or withdrawal)."""
    ends = ctx.marks.coverage_ends_on
    return ends is None or ends > last_day + ONE_DAY


def _paper_card_expiry_reason(ctx: _Context, status: _Status) -> _Reason | None:
    expiry = _paper_card_expiry(ctx)
    if expiry is None or not _covered_after(ctx, expiry):
        return None
    voiding = _paper_card_voiding(ctx)
    if voiding is not None and voiding.on <= expiry:
        return None
    start = _lead(ctx, expiry)
    if start > ctx.as_of:
        return None
    document, rule = _by_status(ctx, status)
    return _Reason(
        "paper_card_expiry",
        document,
        start,
        expiry,
        False,
        ("R-PAPER-VALID", rule),
        start,
        BOTH_KINDS,
    )


def _certificate_expiry(ctx: _Context, status: _Status) -> _Reason | None:
    cert = ctx.facts.certificate
    if cert is None or status.myna_usable:
        return None
    # No renewal when the coverage ends by then (75th birthday, recorded withdrawal).
    if not _covered_after(ctx, cert.valid_until):
        return None
    start = _lead(ctx, cert.valid_until)
    if start > ctx.as_of:
        return None
    return _Reason(
        "certificate_expiry",
        CERTIFICATE,
        start,
        cert.valid_until,
        False,
        ("R-CERT-VALID", "R-CERT-WHO"),
        start,
    )


def _registration_cancelled(ctx: _Context, status: _Status) -> _Reason | None:
    if status.certificate_usable or _registration_active(ctx):
        return None
    cancellations = [e for e in ctx.events if e.kind is EventKind.MYNA_REGISTRATION_CANCELLED]
    if not cancellations:
        return None
    on = cancellations[-1].on
    return _Reason(
        "myna_registration_cancelled", CERTIFICATE, on, None, False, ("R-MYNA", "R-CERT-WHO"), on
    )


def _myna_cert_expired(ctx: _Context, status: _Status) -> _Reason | None:
    myna = ctx.facts.myna
    if status.certificate_usable or myna is None or myna.e_cert_valid_until is None:
        return None
    if not _registration_active(ctx) or ctx.as_of <= myna.e_cert_valid_until:
        return None
    trigger = myna.e_cert_valid_until + ONE_DAY
    return _Reason(
        "myna_cert_expired",
        CERTIFICATE,
        trigger,
        _e_cert_grace_end(ctx),
        False,
        ("R-MYNA", "R-CERT-WHO"),
        trigger,
    )


def _needs_support(ctx: _Context, status: _Status) -> _Reason | None:
    if not ctx.facts.needs_support or status.certificate_usable:
        return None
    trigger = ctx.facts.enrolled_on
    cert = ctx.facts.certificate
    if cert is not None:
        trigger = max(trigger, cert.valid_until + ONE_DAY)
    if trigger > ctx.as_of:
        return None
    return _Reason("needs_support", CERTIFICATE, trigger, None, False, ("R-CERT-APPLY",), trigger)


def _paper_card_lost(ctx: _Context, status: _Status) -> _Reason | None:
    if status.myna_usable:
        return None
    card = ctx.facts.paper_card
    losses = [
        e
        for e in ctx.events
        if e.kind is EventKind.PAPER_CARD_LOST and (card is None or e.on >= card.issued_on)
    ]
    if not losses:
        return None
    on = losses[-1].on
    return _Reason(
        "paper_card_lost", CERTIFICATE, on, None, True, ("R-PAPER-VALID", "R-CERT-APPLY"), on
    )


def _myna_card_lost(ctx: _Context, status: _Status) -> _Reason | None:
    if status.certificate_usable:
        return None
    myna = ctx.facts.myna
    loss = _outstanding_card_loss(ctx)
    if loss is not None:
        on = loss.on
    elif myna is not None and myna.card_status in (CardStatus.LOST, CardStatus.SUSPENDED):
        # The day of the loss is not known: only a document given today settles it.
        lost_events = [e for e in ctx.events if e.kind is EventKind.MYNA_CARD_LOST]
        on = lost_events[-1].on if lost_events else ctx.as_of
    else:
        return None
    return _Reason("myna_card_lost", CERTIFICATE, on, None, True, ("R-MYNA", "R-CERT-APPLY"), on)


# The table of ASSESS_API.md, in its order: the order decides which reason is shown.
_REASONS: tuple[Callable[[_Context, _Status], _Reason | None], ...] = (
    _new_enrolment,
    _contents_changed,
    _turns_70,
    _paper_card_expiry_reason,
    _certificate_expiry,
    _registration_cancelled,
    _myna_cert_expired,
    _needs_support,
    _paper_card_lost,
    _myna_card_lost,
)

# While a usable paper card exists only these may call for a certificate (R-CERT-WHO, R-AGE70).
_CERTIFICATE_DESPITE_PAPER_CARD = {"turns_70", "paper_card_expiry"}


def _issued_since(ctx: _Context, kinds: tuple[DocumentKind, ...], since: date) -> bool:
    issued = [d.issued_on for d in ctx.facts.documents_issued if d.document in kinds]
    if CERTIFICATE in kinds and ctx.facts.certificate is not None:
        issued.append(ctx.facts.certificate.issued_on)
    return any(since <= day <= ctx.as_of for day in issued)


def _documents_due(
    ctx: _Context, status: _Status
) -> tuple[tuple[DocumentDue, ...], tuple[DocumentDue, ...]]:
    applying: list[DocumentDue] = []
    for reason_of in _REASONS:
        found = reason_of(ctx, status)
        if found is None or found.trigger_on > ctx.as_of:
            continue
        if (
            found.document is CERTIFICATE
            and status.paper_usable
            and found.reason not in _CERTIFICATE_DESPITE_PAPER_CARD
        ):
            continue
        if _issued_since(ctx, found.settled_by or (found.document,), found.covered_from):
            continue
        applying.append(
            DocumentDue(
                found.document,
                found.reason,
                found.by,
                found.on_application,
                found.rules,
                found.trigger_on,
            )
        )
    # At most one document at a time: a certificate if any reason calls for one, else a notice.
    for document in (CERTIFICATE, NOTICE):
        first = next((d for d in applying if d.document is document), None)
        if first is not None:
            return (first,), tuple(applying)
    return (), tuple(applying)


# --- notes --------------------------------------------------------------------------------------


def _notes(ctx: _Context, myna: Proof, in_grace: bool) -> tuple[Note, ...]:
    facts, as_of, p = ctx.facts, ctx.as_of, ctx.policy
    notes: list[Note] = []
    if in_grace:
        notes.append(Note("myna_cert_grace", ("R-MYNA",), (("until", _e_cert_grace_end(ctx)),)))
    arrears = facts.premium_arrears_since
    if arrears is not None and arrears <= as_of:
        if myna.usable:
            notes.append(Note("limit_category_unconfirmable", ("R-LIMIT",), (("since", arrears),)))
        special_from = add_months(arrears, 12 * p.special_medical_expenses_after_years)
        child_until = first_march_31_on_or_after(
            reaches_age_on(facts.birth_date, p.arrears_child_age)
        )
        if as_of >= special_from and as_of > child_until:
            notes.append(
                Note("special_medical_expenses", ("R-ARREARS",), (("since", special_from),))
            )
    ready_on = facts.enrolled_on + timedelta(days=p.ready_after_days)
    if myna.usable and facts.enrolled_on <= as_of < ready_on:
        notes.append(Note("ready_in_about_a_week", ("R-READY",), (("ready_on", ready_on),)))
    return tuple(notes)


# --- the assessment -----------------------------------------------------------------------------


def _proof_decision(kind: str, proof: Proof) -> Decision:
    reason = proof.reason or "usable"
    params: tuple[tuple[str, object], ...] = (("since", proof.since),) if proof.since else ()
    return Decision(f"proof.{kind}.{reason}", proof.rules, params)


def assess(facts: PersonFacts, as_of: date, policy: Policy | None = None) -> Assessment:
    """Assess one person on one day. `policy` defaults to the parameters in force on `as_of`."""
    policy = policy or policy_at(as_of)
    ctx = _Context(facts, as_of, policy, milestones(facts, policy), _events_up_to(facts, as_of))
    insured, insured_decision = _insured(ctx)
    decisions: list[Decision] = [insured_decision]
    age = age_on(facts.birth_date, as_of)

    if not insured:
        proofs = Proofs(
            myna=_not_insured(("R-MYNA",), insured_decision),
            paper_card=_not_insured(("R-PAPER-VALID",), insured_decision),
            certificate=_not_insured(("R-CERT-VALID",), insured_decision),
        )
        return Assessment(
            as_of, False, age, False, None, proofs, (), (), tuple(decisions), ctx.marks
        )

    elderly = as_of >= ctx.marks.elderly_from
    ratio, ratio_decision = _burden_ratio(ctx, elderly)
    decisions.append(ratio_decision)

    myna, in_grace = _myna_proof(ctx)
    proofs = Proofs(
        myna=myna, paper_card=_paper_card_proof(ctx), certificate=_certificate_proof(ctx)
    )
    decisions.extend(_proof_decision(kind, proof) for kind, proof in _proof_items(proofs))

    status = _Status(myna.usable, proofs.paper_card.usable, proofs.certificate.usable)
    due, applying = _documents_due(ctx, status)
    for doc in due:
        decisions.append(
            Decision(
                f"document.{doc.document.value}.{doc.reason}",
                doc.rules,
                (("by", doc.by), ("on_application", doc.on_application)),
            )
        )
    if not due:
        decisions.append(Decision("document.none", ("R-CERT-WHO", "R-NOTICE-WHO")))

    notes = _notes(ctx, myna, in_grace)
    decisions.extend(Decision(f"note.{n.code}", n.rules, n.params) for n in notes)
    return Assessment(
        as_of, True, age, elderly, ratio, proofs, due, notes, tuple(decisions), ctx.marks, applying
    )


def _proof_items(proofs: Proofs) -> Iterable[tuple[str, Proof]]:
    return (
        ("myna", proofs.myna),
        ("paper_card", proofs.paper_card),
        ("certificate", proofs.certificate),
    )
