"""A first model for a demo installation, trained on synthetic applicants."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from applicants.schema import ApplicationSchema
from applicants.validation import validate_answers
from demo import synthetic
from modelops.registry import model_version_register
from modelops.services import Progress, measure_beside
from modelops.training import fit
from scoring.features import build_matrix
from scoring.models import ModelVersion


def model_train_synthetic(
    *,
    schema: ApplicationSchema,
    rows: int,
    seed: int = 7,
    trained_by: Any = None,
    progress: Progress | None = None,
) -> ModelVersion:
    """Train a candidate on synthetic applicants (demo data) and register it."""
    answers, tiers = synthetic.generate(schema, rows, seed=seed)
    # Synthetic rows go through the same validation as real ones: a generator that drifts
    # from the schema fails here, loudly, instead of teaching the model impossible data.
    for row in answers[:200]:
        validate_answers(schema, row)
    matrix = build_matrix(schema, answers)
    trained = fit(
        matrix,
        tiers,
        feature_names=list(schema.feature_names),
        schema=schema,  # choices as native categoricals (scoring/encoding.py)
        seed=seed,
        progress=progress,
        nthread=settings.LIFECYCLE_TRAIN_THREADS,
    )
    measure_beside(trained, schema, matrix, tiers)
    return model_version_register(
        trained=trained,
        schema=schema,
        trained_by=trained_by,
        training_source=f"synthetic:{schema.name}:{rows} rows:seed {seed}",
    )
