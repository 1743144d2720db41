"""Measuring a model on held-out rows: the figures a reviewer needs to trust or refuse it.

Tier models (low / medium / high) and binary-outcome models (adverse or not) get the same
headline figures where they make sense (ROC AUC of the riskiest class against the rest, log
loss, accuracy, the confusion matrix, calibration), plus what is specific to each: per-tier
precision and recall for tiers; the adverse rate in each assigned tier for a binary history.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    log_loss,
    precision_recall_fscore_support,
    roc_auc_score,
    roc_curve,
)

from scoring.models import TIERS, Target
from scoring.probabilities import tier_layout, tiers_from_probabilities

CALIBRATION_BINS = 10
ROC_POINTS = 41  # the curve on a fixed grid of false-positive rates: small, and comparable
SCORE_BINS = 20


def roc_points(truth: np.ndarray, score: np.ndarray) -> list[list[float]] | None:
    """The ROC curve as [false-positive rate, true-positive rate] pairs on a fixed grid, for
    the model page's chart (the curves of two models share their x values)."""
    if len(truth) == 0 or truth.min() == truth.max():
        return None
    fpr, tpr, _ = roc_curve(truth, score)
    grid = np.linspace(0.0, 1.0, ROC_POINTS)
    return [
        [round(float(f), 4), round(float(t), 4)] for f, t in zip(grid, np.interp(grid, fpr, tpr), strict=True)
    ]


def score_distribution(classes: np.ndarray, score: np.ndarray, names: list[str]) -> dict[str, Any]:
    """How the riskiest class's probability spreads for the rows of each true class: counts
    in equal-width bins (the model page draws them as shares of each class)."""
    edges = np.linspace(0.0, 1.0, SCORE_BINS + 1)
    which = np.clip(np.digitize(score, edges[1:-1]), 0, SCORE_BINS - 1)
    return {
        "edges": [round(float(e), 2) for e in edges],
        "counts": {
            name: np.bincount(which[classes == i], minlength=SCORE_BINS).astype(int).tolist()
            for i, name in enumerate(names)
        },
    }


def _normalised(probs: np.ndarray) -> np.ndarray:
    """Float32 boosters' rows sum to 1 only approximately; log loss wants them exact."""
    clipped = np.clip(probs, 1e-7, 1.0)
    return clipped / clipped.sum(axis=1, keepdims=True)


def _auc(truth: np.ndarray, score: np.ndarray) -> float | None:
    if len(truth) == 0 or truth.min() == truth.max():
        return None  # one class only: AUC undefined
    return float(roc_auc_score(truth, score))


