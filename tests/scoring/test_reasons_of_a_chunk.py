"""A rescoring chunk encodes thousands of decisions at once (scoring.explain.top_reasons_json,
scoring.features.feature_snapshots_json and feature_rows_bytes): the same text, byte for byte,
as json.dumps of the live pipeline's per-decision reasons and snapshot, and the same model rows;
and the exact contributions of a row are the same bits alone as within a batch of any size."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from applicants.schema import get_schema
from demo import synthetic
from scoring.artifact_store import load_shap_tables
from scoring.encoding import model_input
from scoring.explain import risk_contributions, top_reasons, top_reasons_json
from scoring.features import (
    build_matrix,
    feature_row_bytes,
    feature_rows_bytes,
    feature_snapshot,
    feature_snapshots_json,
    snapshot_texts,
)


def rows_with_gaps(n: int, seed: int) -> np.ndarray:
    schema = get_schema()
    rows = build_matrix(schema, synthetic.generate(schema, n, seed=seed)[0])
    rows[np.random.default_rng(seed).random(rows.shape) < 0.15] = np.nan
    return rows


@pytest.mark.parametrize("approximate", [False, True])
@pytest.mark.parametrize("limit", [1, 4, 20])
def test_a_chunks_reasons_and_snapshots_are_the_pipelines_text(
    active_model: Any, approximate: bool, limit: int
) -> None:
    schema = get_schema()
    rows = rows_with_gaps(400, seed=5)
    contributions = risk_contributions(active_model, rows, approximate=approximate)
    contributions[:20, :4] = 0.0  # no reason from a feature that did not move the risk
    contributions[20:25, 2] = np.nan
    values = snapshot_texts(schema, rows)
    reasons = top_reasons_json(schema, contributions, values, limit=limit)
    snapshots = feature_snapshots_json(schema, values)
    model_rows = feature_rows_bytes(schema, rows)
    for i, row in enumerate(rows):
        snapshot = feature_snapshot(schema, row)
        assert snapshots[i] == json.dumps(snapshot)
        assert reasons[i] == json.dumps(top_reasons(schema, contributions[i], snapshot, limit=limit))
        assert model_rows[i] == feature_row_bytes(schema, row)


def test_a_rows_exact_contributions_do_not_depend_on_its_batch(active_model: Any) -> None:
    """The live pipeline explains one application, a rescoring chunk thousands: the sums run
    in one order for both, so a decision's reasons do not depend on how it was scored."""
    tables = load_shap_tables(active_model.artifact_uri)
    assert tables is not None
    rows = model_input(active_model, rows_with_gaps(700, seed=6))
    batch = tables.contributions(rows)
    for size in (1, 2, 7, 8, 9, 333):
        assert np.array_equal(tables.contributions(rows[:size]), batch[:size])
    assert all(np.array_equal(tables.contributions(rows[i : i + 1]), batch[i : i + 1]) for i in range(50))
