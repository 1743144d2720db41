"""Fitting XGBoost on a feature matrix and measuring it on held-out rows.

Defaults are chosen for the small, tabular data lenders have: shallow trees (depth 3, both
more accurate on small data and ~10x cheaper to explain than depth 6), a modest learning
rate, row and column subsampling, L2 regularisation, and early stopping on a validation
split, so the number of trees adapts to the data instead of overfitting it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from scoring.models import TIERS

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "multi:softprob",
    "num_class": 3,
    "max_depth": 3,
    "eta": 0.08,
    "min_child_weight": 5,
    "subsample": 0.85,
    "colsample_bytree": 0.85,
    "lambda": 2.0,
    "tree_method": "hist",
    "eval_metric": "mlogloss",
}
MAX_ROUNDS = 600
EARLY_STOPPING_ROUNDS = 30
# high if P(high) ≥ high; otherwise medium if P(medium) + P(high) ≥ elevated; otherwise low.
DEFAULT_THRESHOLDS = {"high": 0.45, "elevated": 0.5}


@dataclass
class TrainedModel:
    booster: xgb.Booster
    params: dict[str, Any]
    metrics: dict[str, Any]
    fingerprint: str
    rows: int
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))


def data_fingerprint(matrix: np.ndarray, labels: np.ndarray) -> str:
    """A hash of the exact training rows: the same data gives the same fingerprint."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(matrix, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.int32).tobytes())
    return digest.hexdigest()


class _Progress(xgb.callback.TrainingCallback):
    def __init__(self, report: Callable[[int, int], None], total: int):
        self.report, self.total = report, total

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.report(epoch + 1, self.total)
        return False


def fit(
    matrix: np.ndarray,
    labels: np.ndarray,
    *,
    feature_names: list[str],
    seed: int = 7,
    params: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    nthread: int = 0,
) -> TrainedModel:
    """Train on 70%, stop early on 15%, report on the last 15% (stratified by tier)."""
    params = {**DEFAULT_PARAMS, **(params or {}), "seed": seed}
    if nthread:
        params["nthread"] = nthread
    idx = np.arange(len(labels))
    train_idx, rest_idx = train_test_split(idx, test_size=0.3, random_state=seed, stratify=labels)
    valid_idx, test_idx = train_test_split(
        rest_idx, test_size=0.5, random_state=seed, stratify=labels[rest_idx]
    )
    dtrain = xgb.DMatrix(matrix[train_idx], label=labels[train_idx], feature_names=feature_names)
    dvalid = xgb.DMatrix(matrix[valid_idx], label=labels[valid_idx], feature_names=feature_names)
    callbacks = [_Progress(progress, MAX_ROUNDS)] if progress else []
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=MAX_ROUNDS,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        callbacks=callbacks,
        verbose_eval=False,
    )
    # Keep only the trees up to the best iteration, so serving equals what was measured.
    booster = booster[: booster.best_iteration + 1]
    if progress:
        progress(MAX_ROUNDS, MAX_ROUNDS)
    test_probs = booster.inplace_predict(matrix[test_idx])
    metrics = evaluate(labels[test_idx], np.asarray(test_probs), DEFAULT_THRESHOLDS)
    metrics.update(
        {"trees_per_class": booster.num_boosted_rounds(), "train_rows": len(train_idx),
         "validation_rows": len(valid_idx), "evaluation_rows": len(test_idx)}
    )
    return TrainedModel(
        booster=booster,
        params=params,
        metrics=metrics,
        fingerprint=data_fingerprint(matrix, labels),
        rows=len(labels),
    )


def tiers_from_probabilities(probs: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    """Tier index per row from the model version's thresholds (0 low, 1 medium, 2 high)."""
    probs = np.atleast_2d(probs)
    high = probs[:, 2] >= thresholds["high"]
    elevated = probs[:, 1] + probs[:, 2] >= thresholds["elevated"]
    return np.where(high, 2, np.where(elevated, 1, 0))


def evaluate(labels: np.ndarray, probs: np.ndarray, thresholds: dict[str, float]) -> dict[str, Any]:
    predicted = tiers_from_probabilities(probs, thresholds)
    is_high = (labels == 2).astype(int)
    return {
        "roc_auc_high_vs_rest": _auc(is_high, probs[:, 2]),
        "roc_auc_per_tier": {tier: _auc((labels == i).astype(int), probs[:, i])
                             for i, tier in enumerate(TIERS)},
        "log_loss": float(log_loss(labels, probs, labels=[0, 1, 2])),
        "accuracy": float(accuracy_score(labels, predicted)),
        "confusion_matrix": confusion_matrix(labels, predicted, labels=[0, 1, 2]).tolist(),
    }


def _auc(truth: np.ndarray, score: np.ndarray) -> float | None:
    if truth.min() == truth.max():
        return None  # one class only: AUC undefined
    return float(roc_auc_score(truth, score))
