"""Proofs of coverage: the My Number card status, the old paper cards and the 資格確認書."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cards.reader.outcomes import Method as ReaderMethod
from cards.reader.outcomes import Outcome as ReaderOutcome
from cards.reader.outcomes import ReaderState
from eligibility.models import InsuredPerson
from eligibility.rules.facts import CardStatus
from eligibility.rules.policy import parameter

# Database constraints are fixed objects, so they take the policy's latest value at import time
# rather than `policy_at(today)`. The value is written into the migration: if the policy ever
# changes, `makemigrations --check` fails until a migration moves the constraint too.
# R-PAPER-STOP and R-PAPER-VALID:
PAPER_CARD_STOP_ON: date = parameter("paper_card_stop_on").values[-1][1]
PAPER_CARD_LAST_VALID_ON: date = parameter("paper_card_last_valid_on").values[-1][1]


class DocumentReason(models.TextChoices):
    """Why a 資格確認書 or お知らせ was issued: the `documents_due[].reason` codes of ASSESS_API.md,
    plus `other` for documents issued by hand. Shared by certificates and notices."""

    NEW_ENROLMENT = "new_enrolment", _("new enrolment")
    CONTENTS_CHANGED = "contents_changed", _("contents changed")
    PAPER_CARD_LOST = "paper_card_lost", _("paper card lost")
    PAPER_CARD_EXPIRY = "paper_card_expiry", _("paper card expiry")
    TURNS_70 = "turns_70", _("turning 70")
    MYNA_CARD_LOST = "myna_card_lost", _("My Number card lost")
    MYNA_REGISTRATION_CANCELLED = (
        "myna_registration_cancelled",
        _("health-insurance registration cancelled"),
    )
    MYNA_CERT_EXPIRED = "myna_cert_expired", _("electronic certificate expired")
    CERTIFICATE_EXPIRY = "certificate_expiry", _("certificate expiry")
    NEEDS_SUPPORT = "needs_support", _("needs support")
    OTHER = "other", _("other")


class MyNumberCard(models.Model):
    """What the ward knows about a person's My Number card and its health-insurance registration.

    There is deliberately no field for the 12-digit My Number (個人番号): this portal is not a
    マイナンバー利用事務 system, and a hashed or encrypted number is still a My Number in law.
    """

    class Status(models.TextChoices):
        VALID = CardStatus.VALID.value, _("valid")
        LOST = CardStatus.LOST.value, _("lost")
        SUSPENDED = CardStatus.SUSPENDED.value, _("suspended")
        RETURNED = CardStatus.RETURNED.value, _("returned")

    person = models.OneToOneField(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.CASCADE,
        related_name="myna_card",
    )
    card_status = models.CharField(
        _("card status"), max_length=10, choices=Status.choices, default=Status.VALID
    )
    status_changed_on = models.DateField(_("status changed on"), null=True, blank=True)
    registered_on = models.DateField(
        _("health-insurance registration date"),
        null=True,
        blank=True,
        help_text=_("Empty while the card is not registered for health-insurance use."),
    )
    e_cert_valid_until = models.DateField(
        _("electronic certificate valid until"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("My Number card")
        verbose_name_plural = _("My Number cards")

    def __str__(self) -> str:
        return f"{self.person} ({self.get_card_status_display()})"


class PaperCard(models.Model):
    """被保険者証: the old paper card. None issued from 2024-12-02, none valid after 2025-09-30."""

    class InvalidatedReason(models.TextChoices):
        CONTENTS_CHANGED = "contents_changed", _("contents changed")
        LOST = "lost", _("lost")
        WITHDRAWN = "withdrawn", _("coverage ended")

    # PROTECT: issued documents are records; a person with documents is not deleted.
    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="paper_cards",
    )
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    invalidated_on = models.DateField(_("invalidated on"), null=True, blank=True)
    invalidated_reason = models.CharField(
        _("invalidated reason"), max_length=20, choices=InvalidatedReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("paper insurance card")
        verbose_name_plural = _("paper insurance cards")
        ordering = ["person", "issued_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(issued_on__lt=PAPER_CARD_STOP_ON),
                name="paper_card_issued_before_stop",
                violation_error_message=format_lazy(
                    _("No paper card is issued on or after {day}."), day=PAPER_CARD_STOP_ON
                ),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__lte=PAPER_CARD_LAST_VALID_ON),
                name="paper_card_valid_until_last_day",
                violation_error_message=format_lazy(
                    _("No paper card is valid after {day}."), day=PAPER_CARD_LAST_VALID_ON
                ),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("issued_on")),
                name="paper_card_valid_after_issue",
                violation_error_message=_("The expiry date cannot be before the issue date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.issued_on} – {self.valid_until}"


class Certificate(models.Model):
    """資格確認書: the card-size proof for people without a usable マイナ保険証."""

    class VoidReason(models.TextChoices):
        RENEWED = "renewed", _("renewed")
        REISSUED = "reissued", _("reissued")
        WITHDRAWN = "withdrawn", _("coverage ended")
        LOST = "lost", _("lost")
        OTHER = "other", _("other")

    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    number = models.CharField(_("certificate number"), max_length=20, unique=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    voided_on = models.DateField(_("voided on"), null=True, blank=True)
    void_reason = models.CharField(
        _("void reason"), max_length=20, choices=VoidReason.choices, blank=True
    )
    reason = models.CharField(_("reason"), max_length=40, choices=DocumentReason.choices)
    rule_ids = models.JSONField(_("rule ids"), default=list, blank=True)
    burden_ratio = models.PositiveSmallIntegerField(
        _("co-payment ratio (%)"), null=True, blank=True, help_text=_("Printed for 70–74 only.")
    )
    special_medical_expenses = models.BooleanField(
        _("special medical expenses"),
        default=False,
        help_text=_("Premiums in arrears: printed as 資格確認書（特別療養費）."),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("eligibility certificate")
        verbose_name_plural = _("eligibility certificates")
        ordering = ["person", "issued_on"]
        constraints = [
            # A person holds at most one certificate that has not been voided; issuing a new one
            # means voiding the old one in the same transaction.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(voided_on__isnull=True),
                name="one_active_certificate_per_person",
                violation_error_message=_("This person already has a certificate in force."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("issued_on")),
                name="certificate_valid_after_issue",
                violation_error_message=_("The expiry date cannot be before the issue date."),
            ),
            models.CheckConstraint(
                condition=Q(voided_on__isnull=True) | Q(voided_on__gte=F("issued_on")),
                name="certificate_voided_after_issue",
                violation_error_message=_("A certificate cannot be voided before it was issued."),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class DocumentCounter(models.Model):
    """The last number handed out for one kind of document in one fiscal year.

    Certificate numbers are drawn from this row inside the issuing transaction (see ADR 0006):
    the row lock makes them unique and gapless, and a rolled-back issue gives its number back.
    """

    kind = models.CharField(_("kind"), max_length=20)
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"), help_text=_("Western year the fiscal year starts in, e.g. 2026.")
    )
    last_value = models.PositiveIntegerField(_("last value"), default=0)

    class Meta:
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")
        ordering = ["kind", "fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "fiscal_year"], name="counter_kind_year"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.fiscal_year}: {self.last_value}"


class CertificateApplication(models.Model):
    """資格確認書の交付申請: a resident asks for a certificate (R-CERT-APPLY)."""

    class Reason(models.TextChoices):
        MYNA_CARD_LOST = "myna_card_lost", _("My Number card lost or being reissued")
        PAPER_CARD_LOST = "paper_card_lost", _("paper card lost")
        NEEDS_SUPPORT = "needs_support", _("needs support to use the My Number card")
        OTHER = "other", _("other")

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        COUNTER = "counter", _("at the counter")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("submitted")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    # PROTECT: an application is a record of what the resident asked for.
    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="certificate_applications",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    detail = models.TextField(_("detail"), blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    # A ForeignKey, not one-to-one: issuing is idempotent per day and reason, so two applications
    # decided on the same day may point at the same certificate.
    certificate = models.ForeignKey(
        Certificate,
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
    )

    class Meta:
        verbose_name = _("certificate application")
        verbose_name_plural = _("certificate applications")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status="submitted"),
                name="one_open_application_per_person",
                violation_error_message=_("This person already has an open application."),
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""),
                name="application_rejection_has_reason",
                violation_error_message=_("Give the reason for the rejection."),
            ),
            models.CheckConstraint(
                condition=Q(status="submitted", decided_at__isnull=True)
                | (~Q(status="submitted") & Q(decided_at__isnull=False)),
                name="application_decided_at_with_decision",
                violation_error_message=_("A decided application needs its decision time."),
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(certificate__isnull=False),
                name="application_approved_has_certificate",
                violation_error_message=_("An approved application names its certificate."),
            ),
        ]
        indexes = [
            # The staff queue lists open applications, oldest first.
            models.Index(fields=["status", "submitted_at"], name="application_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.get_status_display()})"


class CardVerification(models.Model):
    """One identity check of a My Number card at a counter, and what the reader found.

    Started from the counter page (or by a card placed on a reader that takes walk-ups), finished
    by the reader process (`manage.py reader`). It never holds a PIN, an access key, the 12-digit
    My Number or what the card says: only the outcome, the tries left and the insured records it
    matched (ADR 0008).
    """

    class Method(models.TextChoices):
        PIN = ReaderMethod.PIN.value, _("PIN")
        PROXY_PIN = ReaderMethod.PROXY_PIN.value, _("PIN entered by a proxy")
        FACE = ReaderMethod.FACE.value, _("face authentication")
        VISUAL = ReaderMethod.VISUAL.value, _("visual check by staff")

    class Outcome(models.TextChoices):
        PENDING = ReaderOutcome.PENDING.value, _("waiting for the card reader")
        IN_PROGRESS = ReaderOutcome.IN_PROGRESS.value, _("in progress")
        VERIFIED = ReaderOutcome.VERIFIED.value, _("verified")
        WRONG_PIN = ReaderOutcome.WRONG_PIN.value, _("wrong PIN")
        LOCKED = ReaderOutcome.LOCKED.value, _("PIN locked")
        NOT_VERIFIED = ReaderOutcome.NOT_VERIFIED.value, _("not verified")
        REFUSED = ReaderOutcome.REFUSED.value, _("card refused")
        CANCELLED = ReaderOutcome.CANCELLED.value, _("cancelled")
        FAILED = ReaderOutcome.FAILED.value, _("failed")

    counter = models.CharField(_("counter"), max_length=50)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=Outcome.choices, default=Outcome.PENDING
    )
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    tries_left = models.PositiveSmallIntegerField(
        _("PIN tries left"),
        null=True,
        blank=True,
        help_text=_("Of the 4-digit PIN, as the card said."),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # PROTECT: who asked for a check stays known; staff accounts are deactivated, not deleted.
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    attested_by = models.CharField(
        _("attested by"),
        max_length=150,
        blank=True,
        help_text=_("Visual check: the staff member who compared the face with the card photo."),
    )
    certificate_trusted = models.BooleanField(_("certificate trusted"), null=True, blank=True)
    card_genuine = models.BooleanField(
        _("card genuine"),
        null=True,
        blank=True,
        help_text=_("The card signed a fresh challenge that its trusted certificate verifies."),
    )
    basic_four_note = models.CharField(_("basic four note"), max_length=40, blank=True)
    # SET_NULL: the check stays on record if a (demo) person is removed.
    matched_person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("matched person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="card_verifications",
    )
    near_misses = models.JSONField(
        _("near misses"),
        default=list,
        blank=True,
        help_text=_("Persons who match some of the basic four: ids and the differing fields."),
    )

    class Meta:
        verbose_name = _("card verification")
        verbose_name_plural = _("card verifications")
        ordering = ["-requested_at", "-pk"]
        indexes = [
            # The reader claims the oldest pending check of its counter; the page shows the latest.
            models.Index(
                fields=["counter", "outcome", "requested_at"], name="verification_queue_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="visual") | ~Q(attested_by=""),
                name="visual_check_is_attested",
                violation_error_message=_("A visual check names the staff member who made it."),
            ),
            models.CheckConstraint(
                condition=Q(outcome__in=["pending", "in_progress"], finished_at__isnull=True)
                | (~Q(outcome__in=["pending", "in_progress"]) & Q(finished_at__isnull=False)),
                name="verification_finished_at_when_finished",
                violation_error_message=_("A finished check has its finishing time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counter} {self.get_method_display()} {self.get_outcome_display()}"

    @property
    def is_finished(self) -> bool:
        return self.outcome not in (self.Outcome.PENDING, self.Outcome.IN_PROGRESS)


class CounterReader(models.Model):
    """The state of the card reader at one counter, kept fresh by its reader process."""

    class State(models.TextChoices):
        NO_SERVICE = ReaderState.NO_SERVICE.value, _("smart-card service not running")
        NO_READER = ReaderState.NO_READER.value, _("no card reader connected")
        READY = ReaderState.READY.value, _("ready: place the card")
        CARD_PRESENT = ReaderState.CARD_PRESENT.value, _("card on the reader")
        BUSY = ReaderState.BUSY.value, _("checking the card")
        STOPPED = ReaderState.STOPPED.value, _("reader program stopped")

    counter = models.CharField(_("counter"), max_length=50, unique=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    reader_name = models.CharField(_("reader"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("counter card reader")
        verbose_name_plural = _("counter card readers")
        ordering = ["counter"]

    def __str__(self) -> str:
        return f"{self.counter}: {self.get_state_display()}"
