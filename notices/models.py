"""資格情報のお知らせ: the A4 notice sent to マイナ保険証 holders (not a proof on its own)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
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


class ImportRun(models.Model):
    """One import of a data file from the ward's core systems: what, by whom, and what it did.

    Written by `notices.imports.engine` only. The file itself is kept (under var/imports/) only
    while a preview waits for confirmation; the rejected lines and the full error report stay
    as files next to it, named here.
    """

    class Kind(models.TextChoices):
        MASTER = "master", _("insured master")
        MYNA_STATUS = "myna_status", _("My Number card registration status")
        INCOME = "income", _("income of 70–74 members")

    class Status(models.TextChoices):
        CHECKING = "checking", _("checking")
        PREVIEWED = "previewed", _("checked, waiting for confirmation")
        CHECKED = "checked", _("checked (nothing imported)")
        RUNNING = "running", _("importing")
        COMMITTED = "committed", _("imported")
        PARTIAL = "partial", _("good lines imported, bad lines returned")
        REJECTED = "rejected", _("rejected: nothing imported")
        FAILED = "failed", _("failed: nothing imported")
        DISCARDED = "discarded", _("discarded")

    class Mode(models.TextChoices):
        ALL_OR_NOTHING = "all", _("all lines or nothing")
        GOOD_LINES = "good", _("import the good lines, return the rejected ones")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    file_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    encoding = models.CharField(_("encoding"), max_length=30, blank=True)
    mode = models.CharField(
        _("mode"), max_length=10, choices=Mode.choices, default=Mode.ALL_OR_NOTHING
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CHECKING
    )
    as_of = models.DateField(_("as of"), null=True, blank=True, help_text=_("The run's today."))
    # PROTECT: who imported what stays known; staff accounts are deactivated, not deleted.
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    lines = models.PositiveIntegerField(_("data lines"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("first errors"), default=list, blank=True)
    changes = models.JSONField(_("first changes"), default=list, blank=True)
    stored_file = models.CharField(_("stored file"), max_length=500, blank=True)
    rejects_file = models.CharField(_("rejected lines file"), max_length=500, blank=True)
    report_file = models.CharField(_("error report file"), max_length=500, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        verbose_name = _("import run")
        verbose_name_plural = _("import runs")
        ordering = ["-started_at", "-pk"]
        permissions = [("view_statistics", _("Can view the statistics pages"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status not in (self.Status.CHECKING, self.Status.RUNNING)


# --- the monthly issuance batch (notices/batch, docs/adr/0012-issuance-batch.md) ---------------


class IssuanceRun(models.Model):
    """One issuance batch: planned, approved, executed by workers, handed over to the printer.

    Written by `notices.batch` only. One run per period and kind (planning twice returns the
    same run); its work is `IssuanceChunk` rows (one print file each) of `IssuanceItem` rows
    (one document each).
    """

    class Kind(models.TextChoices):
        MONTHLY = "monthly", _("monthly run")
        ON_DEMAND = "on_demand", _("extra run (on demand)")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        APPROVED = "approved", _("approved")
        RUNNING = "running", _("running")
        EXECUTED = "executed", _("executed")
        HANDED_OVER = "handed_over", _("handed over")

    period = models.DateField(_("period"), help_text=_("First day of the month planned for."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MONTHLY)
    as_of = models.DateField(_("as of"), help_text=_("Assessment and issue day of the run."))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("planned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    planned_at = models.DateTimeField(_("planned at"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handed over by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    handed_over_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    assessed = models.PositiveIntegerField(_("persons assessed"), default=0)
    planned = models.PositiveIntegerField(_("documents planned"), default=0)
    # {"certificate": {"turns_70": 12, ...}, "notice": {...}}
    counts = models.JSONField(_("counts by document and reason"), default=dict, blank=True)
    manifest_sha256 = models.CharField(_("manifest SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("issuance run")
        verbose_name_plural = _("issuance runs")
        ordering = ["-period", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["period", "kind"], name="one_issuance_run_per_period"),
        ]
        permissions = [
            ("plan_issuancerun", _("Can plan issuance runs")),
            ("approve_issuancerun", _("Can approve issuance runs")),
            ("execute_issuancerun", _("Can execute and hand over issuance runs")),
        ]

    def __str__(self) -> str:
        return f"{self.period:%Y-%m} {self.get_kind_display()} ({self.get_status_display()})"


class IssuanceChunk(models.Model):
    """A unit of work and one print file: consecutive envelopes of one document kind.

    Claimed by a conditional UPDATE (status and attempt as the fence), with a lease so a killed
    worker's chunk goes back to the pool (notices/batch/claiming.py).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        PROCESSING = "processing", _("processing")
        DONE = "done", _("done")

    run = models.ForeignKey(
        IssuanceRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="chunks"
    )
    document = models.CharField(_("document"), max_length=20)
    seq = models.PositiveIntegerField(_("sequence"))
    volume = models.PositiveIntegerField(_("volume"), help_text=_("Print file number per kind."))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    worker = models.CharField(_("worker"), max_length=64, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    items_count = models.PositiveIntegerField(_("items"), default=0)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The block of certificate numbers reserved for this chunk's certificates, in item order
    # (ADR 0013): reserved once, reused by every retry, so numbers are unique and a crash does
    # not burn a second block.
    numbers_from = models.PositiveIntegerField(_("first certificate number"), null=True, blank=True)
    numbers_count = models.PositiveIntegerField(_("certificate numbers reserved"), default=0)

    class Meta:
        verbose_name = _("issuance chunk")
        verbose_name_plural = _("issuance chunks")
        ordering = ["run", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["run", "seq"], name="issuance_chunk_seq"),
            models.UniqueConstraint(
                fields=["run", "document", "volume"], name="issuance_chunk_volume"
            ),
        ]
        indexes = [models.Index(fields=["run", "status"], name="issuance_chunk_status")]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.seq} {self.document} ({self.status})"


