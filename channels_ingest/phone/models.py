"""The agent screen's records: the caller index (keyed hashes, never values), calls, and the
voice bot's hand-off queue."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from applicants.models import Applicant, Application, Draft


class CallerKey(models.Model):
    """One keyed hash (HMAC under PII_HASH_KEY) of a normalised phone number, a name word or
    an identity number, pointing at the person or the draft it was read from. Search hashes
    what the agent typed and looks it up here: nothing is decrypted to search."""

    key = models.CharField(max_length=64)
    applicant = models.ForeignKey(
        Applicant, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    draft = models.ForeignKey(Draft, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["key"], name="caller_key_lookup")]
        constraints = [
            models.UniqueConstraint(
                fields=["key", "applicant"],
                name="caller_key_once_per_person",
                condition=models.Q(applicant__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["key", "draft"],
                name="caller_key_once_per_draft",
                condition=models.Q(draft__isnull=False),
            ),
            models.CheckConstraint(
                condition=models.Q(applicant__isnull=True) ^ models.Q(draft__isnull=True),
                name="caller_key_points_at_one",
            ),
        ]

    def __str__(self) -> str:
        return f"Caller key for {'person' if self.applicant_id else 'draft'}"


class Call(models.Model):
    """One caller on the line with one agent. Nothing of the caller's records is shown until
    `verified_at` is set by the identity check; the draft keyed in the call belongs to it
    ("call:<id>") unless the caller began it on the web (then it stays their account's)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="phone_calls")
    # Who the caller said they are: a person found by search, or a draft begun on the web.
    applicant = models.ForeignKey(
        Applicant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    found_draft = models.ForeignKey(Draft, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verified_at = models.DateTimeField(null=True, blank=True)
    failed_checks = models.PositiveSmallIntegerField(default=0)
    draft = models.ForeignKey(
        Draft, null=True, blank=True, on_delete=models.SET_NULL, related_name="phone_calls"
    )
    handoff = models.ForeignKey(
        "Handoff", null=True, blank=True, on_delete=models.SET_NULL, related_name="calls"
    )
    consent_attested_at = models.DateTimeField(null=True, blank=True)
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["agent", "started_at"], name="phone_call_agent_recent")]

    def __str__(self) -> str:
        return f"Call {self.id}"

    @property
    def owner_ref(self) -> str:
        return f"call:{self.pk}"

    @property
    def has_subject(self) -> bool:
        return self.applicant_id is not None or self.found_draft_id is not None


class HandoffState(models.TextChoices):
    WAITING = "waiting", "Waiting for an agent"
    DONE = "done", "Submitted by an agent"
    CLOSED = "closed", "Closed without an application"


class Handoff(models.Model):
    """A call the voice bot passed to a person, with the draft it had filled so far (owned by
    the conversation, answers by speech with their confidence). Oldest first; an agent takes
    one by a lease (conditional UPDATE), so two agents never take the same call, and a lease
    that runs out gives it back."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.OneToOneField(Draft, on_delete=models.CASCADE, related_name="handoff")
    conversation_ref = models.CharField(max_length=120)
    reason = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=10, choices=HandoffState.choices, default=HandoffState.WAITING)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["state", "created_at"], name="handoff_waiting_oldest")]

    def __str__(self) -> str:
        return f"Hand-off {self.id} ({self.state})"
