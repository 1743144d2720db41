"""The scorer: one interface, chosen in settings (SCORER).

`inprocess` runs the model's booster in this process; `sagemaker` calls a SageMaker
real-time endpoint (or the project's local endpoint) through boto3. Both raise ScoringError,
whose `permanent` flag tells the pipeline whether trying again could help. Both return the
model's own probabilities (corrected for class weighting); `tier_probabilities` puts them in
the low / medium / high layout decisions store.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np
from django.conf import settings

from objectstore import ObjectNotFound
from scoring.artifact_store import load_booster
from scoring.evaluation import tier_layout
from scoring.models import ModelVersion, Target
from scoring.training import adjust_for_class_weights


class ScoringError(Exception):
    def __init__(self, message: str, *, permanent: bool):
        self.permanent = permanent
        super().__init__(message)


class Scorer(Protocol):
    name: str
    # Who answered the last call ("inprocess", "sagemaker:<endpoint>/<variant>"): decisions say so.
    last_source: str

    def predict_proba(self, model: ModelVersion, rows: np.ndarray) -> np.ndarray:
        """Class probabilities, one row per input row, columns in model.class_labels order
        (one column, P(adverse), for a binary model)."""


def finish_probabilities(model: Any, raw: np.ndarray, n_rows: int) -> np.ndarray:
    """The booster's output as (rows, classes), with the class-weighting prior shift undone."""
    params = getattr(model, "params", None) or {}
    probs = np.asarray(raw, dtype=np.float64).reshape(n_rows, -1)
    return adjust_for_class_weights(probs, params.get("class_weights"))


def tier_probabilities(model: Any, probs: np.ndarray) -> np.ndarray:
    return tier_layout(probs, getattr(model, "target", Target.TIERS))


class InProcessScorer:
    name = "inprocess"
    last_source = "inprocess"

    def predict_proba(self, model: ModelVersion, rows: np.ndarray) -> np.ndarray:
        try:
            booster = load_booster(model.artifact_uri)
        except ObjectNotFound as exc:
            raise ScoringError(f"artifact of model v{model.version} is missing: {exc}",
                               permanent=True) from exc
        return finish_probabilities(model, booster.inplace_predict(rows), len(rows))


def get_scorer() -> Scorer:
    if settings.SCORER == "sagemaker":
        from scoring.sagemaker import SageMakerScorer

        return SageMakerScorer()
    return InProcessScorer()
