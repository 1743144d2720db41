"""Population stability index in a few lines of NumPy (why not Evidently: docs/monitoring.md).

A baseline is bins fixed at training: quantile edges for numbers, the schema's choices for
choices, and one more bin for missing values. Current values are counted into the same bins
and PSI = sum (a - e) * ln(a / e) over the bins' shares, with empty bins floored at EPSILON.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

EPSILON = 1e-4


def numeric_edges(values: np.ndarray, bins: int) -> list[float]:
    """Inner edges at the quantiles of the non-missing values (ties merged)."""
    present = values[~np.isnan(values)]
    if not len(present):
        return []
    edges = np.unique(np.quantile(present, np.linspace(0, 1, bins + 1)[1:-1]))
    return [float(e) for e in edges]


def numeric_counts(values: np.ndarray, edges: Sequence[float]) -> list[int]:
    """Counts per bin (len(edges) + 1 bins, right-closed), then the count of missing values."""
    missing = np.isnan(values)
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), values[~missing], side="left")
    counts = np.bincount(index, minlength=len(edges) + 1)
    return [int(c) for c in counts] + [int(missing.sum())]


def choice_counts(values: Sequence[Any], categories: Sequence[str]) -> list[int]:
    """Counts per category; unknown and missing values in the last bin."""
    position = {str(c): i for i, c in enumerate(categories)}
    counts = [0] * (len(categories) + 1)
    for value in values:
        counts[position.get(str(value), len(categories)) if value is not None else -1] += 1
    return counts


def shares(counts: Sequence[int]) -> list[float]:
    total = sum(counts)
    return [c / total if total else 0.0 for c in counts]


def psi(expected: Sequence[float], actual_counts: Sequence[int]) -> float:
    e = np.maximum(np.asarray(expected, dtype=np.float64), EPSILON)
    a = np.maximum(np.asarray(shares(actual_counts), dtype=np.float64), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))
