"""Monitoring: the training baselines drift is measured against, small daily roll-up tables
(pages read these, never the decisions) and alerts.

Roll-ups hold counts wherever counts add up (volumes, fairness, auditors, rater pairs), so a
page sums any window; the figures that do not add up (PSI, AUC) are stored per day or week.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

ALL_CHANNELS = ""  # the channel column of a roll-up over every channel
SCORE = "__score__"  # the feature name under which the score's drift is stored


class ModelBaseline(models.Model):
    """A model version's training distribution: per feature (and the score) the bin edges
    and each bin's share, computed once per version."""

    model_version = models.OneToOneField(
        "scoring.ModelVersion", on_delete=models.CASCADE, related_name="monitoring_baseline"
    )
    # {feature: {"kind": "numeric"|"choice", "edges": [...], "categories": [...],
    #            "shares": [... one per bin, then one for missing]}}
    bins = models.JSONField(default=dict)
    rows = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=200, blank=True, default="")
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"baseline of model {self.model_version_id} ({self.rows} rows)"


class DriftDaily(models.Model):
    day = models.DateField()
    model_version = models.ForeignKey("scoring.ModelVersion", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, blank=True, default=ALL_CHANNELS)
    feature = models.CharField(max_length=100)
    psi = models.FloatField(null=True, blank=True)  # None: fewer rows than MONITORING_PSI_MIN_ROWS
    rows = models.PositiveIntegerField()
    counts = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "model_version", "channel", "feature"], name="one_drift_row"
            )
        ]
        indexes = [models.Index(fields=["channel", "day"], name="drift_channel_day")]

    def __str__(self) -> str:
        return f"PSI {self.feature} {self.channel or 'all'} {self.day}: {self.psi}"


class VolumeDaily(models.Model):
    """Decisions made that day per channel: the tier mix, review routing, latency."""

    day = models.DateField()
    channel = models.CharField(max_length=20)
    decisions = models.PositiveIntegerField(default=0)
    low = models.PositiveIntegerField(default=0)
    medium = models.PositiveIntegerField(default=0)
    high = models.PositiveIntegerField(default=0)
    routed = models.PositiveIntegerField(default=0)
    latency_p50_ms = models.FloatField(null=True, blank=True)
    latency_p95_ms = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "channel"], name="one_volume_row")]

    def __str__(self) -> str:
        return f"{self.decisions} decisions {self.channel} {self.day}"


class QualityWeekly(models.Model):
    """Model tier against the auditors' final tier for the decisions of one week, naive (the
    labelled ones as they are) and weighted by 1 / review probability (all decisions)."""

    week = models.DateField(help_text="The Monday the week starts on.")
    model_version = models.ForeignKey("scoring.ModelVersion", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20, blank=True, default=ALL_CHANNELS)
    decisions = models.PositiveIntegerField(default=0)
    labels = models.PositiveIntegerField(default=0)
    naive_accuracy = models.FloatField(null=True, blank=True)
    weighted_accuracy = models.FloatField(null=True, blank=True)
    naive_auc = models.FloatField(null=True, blank=True)
    weighted_auc = models.FloatField(null=True, blank=True)
    # [[model tier][final tier]] label counts, and the weighted calibration of P(high):
    # [{"predicted": mean P(high), "observed": weighted share high, "n": labels}]
    confusion = models.JSONField(default=list)
    calibration = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week", "model_version", "channel"], name="one_quality_row")
        ]

    def __str__(self) -> str:
        return f"quality v{self.model_version_id} {self.channel or 'all'} week of {self.week}"


class FairnessDaily(models.Model):
    day = models.DateField()
    attribute = models.CharField(max_length=63)
    group = models.CharField(max_length=63)
    decisions = models.PositiveIntegerField(default=0)
    favourable = models.PositiveIntegerField(default=0)
    low = models.PositiveIntegerField(default=0)
    medium = models.PositiveIntegerField(default=0)
    high = models.PositiveIntegerField(default=0)
    reviewed = models.PositiveIntegerField(default=0)
    overridden = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "attribute", "group"], name="one_fairness_row")]

    def __str__(self) -> str:
        return f"{self.attribute}={self.group} {self.day}: {self.favourable}/{self.decisions}"


class AuditorDaily(models.Model):
    day = models.DateField()
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    auditor_label = models.CharField(max_length=150)
    reviews = models.PositiveIntegerField(default=0)
    agreed = models.PositiveIntegerField(default=0)  # final tier == model tier
    overridden = models.PositiveIntegerField(default=0)
    dwell_seconds = models.FloatField(default=0.0)
    short_dwell = models.PositiveIntegerField(default=0)
    blind = models.PositiveIntegerField(default=0)
    blind_agreed = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "auditor_label"], name="one_auditor_row")]

    def __str__(self) -> str:
        return f"{self.auditor_label} {self.day}: {self.reviews} reviews"


class RaterPairDaily(models.Model):
    """Items two auditors labelled independently: the 3x3 table of their tiers."""

    day = models.DateField()
    first_label = models.CharField(max_length=150)
    second_label = models.CharField(max_length=150)
    table = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "first_label", "second_label"], name="one_rater_pair_row")
        ]

    def __str__(self) -> str:
        return f"{self.first_label} and {self.second_label} {self.day}"


class OperationsSnapshot(models.Model):
    taken_at = models.DateTimeField(default=timezone.now, db_index=True)
    queue_waiting = models.PositiveIntegerField(default=0)
    queue_oldest_seconds = models.FloatField(default=0.0)
    outbox_pending = models.PositiveIntegerField(default=0)
    sink_lag_seconds = models.FloatField(default=0.0)
    dead_letters = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"operations at {self.taken_at:%Y-%m-%d %H:%M}"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    CRITICAL = "critical", "Critical"


class AlertStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class Alert(models.Model):
    """One condition that fired. Its key (rule and subject) deduplicates: while an alert is
    not resolved, the same condition updates it instead of opening another."""

    rule = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=14, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    message = models.TextField()
    value = models.FloatField(null=True, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    notifications = models.PositiveIntegerField(default=0)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(status="resolved"), name="one_unresolved_alert_per_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.severity} {self.key} ({self.status})"
