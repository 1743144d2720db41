"""The scorer: one interface, chosen in settings (SCORER).

`inprocess` runs the model's booster in this process; `sagemaker` calls a SageMaker
real-time endpoint (or the project's local endpoint) through boto3. Both raise ScoringError,
whose `permanent` flag tells the pipeline whether trying again could help.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from django.conf import settings

from objectstore import ObjectNotFound
from scoring.artifacts import load_booster
from scoring.models import ModelVersion


class ScoringError(Exception):
    def __init__(self, message: str, *, permanent: bool):
        self.permanent = permanent
        super().__init__(message)


class Scorer(Protocol):
    name: str

    def predict_proba(self, model: ModelVersion, rows: np.ndarray) -> np.ndarray:
        """Class probabilities, one row per input row, columns in model.class_labels order."""


class InProcessScorer:
    name = "inprocess"

    def predict_proba(self, model: ModelVersion, rows: np.ndarray) -> np.ndarray:
        try:
            booster = load_booster(model.artifact_uri)
        except ObjectNotFound as exc:
            raise ScoringError(f"artifact of model v{model.version} is missing: {exc}",
                               permanent=True) from exc
        return np.asarray(booster.inplace_predict(rows), dtype=np.float64).reshape(len(rows), -1)


def get_scorer() -> Scorer:
    if settings.SCORER == "sagemaker":
        from scoring.sagemaker import SageMakerScorer

        return SageMakerScorer()
    return InProcessScorer()
