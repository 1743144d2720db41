from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from applicants.fields import EncryptedJSONField


class Channel(models.TextChoices):
    API = "api", "Mobile / REST API"
    WEB = "web", "Web form"
    CHATBOT = "chatbot", "Chatbot"
    SMS = "sms", "SMS"
    PHONE_AGENT = "phone_agent", "Call-centre agent"
    VOICE = "voice", "Voice bot"
    MAIL = "mail", "Mail (keyed by a clerk)"


class Status(models.TextChoices):
    RECEIVED = "received", "Received"
    SCORING = "scoring", "Scoring"
    SCORED = "scored", "Scored"
    IN_REVIEW = "in_review", "In review"
    CONFIRMED = "confirmed", "Confirmed"
    OVERRIDDEN = "overridden", "Overridden"
    FAILED = "failed", "Failed"


class Applicant(models.Model):
    """A person. Their identifying answers are encrypted; the identity hash finds them again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Keyed HMAC of the schema's identity field (e.g. national ID); null when the schema has none.
    identity_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # The personal answers given when this person was first seen. Never replaced by a later
    # submission: whoever types someone's identity number must not rewrite their contact details.
    # No user account either: finding a person by identity grants nobody access to anything.
    pii = EncryptedJSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Applicant {self.id}"


class Application(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="applications")
    schema_name = models.CharField(max_length=63)
    schema_hash = models.CharField(max_length=64)
    # Answers that are not personal data, in clear: the ETL, queues and dashboards read them.
    answers = models.JSONField(default=dict)
    # Personal answers exactly as given on this application, encrypted.
    pii = EncryptedJSONField(default=dict)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="submitted_applications",
    )
    # The account this application belongs to: the applicant who submitted it themselves, or
    # one linked to it by a verified step. The only way an applicant account sees it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_applications",
    )
    # Who the Idempotency-Key belongs to ("user:42", "sms:+4420..."), and the key itself.
    idempotency_scope = models.CharField(max_length=120, blank=True, default="")
    # NULL, not "", when absent: the unique constraint then ignores keyless submissions.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    # Hash of the answers, so a reused key with different answers is refused, not replayed.
    request_fingerprint = models.CharField(max_length=64, blank=True, default="")

    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True
    )
    failure_reason = models.TextField(blank=True, default="")
    possible_duplicate = models.BooleanField(default=False)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Scoring bookkeeping: who holds the claim, since when, how many tries so far.
    scoring_claim = models.UUIDField(null=True, blank=True)
    scoring_started_at = models.DateTimeField(null=True, blank=True)
    scoring_attempts = models.PositiveSmallIntegerField(default=0)

    # The label: the tier a human settled on (auditor's confirmation or override).
    final_tier = models.CharField(max_length=8, blank=True, default="")
    labelled_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=models.Q(idempotency_key__isnull=False),
                name="application_idempotency_key_unique_per_client",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="application_status_age"),
            models.Index(fields=["applicant", "created_at"], name="application_applicant_age"),
        ]

    def __str__(self) -> str:
        return f"Application {self.id} ({self.status})"

    @property
    def all_answers(self) -> dict:
        """Every answer, personal ones decrypted. Only for people allowed to see them."""
        return {**self.answers, **(self.pii or {})}
