"""Governance records: decision replays (a candidate model over stored decisions' frozen
feature rows; nothing is written to decisions) and evidence packs (what the server checked
before a candidate may be approved)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from outbox.jobs import LeasedJob


class ReplayStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class ReplayRun(models.Model):
    """One replay: which candidate, over which period's decisions, and what would move.

    `results` holds the migration counts once finished: {"overall": 3x3, "channel": {c: 3x3},
    "groups": {attribute: {group: 3x3}}, "review": {...}} (rows: stored tier, columns: the
    candidate's tier, in TIERS order)."""

    model_version = models.ForeignKey("scoring.ModelVersion", on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()
    until = models.DateTimeField()
    channel = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(max_length=10, choices=ReplayStatus.choices, default=ReplayStatus.PENDING)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    moved = models.PositiveIntegerField(default=0)
    results = models.JSONField(default=dict)
    list_prefix = models.CharField(max_length=500, blank=True, default="")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"replay {self.pk} of v{self.model_version_id}"


class ReplayChunk(LeasedJob):
    """Decisions with ids in [first_id, last_id] of one replay: one worker's share, a job
    (outbox.jobs). Its counts are added to the run's when the last chunk finishes."""

    run = models.ForeignKey(ReplayRun, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=ReplayStatus.choices, default=ReplayStatus.PENDING)
    counts = models.JSONField(default=dict)

    class Meta:
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_replay_chunk_per_seq")]

    def __str__(self) -> str:
        return f"replay chunk {self.seq} of run {self.run_id} ({self.status})"


class EvidencePack(models.Model):
    """The evidence the server assembled for a candidate: each gate with its figures, the
    replay it used, and (when the fairness gate failed) the approver's written justification."""

    model_version = models.ForeignKey(
        "scoring.ModelVersion", on_delete=models.CASCADE, related_name="evidence_packs"
    )
    replay = models.ForeignKey(ReplayRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # [{"name", "title", "passed", "applies", "summary", "figures": {...}}], in gate order.
    gates = models.JSONField(default=list)
    # Everything the model card shows beside the gates (data, metrics, fairness table, ...).
    card = models.JSONField(default=dict)
    assembled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assembled_at = models.DateTimeField(auto_now_add=True)
    fairness_justification = models.TextField(blank=True, default="")
    justified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    justified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-assembled_at", "-id"]

    def __str__(self) -> str:
        return f"evidence pack {self.pk} of v{self.model_version_id}"

    def gate(self, name: str) -> dict:
        return next((g for g in self.gates if g["name"] == name), {})
