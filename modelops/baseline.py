"""The logistic-regression baseline every training reports beside the model.

A real competitor, not a straw man: choices one-hot encoded (their codes are positions, not
quantities), numbers median-imputed with a missing-value indicator and standardised, and the
regularisation C chosen by the very folds the XGBoost model was cross-validated on. Its
figures are out-of-fold over the same rows, with the same class weighting and probability
correction, so a reviewer sees whether boosting earned its place.

The scorer and the SageMaker artifact serve XGBoost only; when the regression wins, the report
says so (docs/model-lifecycle.md: what to do about it) rather than registering it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from modelops.evaluation import evaluate
from modelops.training import Folds
from scoring.models import Target
from scoring.probabilities import adjust_for_class_weights

C_GRID = (0.01, 0.1, 1.0, 10.0)


def _pipeline(n_features: int, choice_columns: list[int], c: float) -> Pipeline:
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
            ("model", LogisticRegression(C=c, max_iter=2000)),
        ]
    )


def _fitted(
    matrix: np.ndarray, labels: np.ndarray, choice_columns: list[int], c: float, weights: np.ndarray | None
) -> Pipeline:
    pipeline = _pipeline(matrix.shape[1], choice_columns, c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipeline.fit(matrix, labels, model__sample_weight=weights)
    return pipeline


def _out_of_fold(
    matrix: np.ndarray,
    labels: np.ndarray,
    folds: Folds,
    choice_columns: list[int],
    c: float,
    weights: np.ndarray | None,
) -> np.ndarray:
    n_classes = int(labels.max()) + 1
    probs = np.zeros((len(labels), n_classes))
    for train, held_out in folds:
        fold_weights = None if weights is None else weights[train]
        pipeline = _fitted(matrix[train], labels[train], choice_columns, c, fold_weights)
        probs[held_out] = pipeline.predict_proba(matrix[held_out])
    return probs


def choose_c(
    matrix: np.ndarray,
    labels: np.ndarray,
    folds: Folds,
    choice_columns: list[int],
    weights: np.ndarray | None = None,
) -> tuple[float, np.ndarray, list[dict[str, float]]]:
    """The C with the lowest out-of-fold log loss: (C, its out-of-fold probabilities, all tried)."""
    best: tuple[float, float, np.ndarray] | None = None
    tried = []
    for c in C_GRID:
        probs = _out_of_fold(matrix, labels, folds, choice_columns, c, weights)
        clipped = np.clip(probs, 1e-12, 1.0)
        clipped /= clipped.sum(axis=1, keepdims=True)  # rows that sum to one, as log_loss wants
        loss = float(log_loss(labels, clipped, labels=list(range(probs.shape[1]))))
        tried.append({"C": c, "log_loss": round(loss, 5)})
        if best is None or loss < best[0]:
            best = (loss, c, probs)
    assert best is not None
    return best[1], best[2], tried


def tuned_regression(
    matrix: np.ndarray, labels: np.ndarray, folds: Folds, choice_columns: list[int]
) -> Pipeline:
    """The baseline as a model of its own (bench/bench_model_quality.py): C by the folds, then
    refitted on every row."""
    c, _probs, _tried = choose_c(matrix, labels, folds, choice_columns)
    return _fitted(matrix, labels, choice_columns, c, None)


def baseline_metrics(
    matrix: np.ndarray,
    labels: np.ndarray,
    folds: Folds,
    *,
    target: str,
    thresholds: dict[str, float],
    class_weights: list[float] | None,
    choice_columns: list[int],
) -> dict[str, Any]:
    labels = np.asarray(labels, dtype=np.int32)
    weights = None if not class_weights else np.asarray(class_weights)[labels]
    chosen_c, probs, tried = choose_c(matrix, labels, folds, choice_columns, weights)
    if target == Target.BINARY:
        probs = probs[:, 1]
    probs = adjust_for_class_weights(probs, class_weights)
    metrics = evaluate(labels, probs, thresholds, target=target)
    metrics["model"] = (
        f"logistic regression (one-hot choices, standardised numbers, C={chosen_c} chosen by the same "
        f"{len(folds)} folds)"
    )
    metrics["searched_c"] = tried
    return metrics