class IssuanceItem(models.Model):
    """One document for one person in one run, with why (reason, trigger, rule ids) and the
    frozen snapshot it is printed from."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        ISSUED = "issued", _("issued, not yet printed")
        DONE = "done", _("issued and printed")
        FAILED = "failed", _("failed")

    run = models.ForeignKey(
        IssuanceRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="items"
    )
    chunk = models.ForeignKey(
        IssuanceChunk,
        verbose_name=_("chunk"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="items",
    )
    person = models.ForeignKey(
        InsuredPerson, verbose_name=_("insured person"), on_delete=models.PROTECT, related_name="+"
    )
    household_id_frozen = models.BigIntegerField(_("household"))
    document = models.CharField(_("document"), max_length=20)
    reason = models.CharField(_("reason"), max_length=40, choices=DocumentReason.choices)
    trigger_on = models.DateField(_("trigger on"))
    due_by = models.DateField(_("due by"), null=True, blank=True)
    rule_ids = models.JSONField(_("rule ids"), default=list, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    envelope = models.PositiveIntegerField(_("envelope"), default=0)
    position = models.PositiveIntegerField(_("position in chunk"), default=0)
    snapshot = models.JSONField(_("snapshot"), default=dict)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    error = models.TextField(_("error"), blank=True)
    certificate = models.ForeignKey(
        "cards.Certificate",
        verbose_name=_("certificate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notice = models.ForeignKey(
        Notice,
        verbose_name=_("notice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The one-time portal code printed with the document (only its hash is stored, on the code).
    activation_code = models.OneToOneField(
        "sumida_kokuho.ActivationCode",
        verbose_name=_("activation code"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("issuance item")
        verbose_name_plural = _("issuance items")
        ordering = ["run", "document", "envelope", "person"]
        constraints = [
            models.UniqueConstraint(fields=["run", "person"], name="issuance_item_per_person"),
            # Across runs: one document per person, kind and trigger once it is issued.
            models.UniqueConstraint(
                fields=["person", "document", "reason", "trigger_on"],
                condition=models.Q(status__in=["issued", "done"]),
                name="issuance_item_issued_once",
            ),
        ]
        indexes = [
            models.Index(fields=["run", "status"], name="issuance_item_status"),
            models.Index(fields=["chunk", "position"], name="issuance_item_chunk"),
        ]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.person_id} {self.document} {self.reason}"


class IssuedFile(models.Model):
    """A file handed to the print vendor: a chunk's print file, the mailing list or the
    manifest, with the checksum the manifest states."""

    class Kind(models.TextChoices):
        PRINT = "print", _("print file")
        MAILING = "mailing", _("mailing list")
        MANIFEST = "manifest", _("manifest")

    run = models.ForeignKey(
        IssuanceRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="files"
    )
    chunk = models.OneToOneField(
        IssuanceChunk,
        verbose_name=_("chunk"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="file",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    documents = models.PositiveIntegerField(_("documents"), default=0)
    pages = models.PositiveIntegerField(_("pages"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("issued file")
        verbose_name_plural = _("issued files")
        ordering = ["run", "name"]
        constraints = [
            models.UniqueConstraint(fields=["run", "name"], name="issued_file_name"),
        ]

    def __str__(self) -> str:
        return self.name


class StatisticsFigures(models.Model):
    """The figures of one table of the statistics page as counted for a day (aggregates only, no
    personal data), so that the page does not count a million periods of coverage on every
    visit. Counted each night (`manage.py count_statistics`), forgotten after each import and
    on "count again now" (ADR 0009)."""

    name = models.CharField(_("statistics table"), max_length=40)
    as_of = models.DateField(_("as of"))
    counted_at = models.DateTimeField(_("counted at"))
    figures = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("statistics figures")
        verbose_name_plural = _("statistics figures")
        constraints = [
            models.UniqueConstraint(fields=["name", "as_of"], name="statistics_figures_once"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.as_of.isoformat()}"
