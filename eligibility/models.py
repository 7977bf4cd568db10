"""Households, insured persons and the records the eligibility rules are built from.

Rows only: no rule is decided here. `eligibility.facts_builder` turns these rows into the frozen
facts of `eligibility.rules.facts`, and the rules decide.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from eligibility.rules.facts import EventKind, Income

# [0-9], not \d: Python's \d also matches full-width digits, which forms normalise beforehand.
digits_validator = RegexValidator(r"^[0-9]+$", _("Enter digits only."))
postal_code_validator = RegexValidator(
    r"^[0-9]{3}-[0-9]{4}$", _("Enter a postal code like 131-0045.")
)
branch_validator = RegexValidator(
    r"^[0-9]{2}$", _("Enter the branch number as two digits, e.g. 01.")
)
# Room for both names after normalisation (NFKC may lengthen a few compatibility characters).
SEARCH_COLUMN_LENGTH = 250
# Full-width katakana (ァ–ヺ), the long vowel mark ー, iteration marks ヽヾ, spaces of both widths.
katakana_validator = RegexValidator(
    r"^[\u30a1-\u30fa\u30fc\u30fd\u30fe \u3000]+$",
    _("Enter the reading in full-width katakana."),
)


class Household(models.Model):
    """世帯: NHI is run per household; letters go to the householder."""

    symbol = models.CharField(_("symbol"), max_length=20, validators=[digits_validator])
    number = models.CharField(_("number"), max_length=20, validators=[digits_validator])
    postal_code = models.CharField(
        _("postal code"), max_length=8, validators=[postal_code_validator]
    )
    address = models.CharField(_("address"), max_length=200)
    # Nullable because a household is created before its members; SET_NULL so removing a member
    # record never deletes the household (the householder is then chosen again).
    householder = models.ForeignKey(
        "InsuredPerson",
        verbose_name=_("householder"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["symbol", "number"]
        constraints = [
            models.UniqueConstraint(fields=["symbol", "number"], name="household_symbol_number"),
        ]

    def __str__(self) -> str:
        return self.insured_number

    @property
    def insured_number(self) -> str:
        """記号-番号, as printed on the documents."""
        return f"{self.symbol}-{self.number}"


class InsuredPerson(models.Model):
    """被保険者: one member of a household covered by NHI."""

    class Sex(models.TextChoices):
        # The 住民基本台帳 codes.
        MALE = "1", _("male")
        FEMALE = "2", _("female")

    class Relation(models.TextChoices):
        HOUSEHOLDER = "householder", _("householder")
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("child")
        PARENT = "parent", _("parent")
        OTHER = "other", _("other")

    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="members",
        # No index of its own: the unique household/branch index serves lookups by household.
        db_index=False,
    )
    branch = models.CharField(_("branch"), max_length=2, validators=[branch_validator])
    family_name = models.CharField(_("family name"), max_length=50)
    given_name = models.CharField(_("given name"), max_length=50)
    family_name_kana = models.CharField(
        _("family name (kana)"), max_length=100, validators=[katakana_validator]
    )
    given_name_kana = models.CharField(
        _("given name (kana)"), max_length=100, validators=[katakana_validator]
    )
    birth_date = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    relation = models.CharField(
        _("relation to householder"), max_length=20, choices=Relation.choices
    )
    needs_support = models.BooleanField(
        _("needs support"),
        default=False,
        help_text=_("Registered as needing help to use the My Number card (要配慮者)."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Search copies of the names, normalised by `eligibility.search.search_columns_for` (katakana,
    # full width, no spaces): kept in step by save(); bulk_create callers must fill them.
    name_search = models.CharField(
        _("reading (for search)"), max_length=SEARCH_COLUMN_LENGTH, editable=False, default=""
    )
    name_kanji_search = models.CharField(
        _("name (for search)"), max_length=SEARCH_COLUMN_LENGTH, editable=False, default=""
    )

    class Meta:
        verbose_name = _("insured person")
        verbose_name_plural = _("insured persons")
        ordering = ["household", "branch"]
        constraints = [
            models.UniqueConstraint(fields=["household", "branch"], name="person_household_branch"),
        ]
        indexes = [
            # The counter searches by reading and date of birth.
            models.Index(fields=["family_name_kana", "given_name_kana"], name="person_kana_idx"),
            models.Index(fields=["birth_date"], name="person_birth_date_idx"),
            # Prefix search (LIKE 'スミダ%'). The pattern operator class lets PostgreSQL use the
            # index whatever the database collation; other databases ignore `opclasses`.
            models.Index(
                fields=["name_search"],
                name="person_name_search_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            models.Index(
                fields=["name_kanji_search"],
                name="person_kanji_search_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        # Only the person's own fields: lists of people would otherwise query per row.
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Imported here: eligibility.search imports this module.
        from eligibility.search import SEARCH_SOURCE_FIELDS, search_columns_for

        columns = search_columns_for(self)
        for name, value in columns.items():
            setattr(self, name, value)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and SEARCH_SOURCE_FIELDS.intersection(update_fields):
            kwargs["update_fields"] = {*update_fields, *columns}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}"

    @property
    def full_name_kana(self) -> str:
        return f"{self.family_name_kana} {self.given_name_kana}"

    @property
    def insured_number(self) -> str:
        """記号-番号-枝番. Reads the household: select_related("household") in lists."""
        return f"{self.household.insured_number}-{self.branch}"


class Enrolment(models.Model):
    """One period of coverage: 資格取得 (first covered day) to 資格喪失 (first uncovered day)."""

    class Reason(models.TextChoices):
        JOB_LOSS = "job_loss", _("left employment insurance")
        MOVE_IN = "move_in", _("moved into Sumida")
        BIRTH = "birth", _("birth")
        # Facts know only job_loss|move_in|birth|other: the facts builder maps this to "other".
        WELFARE_ENDED = "welfare_ended", _("public assistance ended")
        OTHER = "other", _("other")

    class WithdrawalReason(models.TextChoices):
        MOVE_OUT = "move_out", _("moved out of Sumida")
        EMPLOYMENT = "employment", _("joined employment insurance")
        DEATH = "death", _("death")
        WELFARE = "welfare", _("public assistance started")
        LATE_ELDERLY = "late_elderly", _("late-stage elderly medical care (75)")
        OTHER = "other", _("other")

    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.CASCADE,
        related_name="enrolments",
    )
    enrolled_on = models.DateField(_("enrolled on"), help_text=_("First covered day."))
    reason = models.CharField(_("enrolment reason"), max_length=20, choices=Reason.choices)
    withdrawn_on = models.DateField(
        _("withdrawn on"), null=True, blank=True, help_text=_("First day no longer covered.")
    )
    withdrawal_reason = models.CharField(
        _("withdrawal reason"), max_length=20, choices=WithdrawalReason.choices, blank=True
    )

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["person", "enrolled_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gte=F("enrolled_on")),
                name="enrolment_withdrawn_not_before_enrolled",
                violation_error_message=_("The withdrawal date cannot be before enrolment."),
            ),
            models.CheckConstraint(
                condition=(Q(withdrawn_on__isnull=True) & Q(withdrawal_reason=""))
                | (Q(withdrawn_on__isnull=False) & ~Q(withdrawal_reason="")),
                name="enrolment_withdrawal_reason_with_date",
                violation_error_message=_(
                    "Give a withdrawal reason together with the withdrawal date, or neither."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrolled_on} – {self.withdrawn_on or ''}"


class LifeEvent(models.Model):
    """異動: a change the rules react to (address, householder, lost cards, registration)."""

    class Kind(models.TextChoices):
        # Exactly the rules' EventKind values (a test holds them equal).
        ADDRESS_CHANGE = EventKind.ADDRESS_CHANGE.value, _("address change")
        HOUSEHOLDER_CHANGE = EventKind.HOUSEHOLDER_CHANGE.value, _("householder change")
        PAPER_CARD_LOST = EventKind.PAPER_CARD_LOST.value, _("paper card lost")
        MYNA_CARD_LOST = EventKind.MYNA_CARD_LOST.value, _("My Number card lost")
        MYNA_CARD_REISSUED = EventKind.MYNA_CARD_REISSUED.value, _("My Number card reissued")
        MYNA_REGISTRATION_CANCELLED = (
            EventKind.MYNA_REGISTRATION_CANCELLED.value,
            _("health-insurance registration cancelled"),
        )

    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    occurred_on = models.DateField(_("occurred on"))
    details = models.JSONField(_("details"), default=dict, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # PROTECT: who recorded a legal change must stay known; deactivate staff, do not delete them.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        ordering = ["occurred_on", "pk"]

    def __str__(self) -> str:
        return f"{self.occurred_on} {self.get_kind_display()}"


class IncomeRecord(models.Model):
    """所得 of one fiscal year, kept for 70–74 members (the 負担割合 determination reads it)."""

    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.CASCADE,
        related_name="income_records",
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("fiscal year"), help_text=_("Western year the fiscal year starts in, e.g. 2026.")
    )
    taxable_income = models.PositiveBigIntegerField(_("taxable income (yen)"))
    old_proviso_income = models.PositiveBigIntegerField(_("old-proviso income (yen)"))
    income = models.PositiveBigIntegerField(_("gross income (yen)"))

    class Meta:
        verbose_name = _("income record")
        verbose_name_plural = _("income records")
        ordering = ["person", "-fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["person", "fiscal_year"], name="income_person_year"),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year}"


class BurdenDetermination(models.Model):
    """負担割合の判定 for a household's 70–74 members, normally effective each 1 August."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="burden_determinations",
    )
    effective_from = models.DateField(_("effective from"))
    category = models.CharField(
        _("income category"),
        max_length=10,
        choices=[(Income.GENERAL.value, _("general")), (Income.ACTIVE.value, _("active-level"))],
        default=Income.GENERAL.value,
    )
    base_income_application = models.BooleanField(
        _("base income application"),
        default=False,
        help_text=_("The household applied for the base income test (基準収入額適用申請)."),
    )
    rule_ids = models.JSONField(_("rule ids"), default=list, blank=True)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("co-payment determination")
        verbose_name_plural = _("co-payment determinations")
        ordering = ["household", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "effective_from"], name="burden_household_effective_from"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_from} {self.get_category_display()}"


class PremiumArrears(models.Model):
    """保険料滞納: from the oldest unpaid premium until it is settled."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="premium_arrears",
    )
    since = models.DateField(
        _("unpaid since"), help_text=_("First day of the oldest premium still unpaid.")
    )
    settled_on = models.DateField(_("settled on"), null=True, blank=True)

    class Meta:
        verbose_name = _("premium arrears")
        verbose_name_plural = _("premium arrears")
        ordering = ["household", "since"]
        constraints = [
            models.CheckConstraint(
                condition=Q(settled_on__isnull=True) | Q(settled_on__gte=F("since")),
                name="arrears_settled_not_before_since",
                violation_error_message=_("Arrears cannot be settled before they began."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.since} – {self.settled_on or ''}"
