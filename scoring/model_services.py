"""Training services: assemble data, fit, register. Commands and tasks call these."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from applicants.schema import ApplicationSchema
from applicants.validation import validate_answers
from scoring import synthetic
from scoring.features import build_matrix
from scoring.models import ModelVersion
from scoring.registry import model_version_register
from scoring.training import fit


def model_train_synthetic(
    *, schema: ApplicationSchema, rows: int, seed: int = 7, trained_by: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> ModelVersion:
    """Train a candidate on synthetic applicants (demo data) and register it."""
    answers, tiers = synthetic.generate(schema, rows, seed=seed)
    # Synthetic rows go through the same validation as real ones: a generator that drifts
    # from the schema fails here, loudly, instead of teaching the model impossible data.
    for row in answers[:200]:
        validate_answers(schema, row)
    matrix = build_matrix(schema, answers)
    trained = fit(matrix, tiers, feature_names=list(schema.feature_names), seed=seed,
                  progress=progress)
    return model_version_register(
        trained=trained, schema=schema, trained_by=trained_by,
        training_source=f"synthetic:{schema.name}:{rows} rows:seed {seed}",
    )
