"""Training baselines for drift: bins and shares per feature and for the score, one per model
version, computed from the rows the version was trained on.

Versions store no copy of their training matrix, so the baseline is rebuilt from the same
sources training reads (auditor labels and imported history, modelops.datasets), keeping the
rows that existed when the version was registered and, of those, the training part of the
time split. The drift job computes a missing baseline on first use; `monitoring_baselines`
back-fills every version at once.
"""

from __future__ import annotations

import numpy as np
from django.utils import timezone

from applicants.schema import ApplicationSchema, get_schema
from monitoring import psi
from monitoring.models import SCORE, ModelBaseline
from scoring.encoding import fits_schema
from scoring.models import ModelVersion


def baseline_bins(
    schema: ApplicationSchema, matrix: np.ndarray, prob_high: np.ndarray, *, bins: int
) -> dict[str, dict]:
    """Bins and shares of each feature column (schema order) and of P(high)."""
    out: dict[str, dict] = {}
    for column, feature in enumerate(schema.features):
        values = np.asarray(matrix[:, column], dtype=np.float64)
        if feature.kind == "choice":
            categories = [str(c) for c in feature.choices]
            codes = [
                categories[int(v)] if not np.isnan(v) and 0 <= v < len(categories) else None for v in values
            ]
            counts = psi.choice_counts(codes, categories)
            out[feature.name] = {"kind": "choice", "categories": categories, "shares": psi.shares(counts)}
        else:
            edges = psi.numeric_edges(values, bins)
            out[feature.name] = {
                "kind": "numeric",
                "edges": edges,
                "shares": psi.shares(psi.numeric_counts(values, edges)),
            }
    score = np.asarray(prob_high, dtype=np.float64)
    edges = psi.numeric_edges(score, bins)
    out[SCORE] = {"kind": "numeric", "edges": edges, "shares": psi.shares(psi.numeric_counts(score, edges))}
    return out


def _training_rows(model: ModelVersion, schema: ApplicationSchema) -> tuple[np.ndarray, str]:
    from modelops.datasets import assemble_training_set
    from modelops.training import split_by_time

    data = assemble_training_set(schema, target=model.target)
    keep = data.times <= model.created_at.timestamp()
    matrix, times = data.matrix[keep], data.times[keep]
    if len(times) >= 10:
        matrix = matrix[split_by_time(times).train]
    return matrix, f"{len(matrix):,} training rows rebuilt from {data.source}"


def _prob_high(model: ModelVersion, matrix: np.ndarray) -> np.ndarray:
    from scoring.probabilities import tier_probabilities
    from scoring.scorers import InProcessScorer

    if not len(matrix):
        return np.empty(0)
    # The scorer gives the model its own encoding of choices (scoring/encoding.py).
    return tier_probabilities(model, InProcessScorer().predict_proba(model, matrix))[:, 2]


def baseline_compute(*, model: ModelVersion, bins: int) -> ModelBaseline:
    """Compute (again) and store the baseline of one version."""
    schema = get_schema()
    matrix, source = _training_rows(model, schema)
    baseline, _ = ModelBaseline.objects.update_or_create(
        model_version=model,
        defaults={
            "bins": baseline_bins(schema, matrix, _prob_high(model, matrix), bins=bins),
            "rows": len(matrix),
            "source": source,
            "computed_at": timezone.now(),
        },
    )
    return baseline


def baseline_for(model: ModelVersion, *, bins: int) -> ModelBaseline | None:
    """The stored baseline, computed on first use; None when the version cannot be measured
    against the configured schema (other features) or had no training rows."""
    found = ModelBaseline.objects.filter(model_version=model).first()
    if found is not None:
        return found if found.rows else None
    if not fits_schema(model, get_schema()):
        return None
    baseline = baseline_compute(model=model, bins=bins)
    return baseline if baseline.rows else None
