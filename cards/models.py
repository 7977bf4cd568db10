"""Proofs of coverage: the My Number card status, the old paper cards and the 資格確認書."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

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
