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


class Target(models.TextChoices):
    TIERS = "tiers", "Tiers (low / medium / high)"
    BINARY = "binary", "Binary outcome (adverse or not)"


class ModelVersion(models.Model):
    """A trained model and everything needed to trust, reproduce and serve it.

    The serving contract: the pipeline reads the active version; modelops/ trains, registers
    and moves versions through their life (candidate → approved → active → retired)."""

    version = models.PositiveIntegerField(unique=True)
    status = models.CharField(max_length=12, choices=ModelStatus.choices, default=ModelStatus.CANDIDATE)
    # What the model predicts: the three tiers, or a binary outcome whose probability is
    # cut into tiers by the version's thresholds (see docs/model-lifecycle.md).
    target = models.CharField(max_length=8, choices=Target.choices, default=Target.TIERS)
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
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    # A shadow scores every new application beside the active model, without deciding anything.
    shadow = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

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
    # Who computed the probabilities: "inprocess", or "sagemaker:<endpoint>/<variant>" (then
    # the reasons were computed here, exact TreeSHAP on the same model.tar.gz).
    scorer = models.CharField(max_length=120, blank=True, default="inprocess")
    rescore_run = models.ForeignKey(
        "modelops.RescoreRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions"
    )
    feature_snapshot = models.JSONField(default=dict)
    # The row the model scored, exactly (scoring.features.feature_row_bytes: the schema's
    # feature spec, then float32s in its order), which replay reads without parsing the
    # snapshot; empty for decisions made before it was stored.
    feature_row = models.BinaryField(null=True, blank=True, editable=False)
    # The applicant's protected groups on the decision's day (applicants.groups: an age band,
    # never the date of birth), so fairness and replay count groups without decrypting;
    # empty for decisions made before they were stored, and after an erasure.
    protected_groups = models.JSONField(default=dict, blank=True)
    routed_to_review = models.BooleanField(default=False)
    routing_reason = models.CharField(max_length=100, blank=True, default="")
    # P(routed to review) under the policy at routing time (1 for tiers always reviewed, the
    # random share for low); empty for decisions made before it was recorded.
    review_probability = models.FloatField(null=True, blank=True)
    is_current = models.BooleanField(default=True)
    latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="From submission to this decision."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(is_current=True),
                name="one_current_decision_per_application",
            )
        ]
        indexes = [models.Index(fields=["tier", "created_at"], name="decision_tier_age")]

    def __str__(self) -> str:
        return f"{self.tier} for {self.application_id}"

    @property
    def probabilities(self) -> dict[str, float]:
        return {"low": self.prob_low, "medium": self.prob_medium, "high": self.prob_high}


# --- shadow scoring ---------------------------------------------------------------------------


class ShadowScore(models.Model):
    """What a shadow model said about an application, beside the active model's decision."""

    application = models.ForeignKey("applicants.Application", on_delete=models.CASCADE, related_name="+")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="shadow_scores")
    active_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=8, choices=Tier.choices)
    active_tier = models.CharField(max_length=8, choices=Tier.choices)
    prob_high = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "model_version"], name="one_shadow_score")
        ]

    def __str__(self) -> str:
        return f"shadow v{self.model_version_id}: {self.tier} (active said {self.active_tier})"
