"""The model lifecycle's records: status history, imported history, rescoring runs and
chunks, training runs, deployments. The tables keep their scoring_* names: they moved here
from `scoring` by state only (migrations/0001_initial.py), no data moved."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from outbox.jobs import LeasedJob
from scoring.models import ModelStatus, ModelVersion, Target, Tier


class ModelStatusChange(models.Model):
    """Each step of a model version's life: who moved it, when, and why."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="status_history")
    from_status = models.CharField(max_length=12, choices=ModelStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=ModelStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True, default="")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "scoring_modelstatuschange"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"v{self.model_version_id}: {self.from_status or 'new'} → {self.to_status}"


# --- imported history -------------------------------------------------------------------------


class HistoryImport(models.Model):
    """One run of `import_history`: what was read, how, and what became of each row."""

    file_name = models.CharField(max_length=500)
    schema_name = models.CharField(max_length=63)
    label_column = models.CharField(max_length=100)
    label_kind = models.CharField(max_length=8, choices=Target.choices)
    adverse_value = models.CharField(max_length=100, blank=True, default="")
    rows_read = models.PositiveIntegerField(default=0)
    rows_imported = models.PositiveIntegerField(default=0)
    rows_already_imported = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rejects_file = models.CharField(max_length=500, blank=True, default="")
    imported_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "scoring_historyimport"

    def __str__(self) -> str:
        return f"import {self.pk} of {self.file_name}"


class HistoricalApplication(models.Model):
    """A past application with the decision or outcome a human or the world gave it.

    Only the non-personal answers are kept: a history exists to train models, and identity
    is never a feature. `row_key` is a hash of the row, so importing a file again adds nothing.
    """

    schema_name = models.CharField(max_length=63)
    row_key = models.CharField(max_length=64)
    history_import = models.ForeignKey(HistoryImport, on_delete=models.PROTECT, related_name="rows")
    answers = models.JSONField()
    label_kind = models.CharField(max_length=8, choices=Target.choices)
    tier = models.CharField(max_length=8, choices=Tier.choices, blank=True, default="")
    adverse = models.BooleanField(null=True, blank=True)
    outcome = models.CharField(max_length=100, blank=True, default="")
    occurred_at = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "scoring_historicalapplication"
        constraints = [models.UniqueConstraint(fields=["schema_name", "row_key"], name="history_row_once")]

    def __str__(self) -> str:
        return f"history row {self.pk} ({self.tier or self.outcome})"


# --- batch rescoring --------------------------------------------------------------------------


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class RescoreMode(models.TextChoices):
    CELERY = "celery", "Celery chunks"
    TRANSFORM = "transform", "SageMaker batch transform"


class RescoreRun(models.Model):
    """One batch rescoring: which model, which applications, and what changed."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    explanation_method = models.CharField(max_length=12, default="exact")
    mode = models.CharField(max_length=10, choices=RescoreMode.choices, default=RescoreMode.CELERY)
    # A SageMaker batch transform's job name and S3 prefix (mode "transform").
    transform_job = models.CharField(max_length=63, blank=True, default="")
    transform_prefix = models.CharField(max_length=500, blank=True, default="")
    chunk_size = models.PositiveIntegerField(default=5000)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    routed_to_review = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "scoring_rescorerun"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"rescore run {self.pk} with v{self.model_version_id}"


class RescoreChunk(LeasedJob):
    """Applications with ids in [first_id, last_id] of one run: one Celery task's work, a job
    (outbox.jobs: claimed by a lease, re-driven when its worker dies)."""

    run = models.ForeignKey(RescoreRun, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    first_id = models.UUIDField()
    last_id = models.UUIDField()
    size = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    changed = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "scoring_rescorechunk"
        ordering = ["run", "seq"]
        constraints = [models.UniqueConstraint(fields=["run", "seq"], name="one_chunk_per_seq")]

    def __str__(self) -> str:
        return f"chunk {self.seq} of run {self.run_id} ({self.status})"


# --- training runs and deployments ------------------------------------------------------------


class TrainingRun(LeasedJob):
    """A training started from the pages or a task, with its progress for the browser; a job
    (outbox.jobs): a worker that dies mid-training loses its lease and the run starts again."""

    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stage = models.CharField(max_length=200, blank=True, default="")
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    model_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "scoring_trainingrun"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"training run {self.pk} ({self.status})"


class ModelDeployment(models.Model):
    """A model version put on a SageMaker endpoint by deploy_sagemaker."""

    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="deployments")
    endpoint_name = models.CharField(max_length=63)
    endpoint_config_name = models.CharField(max_length=63)
    sagemaker_model_name = models.CharField(max_length=63)
    variant_name = models.CharField(max_length=63)
    model_data_url = models.CharField(max_length=500)
    instance_type = models.CharField(max_length=40)
    action = models.CharField(max_length=10)  # created | updated
    deployed_by = models.CharField(max_length=150, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "scoring_modeldeployment"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"v{self.model_version_id} on {self.endpoint_name} ({self.variant_name})"
