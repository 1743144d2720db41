"""Fitting XGBoost on a feature matrix and measuring it on held-out rows.

Defaults are chosen for the small, tabular, imbalanced data lenders have (hundreds to tens
of thousands of rows): shallow trees (depth 3, both more accurate on small data and ~10x
cheaper to explain than depth 6), a modest learning rate, row and column subsampling, L2
regularisation, min_child_weight against fitting single rows, and early stopping on a
validation split, so the number of trees adapts to the data instead of overfitting it.
bench/bench_lifecycle_training.py shows them against XGBoost's library defaults and a
logistic regression across data sizes; every training reports the regression beside the model.

Where the rarest class is scarce, rows are weighted by the inverse of their class's share
(balanced), and the probabilities are corrected back by the same weights (a prior shift:
p_k ∝ q_k / w_k), so tiers and calibration still mean what they say.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.model_selection import train_test_split

from modelops.evaluation import evaluate
from scoring.artifacts import PORTABLE_BASE_SCORE
from scoring.models import Target
from scoring.probabilities import adjust_for_class_weights

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
BINARY_PARAMS: dict[str, Any] = {
    **{k: v for k, v in DEFAULT_PARAMS.items() if k not in {"num_class"}},
    "objective": "binary:logistic",
    "eval_metric": "logloss",
}
MAX_ROUNDS = 600
EARLY_STOPPING_ROUNDS = 30
# high if P(high) ≥ high; otherwise medium if P(medium) + P(high) ≥ elevated; otherwise low.
DEFAULT_THRESHOLDS = {"high": 0.45, "elevated": 0.5}
# Keys of ModelVersion.params that describe training, not XGBoost parameters.
TRAINING_KEYS = ("class_weights", "split", "searched")


@dataclass
class Split:
    """Row indices: fit on train, stop early on valid, report on test."""

    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    method: str


@dataclass
class TrainedModel:
    booster: xgb.Booster
    params: dict[str, Any]
    metrics: dict[str, Any]
    fingerprint: str
    rows: int
    thresholds: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    target: str = Target.TIERS
    # The evaluation rows, so a caller can measure another model (the active one) on them.
    eval_matrix: np.ndarray | None = None
    eval_labels: np.ndarray | None = None


def data_fingerprint(matrix: np.ndarray, labels: np.ndarray, extra: bytes = b"") -> str:
    """A hash of the exact training rows: the same data gives the same fingerprint."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(matrix, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.int32).tobytes())
    digest.update(extra)
    return digest.hexdigest()


def split_stratified(labels: np.ndarray, seed: int) -> Split:
    """70 / 15 / 15, stratified: for data without a time (synthetic applicants)."""
    idx = np.arange(len(labels))
    train, rest = train_test_split(idx, test_size=0.3, random_state=seed, stratify=labels)
    valid, test = train_test_split(rest, test_size=0.5, random_state=seed, stratify=labels[rest])
    return Split(train, valid, test, "stratified")


def split_by_time(times: np.ndarray) -> Split:
    """Oldest 70% to train, the next 15% to stop early, the newest 15% to report on:
    the model is judged on the future it will face, not on rows mixed in from its past."""
    order = np.argsort(np.asarray(times), kind="stable")
    n = len(order)
    first, second = round(n * 0.70), round(n * 0.85)
    return Split(order[:first], order[first:second], order[second:], "time")


def class_weights(labels: np.ndarray, n_classes: int, imbalance_share: float) -> np.ndarray | None:
    """Balanced weights (1 / (K * share)) when the rarest class is scarce, else None."""
    shares = np.bincount(labels, minlength=n_classes) / max(len(labels), 1)
    if shares.min() <= 0 or shares.min() >= imbalance_share:
        return None
    return 1.0 / (n_classes * shares)


class _Progress(xgb.callback.TrainingCallback):
    def __init__(self, report: Callable[[int, int], None], total: int):
        self.report, self.total = report, total

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.report(epoch + 1, self.total)
        return False


def _params_for(target: str, params: dict[str, Any] | None, seed: int, nthread: int) -> dict[str, Any]:
    base = BINARY_PARAMS if target == Target.BINARY else DEFAULT_PARAMS
    # base_score fixed, never fitted per class: XGBoost before 3.1 (SageMaker's 1.7-1 and 3.0-5
    # images) ignores a per-class intercept and would score the artifact differently
    # (scoring/artifacts.py: reproduction_problem).
    merged = {**base, **(params or {}), "seed": seed, "base_score": PORTABLE_BASE_SCORE}
    if nthread:
        merged["nthread"] = nthread
    return merged


def _boost(
    params: dict[str, Any],
    matrix: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None,
    train: np.ndarray,
    valid: np.ndarray,
    feature_names: list[str],
    callbacks: list[Any] | None = None,
) -> xgb.Booster:
    dtrain = xgb.DMatrix(
        matrix[train],
        label=labels[train],
        feature_names=feature_names,
        weight=None if weights is None else weights[train],
    )
    dvalid = xgb.DMatrix(
        matrix[valid],
        label=labels[valid],
        feature_names=feature_names,
        weight=None if weights is None else weights[valid],
    )
    booster = xgb.train(
        params,
        dtrain,
        num_boost_round=MAX_ROUNDS,
        evals=[(dvalid, "valid")],
        early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        callbacks=callbacks or [],
        verbose_eval=False,
    )
    # Keep only the trees up to the best iteration, so serving equals what was measured.
    return booster[: booster.best_iteration + 1]