def calibration(truth: np.ndarray, predicted: np.ndarray, *, bins: int = CALIBRATION_BINS) -> dict[str, Any]:
    """Reliability table (equal-width bins of the predicted probability) and the expected
    calibration error: the row-weighted gap between predicted and observed rates."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(predicted, edges[1:-1]), 0, bins - 1)
    table, gap = [], 0.0
    for b in range(bins):
        inside = which == b
        count = int(inside.sum())
        if not count:
            continue
        mean_predicted = float(predicted[inside].mean())
        observed = float(truth[inside].mean())
        gap += count * abs(mean_predicted - observed)
        table.append(
            {
                "from": round(float(edges[b]), 2),
                "to": round(float(edges[b + 1]), 2),
                "rows": count,
                "predicted": round(mean_predicted, 4),
                "observed": round(observed, 4),
            }
        )
    return {"bins": table, "expected_calibration_error": round(gap / max(len(truth), 1), 4)}


def evaluate(
    labels: np.ndarray, probs: np.ndarray, thresholds: dict[str, float], *, target: str = Target.TIERS
) -> dict[str, Any]:
    """Every figure of the report for one model on one set of rows.

    `probs` are the model's own probabilities (3 columns for tiers, P(adverse) for binary).
    """
    labels = np.asarray(labels)
    if target == Target.BINARY:
        return _evaluate_binary(labels, tier_layout(probs, target)[:, 2], thresholds)
    probs = tier_layout(probs, target)
    predicted = tiers_from_probabilities(probs, thresholds)
    precision, recall, _f1, support = precision_recall_fscore_support(
        labels, predicted, labels=[0, 1, 2], zero_division=0
    )
    return {
        "target": Target.TIERS.value,
        "rows": len(labels),
        "roc_auc_high_vs_rest": _auc((labels == 2).astype(int), probs[:, 2]),
        "roc_auc_per_tier": {
            tier: _auc((labels == i).astype(int), probs[:, i]) for i, tier in enumerate(TIERS)
        },
        "roc_curves": {
            tier: roc_points((labels == i).astype(int), probs[:, i]) for i, tier in enumerate(TIERS)
        },
        "score_distribution": score_distribution(labels, probs[:, 2], list(TIERS)),
        "log_loss": float(log_loss(labels, _normalised(probs), labels=[0, 1, 2])),
        "accuracy": float(accuracy_score(labels, predicted)),
        "per_tier": {
            tier: {
                "precision": round(float(precision[i]), 4),
                "recall": round(float(recall[i]), 4),
                "rows": int(support[i]),
            }
            for i, tier in enumerate(TIERS)
        },
        "confusion_matrix": confusion_matrix(labels, predicted, labels=[0, 1, 2]).tolist(),
        "calibration": {
            "high": calibration((labels == 2).astype(float), probs[:, 2]),
            "expected_calibration_error_per_tier": {
                tier: calibration((labels == i).astype(float), probs[:, i])["expected_calibration_error"]
                for i, tier in enumerate(TIERS)
            },
        },
    }


def _evaluate_binary(
    adverse: np.ndarray, p_adverse: np.ndarray, thresholds: dict[str, float]
) -> dict[str, Any]:
    layout = np.column_stack([1 - p_adverse, np.zeros_like(p_adverse), p_adverse])
    tiers = tiers_from_probabilities(layout, thresholds)
    per_tier = {}
    for i, tier in enumerate(TIERS):
        inside = tiers == i
        per_tier[tier] = {
            "rows": int(inside.sum()),
            "adverse_rate": round(float(adverse[inside].mean()), 4) if inside.any() else None,
        }
    flags = {}
    for name, flagged in (("medium_or_high", tiers >= 1), ("high", tiers == 2)):
        true_pos = float((flagged & (adverse == 1)).sum())
        flags[name] = {
            "precision": round(true_pos / flagged.sum(), 4) if flagged.any() else None,
            "recall": round(true_pos / (adverse == 1).sum(), 4) if (adverse == 1).any() else None,
        }
    auc = _auc(adverse.astype(int), p_adverse)
    return {
        "target": Target.BINARY.value,
        "rows": len(adverse),
        "adverse_rate": round(float(adverse.mean()), 4) if len(adverse) else None,
        "roc_auc_adverse": auc,
        # The same name as for tier models: the riskiest class against the rest.
        "roc_auc_high_vs_rest": auc,
        "roc_curves": {"adverse": roc_points(adverse.astype(int), p_adverse)},
        "score_distribution": score_distribution(adverse.astype(int), p_adverse, ["not adverse", "adverse"]),
        "log_loss": float(log_loss(adverse, np.clip(p_adverse, 1e-7, 1 - 1e-7), labels=[0, 1])),
        "brier": float(brier_score_loss(adverse, p_adverse)),
        "accuracy": float(accuracy_score(adverse, p_adverse >= 0.5)),
        "per_tier": per_tier,
        "flagged": flags,
        # Rows: not adverse, adverse; columns: assigned tier low, medium, high.
        "confusion_matrix": [[int(((adverse == a) & (tiers == t)).sum()) for t in range(3)] for a in (0, 1)],
        "calibration": {"adverse": calibration(adverse.astype(float), p_adverse)},
    }


def headline(metrics: dict[str, Any]) -> str:
    """One line for reports and logs."""
    auc = metrics.get("roc_auc_high_vs_rest")
    what = "adverse vs rest" if metrics.get("target") == Target.BINARY else "high vs rest"
    auc_text = f"{auc:.3f}" if auc is not None else "n/a"
    return (
        f"ROC AUC {what} {auc_text}, log loss {metrics['log_loss']:.3f}, accuracy {metrics['accuracy']:.3f}"
    )
