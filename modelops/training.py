"""Fitting XGBoost on a feature matrix, measured only on rows the measured model never saw.

Defaults are chosen for the small, tabular, imbalanced data lenders have (hundreds to tens
of thousands of rows): shallow trees (depth 3, both more accurate on small data and ~10x
cheaper to explain than depth 6), a modest learning rate, row and column subsampling, L2
regularisation, min_child_weight against fitting single rows.

Every row is used. The number of trees is chosen by stratified k-fold cross-validation over
all rows (the mean held-out log loss stops improving), and the model that is registered is
refitted on every row with that number. The figures an approver sees are out-of-fold: each
row predicted by the fold model that did not train on it. Where rows have real dates, a second
fit on the oldest 85 % is measured on the newest 15 % (out-of-time) and reported beside them.
Binary tier cut-offs come from the out-of-fold predictions over all rows, so the planned
workload shares hold on new data. bench/bench_model_quality.py compares the result with a
tuned logistic regression and a plain XGBoost fit on public credit data.

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
from sklearn.model_selection import StratifiedKFold

from applicants.schema import ApplicationSchema
from modelops.evaluation import evaluate
from scoring.artifacts import PORTABLE_BASE_SCORE
from scoring.encoding import encode, encoding_for, feature_types
from scoring.models import Target
from scoring.probabilities import adjust_for_class_weights, tier_layout, tiers_from_probabilities

DEFAULT_PARAMS: dict[str, Any] = {
    "objective": "multi:softprob",
    "num_class": 3,
    "max_depth": 3,
    "eta": 0.08,
    "min_child_weight": 2,
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
CV_FOLDS = 5
# Keys of ModelVersion.params that describe training, not XGBoost parameters.
TRAINING_KEYS = ("class_weights", "split", "searched", "cv_folds", "encoding")

Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass
class Split:
    """Row indices by time: the oldest 70 % to train, the next 15 %, the newest 15 % to test."""

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
    # Rows a caller can measure another model (the active one) on, with this model's held-out
    # probabilities for them: the out-of-time slice where rows have dates, else every row
    # (out-of-fold).
    eval_matrix: np.ndarray | None = None
    eval_labels: np.ndarray | None = None
    eval_probs: np.ndarray | None = None
    # The folds the figures came from, so the baseline is measured on the very same ones.
    folds: Folds = field(default_factory=list)


def data_fingerprint(matrix: np.ndarray, labels: np.ndarray, extra: bytes = b"") -> str:
    """A hash of the exact training rows: the same data gives the same fingerprint."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(matrix, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.int32).tobytes())
    digest.update(extra)
    return digest.hexdigest()


def stratified_folds(labels: np.ndarray, seed: int, k: int = CV_FOLDS) -> Folds:
    """k stratified folds over every row (fewer when the rarest class has fewer than k rows)."""
    present = np.bincount(labels)
    rarest = int(present[present > 0].min()) if present.any() else 0
    splits = max(2, min(k, rarest))
    folder = StratifiedKFold(n_splits=splits, shuffle=True, random_state=seed)
    return [(train, test) for train, test in folder.split(np.zeros(len(labels)), labels)]


def split_by_time(times: np.ndarray) -> Split:
    """Oldest 70 %, next 15 %, newest 15 %: the out-of-time check fits on the first two and is
    judged on the future it will face, not on rows mixed in from its past."""
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
        self.report(min(epoch + 1, self.total), self.total)
        return False


class _KeepFoldModels(xgb.callback.TrainingCallback):
    """xgb.cv keeps its fold boosters to itself; this hands them back for out-of-fold rows."""

    def __init__(self) -> None:
        self.boosters: list[xgb.Booster] = []

    def after_training(self, model: Any) -> Any:
        self.boosters = [fold.bst for fold in model.cvfolds]
        return model


# Below this many rows per thread a second thread costs more than it saves: XGBoost's
# per-round synchronisation outweighs the histogram work. On two busy cores, 2,000 rows fitted
# in 1.5 s on one thread and 27 s on two; 20,000 in 8 s and 14 s.
ROWS_PER_TRAINING_THREAD = 50_000


