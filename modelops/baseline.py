"""The logistic-regression baseline every training reports beside the model.

Trained on exactly the model's training rows (same split, same class weighting, the same
probability correction) and measured on exactly its evaluation rows, so a reviewer sees
whether boosting earned its place. Choices are one-hot encoded (their codes are positions,
not quantities); numbers are median-imputed with a missing-value indicator and standardised.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from modelops.evaluation import evaluate
from modelops.training import Split
from scoring.models import Target
from scoring.probabilities import adjust_for_class_weights


def _pipeline(n_features: int, choice_columns: list[int]) -> Pipeline:
    numeric = [i for i in range(n_features) if i not in set(choice_columns)]
    transformers: list[Any] = []
    if numeric:
        transformers.append(
            (
                "numbers",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                    StandardScaler(),
                ),
                numeric,
            )
        )
    if choice_columns:
        transformers.append(
            (
                "choices",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value=-1.0),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                choice_columns,
            )
        )
    return Pipeline(
        [
            ("encode", ColumnTransformer(transformers)),
            ("model", LogisticRegression(C=1.0, max_iter=2000)),
        ]
    )


def baseline_metrics(
    matrix: np.ndarray,
    labels: np.ndarray,
    split: Split,
    *,
    target: str,
    thresholds: dict[str, float],
    class_weights: list[float] | None,
    choice_columns: list[int],
) -> dict[str, Any]:
    labels = np.asarray(labels, dtype=np.int32)
    train = np.concatenate([split.train, split.valid])  # no early stopping to feed
    pipeline = _pipeline(matrix.shape[1], choice_columns)
    weights = None if not class_weights else np.asarray(class_weights)[labels[train]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(matrix[train], labels[train], model__sample_weight=weights)
    probs = pipeline.predict_proba(matrix[split.test])
    if target == Target.BINARY:
        probs = probs[:, 1]
    probs = adjust_for_class_weights(probs, class_weights)
    metrics = evaluate(labels[split.test], probs, thresholds, target=target)
    metrics["model"] = "logistic regression (one-hot choices, standardised numbers)"
    return metrics