def binary_thresholds(p_adverse: np.ndarray, shares: list[float]) -> dict[str, float]:
    """Cut-offs on P(adverse) that put the given shares of rows in low / medium / high."""
    low_share, medium_share = shares[0], shares[1]
    elevated = float(np.quantile(p_adverse, low_share))
    high = float(np.quantile(p_adverse, min(low_share + medium_share, 1.0)))
    return {"elevated": round(elevated, 6), "high": round(max(high, elevated), 6)}


def fit(
    matrix: np.ndarray,
    labels: np.ndarray,
    *,
    feature_names: list[str],
    seed: int = 7,
    params: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    nthread: int = 0,
    target: str = Target.TIERS,
    split: Split | None = None,
    imbalance_share: float = 0.0,
    binary_shares: list[float] | None = None,
) -> TrainedModel:
    """Train, stop early on the validation rows, and measure on the evaluation rows.

    Without a `split` the rows are split 70 / 15 / 15 at random, stratified by label.
    """
    labels = np.asarray(labels, dtype=np.int32)
    n_classes = 2 if target == Target.BINARY else 3
    split = split or split_stratified(labels, seed)
    full_params = _params_for(target, params, seed, nthread)
    weights_per_class = class_weights(labels[split.train], n_classes, imbalance_share)
    row_weights = None if weights_per_class is None else weights_per_class[labels]
    callbacks = [_Progress(progress, MAX_ROUNDS)] if progress else []
    booster = _boost(
        full_params, matrix, labels, row_weights, split.train, split.valid, feature_names, callbacks
    )
    if progress:
        progress(MAX_ROUNDS, MAX_ROUNDS)
    weights_list = None if weights_per_class is None else [round(float(w), 6) for w in weights_per_class]

    def predict(rows: np.ndarray) -> np.ndarray:
        return adjust_for_class_weights(np.asarray(booster.inplace_predict(rows)), weights_list)

    if target == Target.BINARY:
        thresholds = binary_thresholds(predict(matrix[split.valid]), binary_shares or [0.60, 0.28, 0.12])
    else:
        thresholds = dict(DEFAULT_THRESHOLDS)
    metrics = evaluate(labels[split.test], predict(matrix[split.test]), thresholds, target=target)
    metrics.update(
        {
            "trees_per_class": booster.num_boosted_rounds(),
            "train_rows": len(split.train),
            "validation_rows": len(split.valid),
            "evaluation_rows": len(split.test),
            "split": split.method,
            "class_shares": _shares(labels, n_classes),
        }
    )
    stored_params = {**full_params, "class_weights": weights_list, "split": split.method}
    return TrainedModel(
        booster=booster,
        params=stored_params,
        metrics=metrics,
        fingerprint=data_fingerprint(matrix, labels),
        rows=len(labels),
        thresholds=thresholds,
        target=target,
        eval_matrix=matrix[split.test],
        eval_labels=labels[split.test],
    )


def _shares(labels: np.ndarray, n_classes: int) -> list[float]:
    return [round(float(s), 4) for s in np.bincount(labels, minlength=n_classes) / max(len(labels), 1)]


# --- a small, time-boxed search --------------------------------------------------------------

SEARCH_GRID: list[dict[str, Any]] = [
    {"max_depth": depth, "min_child_weight": child, "eta": eta}
    for depth in (3, 2, 1, 4)
    for child in (5, 1, 10)
    for eta in (0.08, 0.04)
]


def search_params(
    matrix: np.ndarray,
    labels: np.ndarray,
    split: Split,
    *,
    target: str,
    seed: int,
    nthread: int,
    seconds: float,
    imbalance_share: float = 0.0,
    on_step: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Pick max_depth / min_child_weight / eta by expanding-window cross-validation over the
    training and validation rows (each fold trains on the past, validates on what follows).

    The defaults are tried first; the search stops at `seconds`, keeping the best so far.
    Returns {"params": best, "tried": n, "scores": [...]}. The evaluation rows are never seen.
    """
    from sklearn.metrics import log_loss

    labels = np.asarray(labels, dtype=np.int32)
    n_classes = 2 if target == Target.BINARY else 3
    pool = np.concatenate([split.train, split.valid])
    folds = [
        (pool[: int(len(pool) * k / 4)], pool[int(len(pool) * k / 4) : int(len(pool) * (k + 1) / 4)])
        for k in (2, 3)
    ]
    deadline = time.monotonic() + seconds
    scores: list[dict[str, Any]] = []
    for i, candidate in enumerate(SEARCH_GRID):
        if time.monotonic() > deadline and scores:
            break
        params = _params_for(target, candidate, seed, nthread)
        losses = []
        for fit_rows, check_rows in folds:
            weights = class_weights(labels[fit_rows], n_classes, imbalance_share)
            row_weights = None if weights is None else weights[labels]
            booster = _boost(
                params,
                matrix,
                labels,
                row_weights,
                fit_rows,
                check_rows,
                [f"f{j}" for j in range(matrix.shape[1])],
            )
            probs = adjust_for_class_weights(
                np.asarray(booster.inplace_predict(matrix[check_rows])),
                None if weights is None else list(weights),
            )
            losses.append(
                log_loss(labels[check_rows], np.clip(probs, 1e-7, 1 - 1e-7), labels=list(range(n_classes)))
            )
        scores.append({**candidate, "log_loss": round(float(np.mean(losses)), 5)})
        if on_step:
            on_step(i + 1, len(SEARCH_GRID))
    best = min(scores, key=lambda s: s["log_loss"])
    return {
        "params": {k: v for k, v in best.items() if k != "log_loss"},
        "tried": len(scores),
        "scores": scores,
    }
