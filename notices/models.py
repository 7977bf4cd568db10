"""資格情報のお知らせ: the A4 notice sent to マイナ保険証 holders (not a proof on its own)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cards.models import DocumentReason
from eligibility.models import InsuredPerson


class Notice(models.Model):
    # PROTECT: issued documents are records; a person with documents is not deleted.
    person = models.ForeignKey(
        InsuredPerson,
        verbose_name=_("insured person"),
        on_delete=models.PROTECT,
        related_name="notices",
    )
    issued_on = models.DateField(_("issued on"))
    reason = models.CharField(_("reason"), max_length=40, choices=DocumentReason.choices)
    rule_ids = models.JSONField(_("rule ids"), default=list, blank=True)
    burden_ratio = models.PositiveSmallIntegerField(
        _("co-payment ratio (%)"), null=True, blank=True, help_text=_("Printed for 70–74 only.")
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
        verbose_name = _("qualification notice")
        verbose_name_plural = _("qualification notices")
        ordering = ["person", "issued_on"]

    def __str__(self) -> str:
        return f"{self.issued_on} {self.get_reason_display()}"
