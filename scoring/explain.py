"""Reasons: XGBoost's own per-feature contributions (exact TreeSHAP, `pred_contribs`).

For a three-tier model the contributions are in log-odds per class; we explain
log(P(high) / P(low)), i.e. contribution(high) - contribution(low), which is exact because
TreeSHAP is additive in the margin. A positive value pushes the applicant toward high risk.

They are computed on the model's risk booster (scoring.artifact_store.load_risk_booster):
the high class's trees and the low class's with their leaves negated, one output. Its
contributions are contribution(high) - contribution(low) exactly (TreeSHAP is a sum over
trees, linear in each tree's leaves), and the medium class's trees, a third of the work,
are never walked. Tested equal to the full computation in tests/scoring/test_difference_booster.py.

Exact contributions are read from per-tree tables built once per model and process
(scoring/treeshap.py: the same values as XGBoost's `pred_contribs`, several times cheaper);
XGBoost computes them where tables are not built (trees deeper than 3, dart) and for approximate
contributions.
"""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

import numpy as np
import xgboost as xgb

from applicants.schema import ApplicationSchema
from scoring.artifact_store import load_booster, load_risk_booster, load_shap_tables
from scoring.encoding import model_input
from scoring.features import SnapshotTexts
from scoring.models import ModelVersion


def risk_contributions(model: ModelVersion, rows: np.ndarray, *, approximate: bool = False) -> np.ndarray:
    """(n_rows, n_features) contributions to the risk margin; the bias column is dropped.
    A native categorical's contribution is that of the applicant's category as a whole, so
    its reason reads as the field's statement beside the chosen value."""
    sent = model_input(model, rows)
    tables = load_shap_tables(model.artifact_uri)
    if tables is not None and not approximate:
        return tables.contributions(sent)  # the same values, from per-tree tables (scoring/treeshap.py)
    # Multi-class: the risk margin's own booster (one output); binary: the model's own margin.
    booster = load_risk_booster(model.artifact_uri)
    if booster is None:
        booster = load_booster(model.artifact_uri)
    # One thread: a second one only spins on rows this small, taking a core from the web.
    matrix = xgb.DMatrix(sent, feature_names=list(model.feature_names), nthread=1)
    contribs = booster.predict(matrix, pred_contribs=True, approx_contribs=approximate)
    if contribs.ndim == 3:  # multi-class with no risk booster (dart): (rows, classes, features + bias)
        return contribs[:, -1, :-1] - contribs[:, 0, :-1]
    return contribs[:, :-1]  # contributions to the risk margin (binary: the adverse class's)


def top_reasons(
    schema: ApplicationSchema, contributions: np.ndarray, snapshot: dict[str, Any], *, limit: int
) -> list[dict[str, Any]]:
    """The features that moved this applicant's risk most, in plain words, largest first."""
    order = np.argsort(-np.abs(contributions))
    reasons = []
    for column in order[:limit]:
        value = float(contributions[column])
        if value == 0.0 or math.isnan(value):
            continue
        feature = schema.features[column]
        direction = "increases_risk" if value > 0 else "decreases_risk"
        reasons.append(
            {
                "feature": feature.name,
                "label": feature.label,
                "value": snapshot.get(feature.name),
                "contribution": round(value, 4),
                "direction": direction,
                "statement": getattr(feature.reason, direction),
            }
        )
    return reasons


_DIRECTIONS = ("decreases_risk", "increases_risk")


def top_reasons_json(
    schema: ApplicationSchema, contributions: np.ndarray, values: SnapshotTexts, *, limit: int
) -> list[str]:
    """json.dumps(top_reasons(...)) of many rows at once (contributions (rows, features), the
    rows' snapshot values as scoring.features.snapshot_texts gives them): the same text, with
    one sort for all rows and each reason's constant parts encoded once, not per row."""
    dumps = json.dumps
    heads = [f'{{"feature": {dumps(f.name)}, "label": {dumps(f.label)}, "value": ' for f in schema.features]
    tails = [
        [
            f', "direction": {dumps(direction)}, "statement": {dumps(getattr(f.reason, direction))}}}'
            for f in schema.features
        ]
        for direction in _DIRECTIONS
    ]
    # A row's argsort along axis 1 is the 1-D argsort top_reasons makes of it (same order, ties too).
    order = np.argsort(-np.abs(contributions), axis=1)[:, :limit]
    top = np.take_along_axis(contributions, order, axis=1)
    # Each reason's text put together column by column, over object arrays (NumPy's loops):
    # only the rounding of each contribution is Python's own, as top_reasons rounds it.
    shares = top.ravel().tolist()
    rounded = list(map(float.__repr__, map(round, shares, itertools.repeat(4))))
    by_row = np.stack([values.column(column) for column in range(len(schema.features))], axis=1)
    text = (
        np.asarray(heads, dtype=object)[order]
        + np.take_along_axis(by_row, order, axis=1)
        + ', "contribution": '
        + np.asarray(rounded, dtype=object).reshape(top.shape)
        + np.asarray(tails, dtype=object)[(top > 0).astype(np.intp), order]
    )
    kept = (top != 0.0) & ~np.isnan(top)
    if kept.all():
        return ["[" + ", ".join(reasons) + "]" for reasons in text.tolist()]
    return [
        "[" + ", ".join(reason for reason, keep in zip(reasons, keeps, strict=True) if keep) + "]"
        for reasons, keeps in zip(text.tolist(), kept.tolist(), strict=True)
    ]
