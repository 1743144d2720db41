"""The model registry: register trained models, move them through their life, find the active one."""

from __future__ import annotations

import platform
import subprocess
from typing import Any

import numpy as np
import sklearn
import xgboost as xgb
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from applicants.schema import ApplicationSchema
from scoring.artifacts import save_artifacts
from scoring.models import TIERS, ModelStatus, ModelStatusChange, ModelVersion
from scoring.training import TrainedModel


class NoUsableModel(Exception):
    """No active model, or the active one was trained for a different feature spec."""


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "xgboost": xgb.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }


def code_version() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=settings.BASE_DIR, capture_output=True,
            text=True, timeout=5, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def default_review_policy() -> dict[str, Any]:
    return {"review_tiers": ["medium", "high"], "low_sample_rate": settings.REVIEW_LOW_SAMPLE_RATE}


def model_version_register(
    *, trained: TrainedModel, schema: ApplicationSchema, training_source: str,
    trained_by: Any = None, review_policy: dict[str, Any] | None = None,
) -> ModelVersion:
    """Store the artifact and create a candidate version holding its lineage and metrics."""
    for _ in range(5):
        version = (ModelVersion.objects.aggregate(top=Max("version"))["top"] or 0) + 1
        fields = {
            "schema_name": schema.name,
            "schema_hash": schema.source_hash,
            "feature_names": list(schema.feature_names),
            "feature_spec_hash": schema.feature_spec_hash,
            "class_labels": list(TIERS),
            "params": trained.params,
            "thresholds": trained.thresholds,
            "review_policy": review_policy or default_review_policy(),
            "metrics": trained.metrics,
            "training_data_fingerprint": trained.fingerprint,
            "training_rows": trained.rows,
            "training_source": training_source,
            "library_versions": library_versions(),
            "code_version": code_version(),
        }
        artifact_uri = save_artifacts(
            base_url=settings.MODEL_STORAGE_URL, version=version, booster=trained.booster,
            metadata={"version": version, **fields},
        )
        try:
            with transaction.atomic():
                model = ModelVersion.objects.create(
                    version=version, artifact_uri=artifact_uri,
                    trained_by=trained_by if getattr(trained_by, "pk", None) else None, **fields,
                )
                ModelStatusChange.objects.create(
                    model_version=model, to_status=ModelStatus.CANDIDATE,
                    actor=model.trained_by, note=f"trained on {training_source}",
                )
            return model
        except IntegrityError:
            continue  # another trainer took this number at the same moment; take the next
    raise RuntimeError("could not allocate a model version number")


def _move(model: ModelVersion, to_status: str, actor: Any, note: str, **changes: Any) -> None:
    ModelStatusChange.objects.create(
        model_version=model, from_status=model.status, to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None, note=note,
    )
    model.status = to_status
    for name, value in changes.items():
        setattr(model, name, value)
    model.save(update_fields=["status", *changes])


def model_version_bootstrap(*, model: ModelVersion, note: str) -> ModelVersion:
    """Activate a first model where none is active (demo start-up, fresh installs).

    Refuses when a model is already active: replacing one goes through approval.
    """
    with transaction.atomic():
        if ModelVersion.objects.select_for_update().filter(status=ModelStatus.ACTIVE).exists():
            raise NoUsableModel("a model is already active; replace it through approval")
        model = ModelVersion.objects.select_for_update().get(pk=model.pk)
        _move(model, ModelStatus.APPROVED, None, f"bootstrap: {note}")
        _move(model, ModelStatus.ACTIVE, None, f"bootstrap: {note}", activated_at=timezone.now())
    return model


def active_model(schema: ApplicationSchema) -> ModelVersion:
    model = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
    if model is None:
        raise NoUsableModel("no model is active; train one (python manage.py train)")
    if model.feature_spec_hash != schema.feature_spec_hash:
        raise NoUsableModel(
            f"the active model v{model.version} was trained for other features "
            f"(schema {model.schema_name}); train and activate a model for {schema.name}"
        )
    return model
