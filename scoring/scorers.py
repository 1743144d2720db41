"""The scorer: one interface, chosen in settings (SCORER).

`inprocess` runs the model's booster in this process; `sagemaker` calls a SageMaker
real-time endpoint (or the project's local endpoint) through boto3. Both raise ScoringError,
whose `permanent` flag tells the pipeline whether trying again could help (scoring/errors.py).
Both return the model's own probabilities (corrected for class weighting);
`scoring.probabilities.tier_probabilities` puts them in the low / medium / high layout
decisions store. Neither imports training code.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from django.conf import settings

from objectstore import ObjectNotFound
from scoring.artifact_store import load_booster
from scoring.encoding import model_input
from scoring.errors import ScoringError
from scoring.models import ModelVersion
from scoring.probabilities import finish_probabilities
from scoring.sagemaker import SageMakerScorer


class Scorer(Protocol):
    name: str
    # Who answered the last call ("inprocess", "sagemaker:<endpoint>/<variant>"): decisions say so.
    last_source: str

    def predict_proba(self, model: ModelVersion, rows: np.ndarray) -> np.ndarray:
        """Class probabilities, one row per input row, columns in model.class_labels order
        (one column, P(adverse), for a binary model). `rows` is the feature matrix (choices as
        schema positions); each scorer gives the model its own encoding (scoring/encoding.py)."""


class InProcessScorer:
    name = "inprocess"
    last_source = "inprocess"

    def predict_proba(self, model: ModelVersion, rows: np.ndarray) -> np.ndarray:
        try:
            booster = load_booster(model.artifact_uri)
        except ObjectNotFound as exc:
            raise ScoringError(
                f"artifact of model v{model.version} is missing: {exc}", permanent=True
            ) from exc
        return finish_probabilities(model, booster.inplace_predict(model_input(model, rows)), len(rows))


def get_scorer() -> Scorer:
    if settings.SCORER == "sagemaker":
        return SageMakerScorer()
    return InProcessScorer()
