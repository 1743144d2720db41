from __future__ import annotations

from django.conf import settings
from django.db import models

TIERS = ("low", "medium", "high")


class Tier(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ModelStatus(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"


class ModelVersion(models.Model):
    """A trained model and everything needed to trust, reproduce and serve it."""

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(
        max_length=12, choices=ModelStatus.choices, default=ModelStatus.CANDIDATE
    )
    schema_name = models.CharField(max_length=63)
    schema_hash = models.CharField(max_length=64)
    # The model's inputs: names in column order and a hash of their encoding. Scoring
    # refuses a model whose feature spec differs from the configured schema's.
    feature_names = models.JSONField()
    feature_spec_hash = models.CharField(max_length=64)
    class_labels = models.JSONField(default=list)
    params = models.JSONField(default=dict)
    # Tier cut-offs and which decisions auditors see belong to the model, not the code.
    thresholds = models.JSONField(default=dict)
    review_policy = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    training_data_fingerprint = models.CharField(max_length=64, blank=True, default="")
    training_rows = models.PositiveIntegerField(default=0)
    training_source = models.CharField(max_length=200, blank=True, default="")
    library_versions = models.JSONField(default=dict)
    code_version = models.CharField(max_length=64, blank=True, default="")
    artifact_uri = models.CharField(max_length=500)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="one_active_model"
            )
        ]

    def __str__(self) -> str:
        return f"model v{self.version} ({self.status})"


class Decision(models.Model):
    """The model's verdict on an application, with its reasons and the inputs it saw."""

    application = models.ForeignKey(
        "applicants.Application", on_delete=models.CASCADE, related_name="decisions"
    )
    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(max_length=8, choices=Tier.choices)
    prob_low = models.FloatField()
    prob_medium = models.FloatField()
    prob_high = models.FloatField()
    # [{feature, label, value, contribution, direction, statement}], largest effect first.
    reasons = models.JSONField(default=list)
    explanation_method = models.CharField(max_length=12, default="exact")
    feature_snapshot = models.JSONField(default=dict)
    routed_to_review = models.BooleanField(default=False)
    routing_reason = models.CharField(max_length=100, blank=True, default="")
    is_current = models.BooleanField(default=True)
    latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="From submission to this decision."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=models.Q(is_current=True),
                name="one_current_decision_per_application",
            )
        ]
        indexes = [models.Index(fields=["tier", "created_at"], name="decision_tier_age")]

    def __str__(self) -> str:
        return f"{self.tier} for {self.application_id}"

    @property
    def probabilities(self) -> dict[str, float]:
        return {"low": self.prob_low, "medium": self.prob_medium, "high": self.prob_high}


class ModelStatusChange(models.Model):
    """Each step of a model version's life: who moved it, when, and why."""

    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.CASCADE, related_name="status_history"
    )
    from_status = models.CharField(max_length=12, choices=ModelStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ModelStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"v{self.model_version_id}: {self.from_status or 'new'} → {self.to_status}"
