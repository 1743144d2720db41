from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class TrailEntryQuerySet(models.QuerySet["TrailEntry"]):
    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit trail is append-only")


class TrailEntry(models.Model):
    """One thing that happened: who, when, to what, before and after.

    Append-only and chained. Writers only insert (never waiting on each other); the sealer
    gives entries their place in the chain (`seq`) and their hash: an HMAC-SHA256 under the
    key named by `key_id` (kept outside the database, trail/keys.py) that covers the previous
    entry's hash, so editing or deleting any sealed entry breaks every hash after it and nobody
    without the key can recompute them. Entries sealed before the chain was keyed have an empty
    `key_id` and a plain SHA-256 (docs/audit-trail.md, "Entries from before keying").
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The username at the time: the trail must still read right if the user is renamed.
    actor_label = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=64)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True, default="")
    # Set once, by the sealer.
    seq = models.BigIntegerField(unique=True, null=True, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    hash = models.CharField(max_length=64, blank=True, default="")
    key_id = models.CharField(max_length=16, blank=True, default="")

    objects = TrailEntryQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"], name="trail_object"),
            models.Index(fields=["actor", "at"], name="trail_actor"),
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="trail_unsealed"),
        ]
        verbose_name_plural = "trail entries"

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label or 'system'} {self.action} "
            f"{self.object_type}:{self.object_id}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("audit trail entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("the audit trail is append-only")


class TrailHead(models.Model):
    """A single row: the end of the sealed chain. Locking it serialises sealers."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")
    # Where the latest anchor is, to find it quickly (a hint only: the anchors themselves are
    # read from their store).
    anchored_seq = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"trail head at {self.last_seq}"