def training_threads(requested: int, rows: int) -> int:
    """Threads for a fit on `rows` rows: as asked (0 = XGBoost's default, every core) for
    large data, fewer for small data, and one for the few thousand rows most fits have."""
    most = max(1, rows // ROWS_PER_TRAINING_THREAD)
    return min(requested, most) if requested else most


def _params_for(
    target: str, params: dict[str, Any] | None, seed: int, nthread: int, rows: int
) -> dict[str, Any]:
    base = BINARY_PARAMS if target == Target.BINARY else DEFAULT_PARAMS
    # base_score fixed, never fitted per class: XGBoost before 3.1 (SageMaker's 1.7-1 and 3.0-5
    # images) ignores a per-class intercept and would score the artifact differently
    # (scoring/artifacts.py: reproduction_problem).
    merged = {**base, **(params or {}), "seed": seed, "base_score": PORTABLE_BASE_SCORE}
    merged["nthread"] = training_threads(nthread, rows)
    return merged


def _dmatrix(
    matrix: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None,
    feature_names: list[str],
    types: list[str] | None = None,
) -> xgb.DMatrix:
    """Rows for XGBoost; `types` marks native categoricals ('c'), whose codes scoring/encoding.py
    made (the model's input, never a schema's list positions)."""
    return xgb.DMatrix(
        matrix,
        label=labels,
        weight=weights,
        feature_names=feature_names,
        feature_types=types,
        enable_categorical=types is not None,
    )


def _model_input(
    schema: ApplicationSchema | None, matrix: np.ndarray
) -> tuple[np.ndarray, list[str] | None, dict[str, Any] | None]:
    """The booster's rows, feature types and the encoding to store: native categoricals when
    the schema the matrix was built with is given (encoding v2), else the matrix as it is."""
    if schema is None:
        return matrix, None, None
    encoding = encoding_for(schema, matrix)
    return encode(schema, encoding, matrix), feature_types(schema, encoding), encoding


@dataclass
class CrossValidation:
    rounds: int
    log_loss: float
    # Each row's probabilities from the fold model that did not train on it (corrected for
    # class weights).
    out_of_fold: np.ndarray


def cross_validate(
    params: dict[str, Any],
    matrix: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray | None,
    folds: Folds,
    feature_names: list[str],
    class_weight_list: list[float] | None,
    progress: Callable[[int, int], None] | None = None,
    types: list[str] | None = None,
) -> CrossValidation:
    """Boost all folds together until the mean held-out log loss stops improving."""
    keep = _KeepFoldModels()
    callbacks: list[Any] = [keep] + ([_Progress(progress, MAX_ROUNDS)] if progress else [])
    history: dict[str, list[float]] = xgb.cv(  # type: ignore[assignment]  # a dict with as_pandas=False
        params,
        _dmatrix(matrix, labels, weights, feature_names, types),
        num_boost_round=MAX_ROUNDS,
        folds=folds,
        early_stopping_rounds=EARLY_STOPPING_ROUNDS,
        callbacks=callbacks,
        as_pandas=False,
        verbose_eval=False,
    )
    metric = next(key for key in history if key.startswith("test-") and key.endswith("-mean"))
    rounds = len(history[metric])
    out_of_fold: np.ndarray | None = None
    for booster, (_train, held_out) in zip(keep.boosters, folds, strict=True):
        probs = np.asarray(booster.inplace_predict(matrix[held_out], iteration_range=(0, rounds)))
        if out_of_fold is None:
            out_of_fold = np.zeros((len(labels), *probs.shape[1:]), dtype=np.float64)
        out_of_fold[held_out] = probs
    assert out_of_fold is not None
    return CrossValidation(
        rounds=rounds,
        log_loss=float(history[metric][-1]),
        out_of_fold=adjust_for_class_weights(out_of_fold, class_weight_list),
    )


def binary_thresholds(p_adverse: np.ndarray, shares: list[float]) -> dict[str, float]:
    """Cut-offs on P(adverse) that put the given shares of rows in low / medium / high."""
    low_share, medium_share = shares[0], shares[1]
    elevated = float(np.quantile(p_adverse, low_share))
    high = float(np.quantile(p_adverse, min(low_share + medium_share, 1.0)))
    return {"elevated": round(elevated, 6), "high": round(max(high, elevated), 6)}


def tier_shares(probs: np.ndarray, thresholds: dict[str, float], target: str) -> list[float]:
    tiers = tiers_from_probabilities(tier_layout(probs, target), thresholds)
    return [round(float(s), 4) for s in np.bincount(tiers, minlength=3) / max(len(tiers), 1)]


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
    times: np.ndarray | None = None,
    imbalance_share: float = 0.0,
    binary_shares: list[float] | None = None,
    folds: int = CV_FOLDS,
    schema: ApplicationSchema | None = None,
) -> TrainedModel:
    """Choose the number of trees by k-fold cross-validation, refit on every row, and report
    out-of-fold figures (plus an out-of-time check when `times` gives each row's date).

    `matrix` is the feature matrix built with `schema` (scoring.features.build_matrix); given
    the schema, its choice fields are native categoricals (scoring/encoding.py, stored on the
    version). Without it every column is a number, choices their positions (encoding v1)."""
    labels = np.asarray(labels, dtype=np.int32)
    positions = matrix
    matrix, types, encoding = _model_input(schema, positions)
    n_classes = 2 if target == Target.BINARY else 3
    full_params = _params_for(target, params, seed, nthread, len(labels))
    weights_per_class = class_weights(labels, n_classes, imbalance_share)
    row_weights = None if weights_per_class is None else weights_per_class[labels]
    weights_list = None if weights_per_class is None else [round(float(w), 6) for w in weights_per_class]
    row_folds = stratified_folds(labels, seed, folds)
    cv = cross_validate(
        full_params, matrix, labels, row_weights, row_folds, feature_names, weights_list, progress, types
    )
    booster = xgb.train(
        full_params, _dmatrix(matrix, labels, row_weights, feature_names, types), num_boost_round=cv.rounds
    )
    if progress:
        progress(MAX_ROUNDS, MAX_ROUNDS)

    planned = binary_shares or [0.60, 0.28, 0.12]
    if target == Target.BINARY:
        thresholds = binary_thresholds(tier_layout(cv.out_of_fold, target)[:, 2], planned)
    else:
        thresholds = dict(DEFAULT_THRESHOLDS)
    metrics = evaluate(labels, cv.out_of_fold, thresholds, target=target)
    metrics.update(
        {
            "evaluation": f"out-of-fold: every row predicted by the model of the {len(row_folds)} "
            "that did not train on it",
            "trees_per_class": cv.rounds,
            "cv_folds": len(row_folds),
            "cv_log_loss": round(cv.log_loss, 5),
            "train_rows": len(labels),
            "evaluation_rows": len(labels),
            "split": f"{len(row_folds)}-fold stratified" + (" + out-of-time" if times is not None else ""),
            "categorical": sorted((encoding or {}).get("categories", {})),
            "class_shares": _shares(labels, n_classes),
            "tier_shares": {
                "planned": planned if target == Target.BINARY else None,
                "out_of_fold": tier_shares(cv.out_of_fold, thresholds, target),
            },
        }
    )
    eval_rows = np.arange(len(labels))
    eval_probs = cv.out_of_fold
    if times is not None:
        eval_rows, eval_probs, metrics["out_of_time"] = _out_of_time(
            full_params,
            matrix,
            labels,
            row_weights,
            weights_list,
            times,
            cv.rounds,
            feature_names,
            thresholds,
            target,
            types,
        )
    stored_params = {
        **full_params,
        "class_weights": weights_list,
        "split": metrics["split"],
        "cv_folds": len(row_folds),
        **({"encoding": encoding} if encoding else {}),
    }
    return TrainedModel(
        booster=booster,
        params=stored_params,
        metrics=metrics,
        fingerprint=data_fingerprint(positions, labels),
        rows=len(labels),
        thresholds=thresholds,
        target=target,
        # Schema positions, like every feature matrix: each model encodes them its own way.
        eval_matrix=positions[eval_rows],
        eval_labels=labels[eval_rows],
        eval_probs=eval_probs,
        folds=row_folds,
    )


