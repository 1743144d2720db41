from __future__ import annotations

from django.db import models


class Topic(models.TextChoices):
    SCORING = "scoring", "Scoring requested"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead letter"


class OutboxMessage(models.Model):
    """Work owed to another system, written in the same transaction as the change that owes it.

    A row stays pending until its consumer marks it delivered; the periodic re-drive sends
    again what waits too long, and rows that keep failing become dead letters with their
    last error, visible in the admin.
    """

    # "scoring", or "sink:<name>" for each external store (see outbox_fan_out).
    topic = models.CharField(max_length=40)
    key = models.CharField(max_length=64, help_text="The object the work is about (e.g. an id).")
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    dead_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["topic", "created_at"],
                condition=models.Q(status="pending"),
                name="outbox_pending_by_topic",
            ),
            models.Index(fields=["topic", "key"], name="outbox_topic_key"),
            # Pending messages backing off (a consumer skips their keys until then).
            models.Index(
                fields=["topic", "next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbox_pending_backoff",
            ),
            models.Index(
                fields=["topic", "dead_at"],
                condition=models.Q(status="dead"),
                name="outbox_dead_by_topic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic}:{self.key} ({self.status})"


class WakeUp(models.Model):
    """Whether a consumer (the scorer, a sink's drain) has a wake-up message queued that it
    has not started yet.

    Every commit that owes work asks for a wake-up; while one is queued, further asks are
    skipped (a conditional UPDATE: only the ask that changes the row publishes), so a busy
    worker finds one message waiting with all the work committed meanwhile, instead of one
    message per request. The consumer clears the row when it starts, before it claims work,
    so whatever commits after that asks again and nothing waits for the periodic re-drive.
    """

    consumer = models.CharField(max_length=60, primary_key=True)
    asked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"wake-up of {self.consumer} ({'asked' if self.asked_at else 'idle'})"
