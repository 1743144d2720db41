"""The personal-data lifecycle's own records: how far a key rotation got, and erasure requests.

Neither holds a personal value: a rotation remembers table names and primary keys, an
erasure the ids of the applications it emptied and the tombstone that replaced the person.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class RotationCheckpoint(models.Model):
    """How far re-encrypting one encrypted column under one newest key got, so an
    interrupted rotation resumes where it stopped (the checkpoint moves in the same
    transaction as the batch it describes)."""

    key_fingerprint = models.CharField(max_length=16)
    column = models.CharField(max_length=200, help_text="app_label.Model.field")
    last_pk = models.CharField(max_length=64, blank=True, default="")
    rotated = models.PositiveBigIntegerField(default=0)
    already_current = models.PositiveBigIntegerField(default=0)
    changed_meanwhile = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key_fingerprint", "column"], name="one_checkpoint_per_key_and_column"
            ),
        ]

    def __str__(self) -> str:
        state = "done" if self.finished_at else f"at {self.last_pk or 'start'}"
        return f"rotation to {self.key_fingerprint}: {self.column} {state}"


class SubjectKind(models.TextChoices):
    APPLICATION = "application", "Found by an application id"
    IDENTITY = "identity", "Found by an identity number (keyed hash)"


class ErasureStatus(models.TextChoices):
    # The database holds nothing personal any more; the sinks' copies are being rewritten
    # through the outbox (retried with backoff while a sink is down).
    SINKS_PENDING = "sinks_pending", "Database erased; sinks being rewritten"
    # A sink refused a rewrite for good (dead letter): an operator re-drives it.
    ATTENTION = "attention", "A sink needs attention"
    DONE = "done", "Done and verified"


class ErasureRequest(models.Model):
    """One right-to-be-forgotten request. The database part happens in the transaction that
    creates this row; the sinks follow through the outbox, and this row says how far they got."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_label = models.CharField(max_length=150, blank=True, default="")
    subject_kind = models.CharField(max_length=12, choices=SubjectKind.choices)
    # A ticket number in the requester's own system (letters, digits, . _ : # / -), never a name.
    reference = models.CharField(max_length=64, blank=True, default="")
    # What was emptied: application ids, and the tombstone person they now belong to.
    application_ids = models.JSONField(default=list, blank=True)
    tombstone_applicant_id = models.UUIDField(null=True, blank=True, db_index=True)
    people = models.PositiveIntegerField(default=0)
    # Counts of what was changed, by kind (no values): {"applications": 2, "review_notes": 1, ...}
    changes = models.JSONField(default=dict, blank=True)
    # Per sink: {"messages": n, "delivered": n, "dead": n, "verified": bool, "problem": ""}
    sinks = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=ErasureStatus.choices, default=ErasureStatus.SINKS_PENDING, db_index=True
    )
    last_error = models.TextField(blank=True, default="")
    checks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"erasure {self.id} ({self.status}, {len(self.application_ids)} applications)"
