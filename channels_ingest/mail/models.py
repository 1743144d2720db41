"""Mail entry: batches of paper forms, each form's scan, the two blind keying passes and the
supervisor's resolution of each field the clerks keyed differently.

    MailBatch ─< MailItem (one paper form: its scan, its state, its application)
                    ├─< KeyingPass (pass 1 and 2: a clerk and the draft they keyed)
                    └─< FieldResolution (per mismatched field: which value, by whom)

The keyed values live in the passes' drafts (encrypted like any draft); a resolution keeps the
chosen value encrypted too, until the form is submitted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from applicants.fields import EncryptedJSONField


class MailBatch(models.Model):
    number = models.CharField(max_length=40, unique=True)
    received_on = models.DateField()
    forms_count = models.PositiveIntegerField()
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_on", "-created_at"]

    def __str__(self) -> str:
        return f"Batch {self.number}"


class ItemState(models.TextChoices):
    AWAITING_SCAN = "awaiting_scan", "Waiting for its scan"
    KEYING = "keying", "Being keyed"
    MISMATCH = "mismatch", "Values differ: a supervisor resolves"
    UNREADABLE = "unreadable", "Marked unreadable: a supervisor decides"
    VOID = "void", "Voided: nothing submitted"
    SUBMITTED = "submitted", "Submitted"


class MailItem(models.Model):
    """One paper form of a batch."""

    batch = models.ForeignKey(MailBatch, on_delete=models.CASCADE, related_name="items")
    sequence = models.PositiveIntegerField()  # its place in the batch, from 1
    state = models.CharField(max_length=16, choices=ItemState.choices, default=ItemState.AWAITING_SCAN)
    # The scan, kept through objectstore (never a public URL): where, what, how big, by whom.
    scan_url = models.CharField(max_length=500, blank=True, default="")
    scan_type = models.CharField(max_length=40, blank=True, default="")
    scan_bytes = models.PositiveIntegerField(default=0)
    scan_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The draft holding the agreed (and resolved) answers that is submitted: its id is the
    # idempotency key, so a retried submission never makes a second application.
    final_draft = models.OneToOneField(
        "applicants.Draft", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    application = models.OneToOneField(
        "applicants.Application", null=True, blank=True, on_delete=models.SET_NULL, related_name="mail_item"
    )
    compared_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # A clerk's "this paper form cannot be keyed" (unreadable, incomplete), kept after the
    # supervisor's decision (void it, or send it back to keying) for the record.
    problem = models.CharField(max_length=500, blank=True, default="")
    problem_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    problem_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "sequence"], name="mail_item_unique_sequence")
        ]
        indexes = [models.Index(fields=["state"], name="mail_item_state")]

    def __str__(self) -> str:
        return f"{self.batch.number}/{self.sequence}"

    @property
    def has_scan(self) -> bool:
        return bool(self.scan_url)


class KeyingPass(models.Model):
    """One clerk's keying of one form. Two per form, by two different clerks."""

    item = models.ForeignKey(MailItem, on_delete=models.CASCADE, related_name="passes")
    number = models.PositiveSmallIntegerField()  # 1 or 2
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mail_passes")
    draft = models.OneToOneField("applicants.Draft", null=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Filled when the form is compared: how many fields this pass keyed, how many differed.
    fields_compared = models.PositiveIntegerField(default=0)
    fields_mismatched = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="mail_pass_unique_number"),
            # Segregation of duties, in the database too: one clerk keys a form once.
            models.UniqueConstraint(fields=["item", "clerk"], name="mail_pass_one_per_clerk"),
            models.CheckConstraint(condition=Q(number__in=[1, 2]), name="mail_pass_number_1_or_2"),
        ]
        indexes = [models.Index(fields=["clerk", "finished_at"], name="mail_pass_clerk")]

    def __str__(self) -> str:
        return f"pass {self.number} of form {self.item_id}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class Choice(models.TextChoices):
    FIRST = "first", "The first clerk's value"
    SECOND = "second", "The second clerk's value"
    OTHER = "other", "Another value, read from the scan"


class FieldResolution(models.Model):
    """A supervisor's decision on one field the two clerks keyed differently."""

    item = models.ForeignKey(MailItem, on_delete=models.CASCADE, related_name="resolutions")
    field = models.CharField(max_length=63)
    choice = models.CharField(max_length=8, choices=Choice.choices)
    value = EncryptedJSONField(default=dict)  # {"value": <clean value>}
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["item", "field"]
        constraints = [
            models.UniqueConstraint(fields=["item", "field"], name="mail_resolution_one_per_field")
        ]

    def __str__(self) -> str:
        return f"{self.field} of form {self.item_id}: {self.choice}"
