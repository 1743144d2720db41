"""A conversation (web chat, SMS or voice) and what it remembers between turns.

The answers themselves live only in its draft (encrypted, applicants.drafts); the
conversation keeps where it is, what it asked, and a transcript without personal values.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from applicants.fields import EncryptedJSONField
from applicants.models import Application, Channel, Draft


class Transport(models.TextChoices):
    CHAT = "chat", "Web chat"
    SMS = "sms", "SMS"
    VOICE = "voice", "Voice"


# The channel the applications of each transport carry.
TRANSPORT_CHANNEL: dict[str, str] = {
    Transport.CHAT: Channel.CHATBOT,
    Transport.SMS: Channel.SMS,
    Transport.VOICE: Channel.VOICE,
}


class Mode(models.TextChoices):
    ASKING = "asking", "Asking the questions"
    CONFIRMING = "confirming", "Summary read back, waiting for a yes"
    SUBMITTED = "submitted", "Application sent"
    STOPPED = "stopped", "Stopped by the person"


class Conversation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    transport = models.CharField(max_length=8, choices=Transport.choices)
    # Who is talking, without saying it: a keyed hash of the phone number (SMS, voice) or the
    # conversation's own id (web chat, bound to a browser session). Never the number itself.
    key = models.CharField(max_length=64)
    # The account the conversation belongs to: set only through a verified step (logging in
    # on the web chat); an SMS conversation belongs to nobody and owns its draft.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="conversations",
    )
    draft = models.OneToOneField(
        Draft, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversation"
    )
    application = models.ForeignKey(
        Application, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.ASKING)
    pending_field = models.CharField(max_length=63, blank=True, default="")
    answered_order = models.JSONField(default=list)  # fields in the order answered, for `back`
    skipped = models.JSONField(default=list)  # optional fields the person chose to skip
    opted_out = models.BooleanField(default=False)  # SMS STOP: nothing is sent until START
    handoff_requested_at = models.DateTimeField(null=True, blank=True)
    # A speech answer heard with low confidence, read back and waiting for a yes: what was
    # heard (personal, so encrypted like the draft) and how sure the recogniser was.
    unconfirmed = EncryptedJSONField(default=dict)
    turns = models.PositiveIntegerField(default=0)
    # Voice: how the last call ended (Twilio's status callback: completed, busy, no-answer...).
    last_call_status = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["transport", "key"], name="conversation_one_per_key")]

    def __str__(self) -> str:
        return f"{self.get_transport_display()} conversation {self.pk}"

    @property
    def channel(self) -> str:
        return TRANSPORT_CHANNEL[self.transport]

    @property
    def owner_ref(self) -> str:
        return f"conversation:{self.pk}"


class InboundMessage(models.Model):
    """A provider's message id, kept so a retried delivery is processed once."""

    sid = models.CharField(max_length=64, primary_key=True)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="inbound")
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.sid


class TurnKind(models.TextChoices):
    ANSWER = "answer", "Answer"
    QUESTION = "question", "Question"
    COMMAND = "command", "Command"
    CORRECTION = "correction", "Correction"
    CONFIRMATION = "confirmation", "Confirmation"
    UNREAD = "unread", "Not understood"


class Turn(models.Model):
    """One exchange of the transcript, without personal values: what kind of turn it was,
    which fields it touched and which were refused; the words are kept only for questions and
    commands, with digits and addresses blanked."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="transcript")
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=12, choices=TurnKind.choices)
    fields_accepted = models.JSONField(default=list)
    fields_refused = models.JSONField(default=list)
    said = models.CharField(max_length=300, blank=True, default="")  # redacted
    reply_kind = models.CharField(max_length=30, blank=True, default="")
    method = models.CharField(max_length=12, blank=True, default="")
    confidence = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} turn of {self.conversation_id}"
