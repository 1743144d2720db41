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
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
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
            models.Index(
                fields=["topic", "dead_at"], condition=models.Q(status="dead"),
                name="outbox_dead_by_topic",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic}:{self.key} ({self.status})"
