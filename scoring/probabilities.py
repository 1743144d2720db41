"""From a booster's raw output to the probabilities and tiers decisions store.

Shared by serving and by training and evaluation (modelops), so the numbers a model was
measured with are the numbers it decides with. NumPy only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scoring.models import Target


def adjust_for_class_weights(probs: np.ndarray, weights: list[float] | None) -> np.ndarray:
    """Undo the prior shift that weighting classes by w_k puts into the probabilities."""
    probs = np.asarray(probs, dtype=np.float64)
    if not weights:
        return probs
    w = np.asarray(weights, dtype=np.float64)
    if len(w) == 2:  # binary: the booster gives P(adverse) only
        p = probs.reshape(len(probs), -1)[:, -1]
        odds = (p / w[1]) / np.maximum((1 - p) / w[0], 1e-300)
        return (odds / (1 + odds)).reshape(probs.shape)
    scaled = probs.reshape(len(probs), -1) / w
    return scaled / scaled.sum(axis=1, keepdims=True)


def tiers_from_probabilities(probs: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    """Tier index per row (0 low, 1 medium, 2 high) from probabilities in tier layout.

    high if P(high) >= thresholds.high; otherwise medium if P(medium) + P(high) >=
    thresholds.elevated. A binary model's P(adverse) sits in the high column (see
    tier_layout), so the same rule cuts it into tiers.
    """
    probs = np.atleast_2d(probs)
    high = probs[:, 2] >= thresholds["high"]
    elevated = probs[:, 1] + probs[:, 2] >= thresholds["elevated"]
    return np.where(high, 2, np.where(elevated, 1, 0))


def tier_layout(probs: np.ndarray, target: str) -> np.ndarray:
    """Probabilities as (low, medium, high) columns. A binary model's P(adverse) is the
    high column and 1 - P(adverse) the low one; medium is 0 (its tier comes from cut-offs)."""
    probs = np.asarray(probs, dtype=np.float64)
    if target == Target.BINARY:
        adverse = probs.reshape(len(probs), -1)[:, -1]
        return np.column_stack([1.0 - adverse, np.zeros_like(adverse), adverse])
    return probs.reshape(len(probs), -1)


def finish_probabilities(model: Any, raw: np.ndarray, n_rows: int) -> np.ndarray:
    """The booster's output as (rows, classes), with the class-weighting prior shift undone."""
    params = getattr(model, "params", None) or {}
    probs = np.asarray(raw, dtype=np.float64).reshape(n_rows, -1)
    return adjust_for_class_weights(probs, params.get("class_weights"))


def tier_probabilities(model: Any, probs: np.ndarray) -> np.ndarray:
    return tier_layout(probs, getattr(model, "target", Target.TIERS))