def _out_of_time(
    params: dict[str, Any],
    matrix: np.ndarray,
    labels: np.ndarray,
    row_weights: np.ndarray | None,
    weights_list: list[float] | None,
    times: np.ndarray,
    rounds: int,
    feature_names: list[str],
    thresholds: dict[str, float],
    target: str,
    types: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """The same settings fitted on the oldest 85 % and judged on the newest 15 %."""
    by_time = split_by_time(times)
    past = np.concatenate([by_time.train, by_time.valid])
    future = by_time.test
    weights = None if row_weights is None else row_weights[past]
    booster = xgb.train(
        params, _dmatrix(matrix[past], labels[past], weights, feature_names, types), num_boost_round=rounds
    )
    probs = adjust_for_class_weights(np.asarray(booster.inplace_predict(matrix[future])), weights_list)
    figures = evaluate(labels[future], probs, thresholds, target=target)
    figures.update({"train_rows": len(past), "evaluation_rows": len(future)})
    return future, probs, figures


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
    *,
    target: str,
    seed: int,
    nthread: int,
    seconds: float,
    imbalance_share: float = 0.0,
    on_step: Callable[[int, int], None] | None = None,
    on_candidate: Callable[[dict[str, Any]], None] | None = None,
    folds: int = CV_FOLDS,
    schema: ApplicationSchema | None = None,
) -> dict[str, Any]:
    """Pick max_depth / min_child_weight / eta by the same stratified k-fold cross-validation
    as training (each candidate with its own number of trees), within `seconds`.

    The defaults are tried first; the search stops at the deadline, keeping the best so far.
    Returns {"params": best, "tried": n, "scores": [...]}; `on_candidate` hears each score.
    """
    labels = np.asarray(labels, dtype=np.int32)
    matrix, types, _encoding = _model_input(schema, matrix)
    n_classes = 2 if target == Target.BINARY else 3
    weights = class_weights(labels, n_classes, imbalance_share)
    row_weights = None if weights is None else weights[labels]
    weights_list = None if weights is None else [float(w) for w in weights]
    row_folds = stratified_folds(labels, seed, folds)
    names = [f"f{j}" for j in range(matrix.shape[1])]
    deadline = time.monotonic() + seconds
    scores: list[dict[str, Any]] = []
    for i, candidate in enumerate(SEARCH_GRID):
        if time.monotonic() > deadline and scores:
            break
        params = _params_for(target, candidate, seed, nthread, len(labels))
        cv = cross_validate(params, matrix, labels, row_weights, row_folds, names, weights_list, types=types)
        score = {**candidate, "trees": cv.rounds, "log_loss": round(cv.log_loss, 5)}
        scores.append(score)
        if on_candidate:
            on_candidate(score)
        if on_step:
            on_step(i + 1, len(SEARCH_GRID))
    best = min(scores, key=lambda s: s["log_loss"])
    return {
        "params": {k: v for k, v in best.items() if k not in {"log_loss", "trees"}},
        "tried": len(scores),
        "scores": scores,
        "chosen": best,
    }
