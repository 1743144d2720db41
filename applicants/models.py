from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

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
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submitted_applications",
    )
    # The account this application belongs to: the applicant who submitted it themselves, or
    # one linked to it by a verified step. The only way an applicant account sees it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_applications",
    )
    # Who the Idempotency-Key belongs to ("user:42", "sms:+4420..."), and the key itself.
    idempotency_scope = models.CharField(max_length=120, blank=True, default="")
    # NULL, not "", when absent: the unique constraint then ignores keyless submissions.
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)  # noqa: DJ001
    # Hash of the answers, so a reused key with different answers is refused, not replayed.
    request_fingerprint = models.CharField(max_length=64, blank=True, default="")
    # Field provenance (applicants.provenance): per answered field, its versions oldest first,
    # each {channel, method, by, at, confidence?}; earlier values of non-personal fields only.
    provenance = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
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
    def all_answers(self) -> dict[str, Any]:
        """Every answer, personal ones decrypted. Only for people allowed to see them."""
        return {**self.answers, **(self.pii or {})}


class DraftOwnerKind(models.TextChoices):
    """Who a draft belongs to. A user account today; conversations, calls and mail batches
    (the later channels) own drafts by reference, without a new column each."""

    USER = "user", "Account"
    CONVERSATION = "conversation", "Conversation (chat, SMS, voice)"
    CALL = "call", "Phone call"
    MAIL_BATCH = "mail_batch", "Mail batch"


class DraftStatus(models.TextChoices):
    OPEN = "open", "In progress"
    SUBMITTED = "submitted", "Submitted"


class Draft(models.Model):
    """A partly answered application. It never reaches scoring, sinks or exports: only its
    submission (through application_submit, its id as the idempotency key) does."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    schema_name = models.CharField(max_length=63)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    owner_kind = models.CharField(max_length=20, choices=DraftOwnerKind.choices)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="drafts",
    )
    # For owners that are not accounts: "conversation:<id>", "call:<id>", "batch:<id>".
    owner_ref = models.CharField(max_length=120, blank=True, default="")
    # Clean answers by field, and every version of every answer with its capture; both
    # encrypted like an application's personal data (any answer may be personal).
    answers = EncryptedJSONField(default=dict)
    provenance = EncryptedJSONField(default=dict)
    # Where the owner stopped (a section name), so they resume there.
    current_section = models.CharField(max_length=63, blank=True, default="")
    status = models.CharField(max_length=12, choices=DraftStatus.choices, default=DraftStatus.OPEN)
    application = models.OneToOneField(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="draft"
    )
    expires_at = models.DateTimeField(db_index=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(owner_kind="user") | models.Q(owner_user__isnull=False),
                name="draft_user_owner_has_user",
            ),
            models.CheckConstraint(
                condition=models.Q(owner_kind="user") | ~models.Q(owner_ref=""),
                name="draft_other_owner_has_ref",
            ),
        ]
        indexes = [models.Index(fields=["owner_user", "updated_at"], name="draft_owner_recent")]

    def __str__(self) -> str:
        return f"Draft {self.id} ({self.status})"

    # Set when loaded (not a column): what the database held before this instance changed.
    answers_as_loaded: dict[str, Any] | None = None

    @classmethod
    def from_db(
        cls, db: str | None, field_names: Collection[str], values: Collection[Any], **kwargs: Any
    ) -> Draft:
        draft = super().from_db(db, field_names, values, **kwargs)
        # What the database held, so a save's listeners can tell what changed (the caller
        # index is rebuilt only when an indexed answer did).
        draft.answers_as_loaded = dict(draft.answers or {}) if "answers" in field_names else None
        return draft

    @property
    def is_open(self) -> bool:
        return self.status == DraftStatus.OPEN
