"""Exact contributions from per-leaf tables (scoring.treeshap) equal XGBoost's own TreeSHAP
(`pred_contribs`, the oracle) on trained models: the platform's default categorical model,
deep trees, a feature split twice on one path, binary margins, missing values, unseen and
invalid categories. Where tables are not built, reasons still come from XGBoost."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from applicants.schema import get_schema
from demo import synthetic
from modelops.registry import model_version_register
from scoring.artifact_store import load_risk_booster, load_shap_tables
from scoring.encoding import model_input
from scoring.explain import risk_contributions
from scoring.features import build_matrix
from scoring.treeshap import forest_tables


def oracle(booster: xgb.Booster, rows: np.ndarray, types: list[str] | None = None) -> np.ndarray:
    matrix = xgb.DMatrix(rows, feature_types=types, enable_categorical=types is not None)
    return booster.predict(matrix, pred_contribs=True)[:, :-1]


def assert_equal_to_oracle(actual: np.ndarray, expected: np.ndarray) -> None:
    # XGBoost sums in float32; the tables in float64.
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=2e-5)


def rows_with_gaps(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6))
    x[:, 4] = rng.integers(0, 5, n)  # a categorical column
    x[rng.random(x.shape) < 0.15] = np.nan
    return x


def labels_of(x: np.ndarray, seed: int, classes: int = 2) -> np.ndarray:
    signal = np.nan_to_num(x[:, 0]) - np.nan_to_num(x[:, 1]) ** 2 + (np.nan_to_num(x[:, 4]) == 2)
    noisy = signal + np.random.default_rng(seed).normal(scale=0.7, size=len(x))
    return np.digitize(noisy, np.quantile(noisy, np.linspace(0, 1, classes + 1)[1:-1])).astype(np.int32)


TYPES = ["q", "q", "q", "q", "c", "q"]


@pytest.mark.parametrize(
    ("depth", "categorical", "rounds"),
    [(1, False, 40), (2, True, 60), (3, True, 120), (3, False, 200)],
)
def test_tables_equal_xgboost_treeshap(depth: int, categorical: bool, rounds: int) -> None:
    x = rows_with_gaps(1500, seed=depth)
    types = TYPES if categorical else None
    train = xgb.DMatrix(x, label=labels_of(x, depth), feature_types=types, enable_categorical=categorical)
    params = {"objective": "binary:logistic", "max_depth": depth, "eta": 0.2, "nthread": 1, "seed": depth}
    booster = xgb.train({**params, "max_cat_to_onehot": 1}, train, num_boost_round=rounds)
    scored = rows_with_gaps(400, seed=100 + depth)
    if categorical:
        scored[:15, 4] = 9  # a category never seen in training
        scored[15:20, 4] = -1  # an invalid one
    tables = forest_tables(booster)
    assert tables is not None
    assert_equal_to_oracle(tables.contributions(scored), oracle(booster, scored, types))
    # One row at a time (the live pipeline's smallest batch) gives the same.
    assert_equal_to_oracle(tables.contributions(scored[:1]), oracle(booster, scored[:1], types))


def test_a_feature_split_twice_on_one_path() -> None:
    """Two features only, trees of depth 3: most paths test a feature more than once, so a
    leaf's conditions on it are met together or not at all."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2000, 2))
    y = ((np.abs(x[:, 0]) < 0.7) ^ (x[:, 1] > 0.3)).astype(np.int32)
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 3, "nthread": 1}, xgb.DMatrix(x, label=y), 40
    )
    tables = forest_tables(booster)
    assert tables is not None and tables.slot_feature.shape[1] == 2  # two features, seven splits
    scored = rng.normal(size=(300, 2))
    assert_equal_to_oracle(tables.contributions(scored), oracle(booster, scored))


def test_the_default_models_reasons_come_from_tables_equal_to_xgboost(active_model: Any) -> None:
    schema = get_schema()
    rows = build_matrix(schema, synthetic.generate(schema, 300, seed=31)[0])
    rows[np.random.default_rng(31).random(rows.shape) < 0.2] = np.nan
    tables = load_shap_tables(active_model.artifact_uri)
    assert tables is not None  # the platform's models take the fast path
    risk = load_risk_booster(active_model.artifact_uri)
    assert risk is not None
    sent = model_input(active_model, rows)
    expected = risk.predict(
        xgb.DMatrix(sent, feature_names=list(active_model.feature_names)), pred_contribs=True
    )
    assert_equal_to_oracle(risk_contributions(active_model, rows), expected[:, :-1])


def test_the_same_model_registered_again_shares_its_tables(active_model: Any, trained_default: Any) -> None:
    """Built once per model content, not per artifact URL: every registration of one trained
    model (a re-registration, each test's fresh one) reuses them."""
    again = model_version_register(trained=trained_default, schema=get_schema(), training_source="tests")
    assert again.artifact_uri != active_model.artifact_uri
    assert load_shap_tables(again.artifact_uri) is load_shap_tables(active_model.artifact_uri)


def test_models_the_tables_do_not_cover_are_left_to_xgboost() -> None:
    x = rows_with_gaps(600, seed=8)
    y = labels_of(x, 8, classes=3)
    train = xgb.DMatrix(x, label=y)
    multi = xgb.train({"objective": "multi:softprob", "num_class": 3, "nthread": 1}, train, 5)
    dart = xgb.train(
        {"objective": "binary:logistic", "booster": "dart", "nthread": 1}, xgb.DMatrix(x, label=y > 0), 5
    )
    deep = xgb.train(
        {"objective": "binary:logistic", "max_depth": 6, "nthread": 1}, xgb.DMatrix(x, label=y > 0), 20
    )
    stumps = xgb.train(
        {"objective": "binary:logistic", "gamma": 1e9, "nthread": 1}, xgb.DMatrix(x, label=y > 0), 5
    )
    assert forest_tables(multi) is None  # three margins: the risk booster's tables are used instead
    assert forest_tables(dart) is None  # dart weighs its trees at prediction
    assert forest_tables(deep) is None  # up to 63 splits a tree: 2^63 ways through it
    assert forest_tables(stumps) is None  # no split at all: nothing but the bias
