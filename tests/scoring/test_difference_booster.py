"""Reasons computed on the risk booster (the high class's trees minus the low class's,
scoring.artifacts.class_difference_booster) equal the full three-class computation they
replace, contributions[high] - contributions[low], on trained models: native categoricals
and positions, shallow and deep trees, one intercept or one per class, rows with missing
values and with choices the model never saw; exact and approximate contributions alike."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from applicants.schema import get_schema
from demo import synthetic
from modelops.registry import model_version_register
from modelops.training import DEFAULT_PARAMS, TrainedModel, fit
from scoring.artifact_store import load_booster, load_risk_booster
from scoring.artifacts import class_difference_booster, intercepts
from scoring.encoding import CATEGORICAL, POSITIONS, encoding_of, model_input
from scoring.explain import risk_contributions
from scoring.features import build_matrix
from scoring.models import Target

ROWS = 600


def full_computation(model: Any, rows: np.ndarray, *, approximate: bool = False) -> np.ndarray:
    """What risk_contributions computed before the risk booster: every class's TreeSHAP,
    then high minus low, bias column dropped."""
    booster = load_booster(model.artifact_uri)
    matrix = xgb.DMatrix(model_input(model, rows), feature_names=list(model.feature_names))
    contribs = booster.predict(matrix, pred_contribs=True, approx_contribs=approximate)
    assert contribs.ndim == 3 and contribs.shape[1] == 3
    return contribs[:, -1, :-1] - contribs[:, 0, :-1]


def assert_same_reasons(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    """Applications unlike the training rows, a fifth of their answers missing, and some
    choices given a value no model was trained on (missing to a categorical model, an
    unseen number to a model on positions)."""
    schema = get_schema()
    matrix = build_matrix(schema, synthetic.generate(schema, ROWS, seed=77)[0])
    rng = np.random.default_rng(77)
    matrix[rng.random(matrix.shape) < 0.2] = np.nan
    for column, feature in enumerate(schema.features):
        if feature.kind == "choice":
            unseen = rng.random(len(matrix)) < 0.05
            matrix[unseen, column] = len(feature.choices) + 2
    return matrix


@pytest.fixture(scope="module")
def trained_deep() -> TrainedModel:
    """Native categoricals in depth-6 trees: many paths, categorical splits below others."""
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 800, seed=5)
    return fit(
        build_matrix(schema, answers),
        tiers,
        feature_names=list(schema.feature_names),
        schema=schema,
        seed=5,
        params={"max_depth": 6, "eta": 0.3},
        nthread=2,
        folds=3,
    )


@pytest.fixture(scope="module")
def trained_with_intercepts(trained_other: TrainedModel) -> TrainedModel:
    """A three-tier model with one intercept per class (as before base_score was fixed)."""
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 1500, seed=13)
    matrix = xgb.DMatrix(build_matrix(schema, answers), label=tiers, feature_names=list(schema.feature_names))
    booster = xgb.train({**DEFAULT_PARAMS, "seed": 13, "nthread": 2}, matrix, num_boost_round=60)
    assert len(set(intercepts(booster))) > 1
    assert encoding_of(trained_other.params)["version"] == POSITIONS
    return dataclasses.replace(trained_other, booster=booster)


@pytest.fixture
def register(db: Any) -> Any:
    def registered(trained: TrainedModel) -> Any:
        return model_version_register(trained=trained, schema=get_schema(), training_source="tests")

    return registered


def test_reasons_of_the_active_categorical_model_equal_the_full_computation(
    active_model: Any, rows: np.ndarray
) -> None:
    assert encoding_of(active_model.params)["version"] == CATEGORICAL
    schema = get_schema()
    sent = model_input(active_model, rows)
    categorical = [
        i for i, f in enumerate(schema.features) if f.name in active_model.params["encoding"]["categories"]
    ]
    assert categorical and np.isnan(sent[:, categorical]).any() and not np.isnan(sent[:, categorical]).all()

    contributions = risk_contributions(active_model, rows)
    assert contributions.shape == (ROWS, len(schema.features))
    assert_same_reasons(contributions, full_computation(active_model, rows))
    # The categorical columns carry reasons, not only zeros, and the risk booster kept the
    # model's categorical splits.
    assert np.abs(contributions[:, categorical]).max() > 0.01
    risk = load_risk_booster(active_model.artifact_uri)
    assert risk is not None
    trees = json.loads(risk.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    assert any(1 in tree["split_type"] for tree in trees)  # 1: a categorical split


@pytest.mark.parametrize("which", ["deep categorical", "positions, depth 1", "an intercept per class"])
def test_reasons_equal_the_full_computation_for_other_models(
    which: str,
    register: Any,
    rows: np.ndarray,
    trained_deep: TrainedModel,
    trained_other: TrainedModel,
    trained_with_intercepts: TrainedModel,
) -> None:
    trained = {
        "deep categorical": trained_deep,
        "positions, depth 1": trained_other,
        "an intercept per class": trained_with_intercepts,
    }[which]
    model = register(trained)
    expected = CATEGORICAL if which == "deep categorical" else POSITIONS
    assert encoding_of(model.params)["version"] == expected
    assert_same_reasons(risk_contributions(model, rows), full_computation(model, rows))


def test_approximate_reasons_equal_the_full_approximate_computation(
    active_model: Any, register: Any, trained_deep: TrainedModel, rows: np.ndarray
) -> None:
    for model in (active_model, register(trained_deep)):
        approximate = risk_contributions(model, rows, approximate=True)
        assert_same_reasons(approximate, full_computation(model, rows, approximate=True))
        # Approximate is a different method: it must not silently be the exact one.
        assert not np.allclose(approximate, risk_contributions(model, rows))


def test_the_risk_booster_predicts_the_log_odds_of_high_against_low(
    active_model: Any, rows: np.ndarray
) -> None:
    """Its margin is margin(high) - margin(low) of the model (whose intercepts are equal and
    cancel): log(P(high) / P(low)), what the reasons explain; its contributions add up to it."""
    risk = load_risk_booster(active_model.artifact_uri)
    assert risk is not None
    assert risk is load_risk_booster(active_model.artifact_uri)  # built once per artifact
    sent = model_input(active_model, rows)
    probabilities = load_booster(active_model.artifact_uri).inplace_predict(sent)
    log_odds = np.log(probabilities[:, 2] / probabilities[:, 0])
    matrix = xgb.DMatrix(sent, feature_names=list(active_model.feature_names))
    np.testing.assert_allclose(risk.predict(matrix, output_margin=True), log_odds, atol=1e-4)
    np.testing.assert_allclose(risk.predict(matrix, pred_contribs=True).sum(axis=1), log_odds, atol=1e-4)


def test_a_binary_model_explains_its_own_margin(register: Any, rows: np.ndarray) -> None:
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 1000, seed=17)
    trained = fit(
        build_matrix(schema, answers),
        (np.asarray(tiers) == 2).astype(np.int32),
        feature_names=list(schema.feature_names),
        seed=17,
        nthread=2,
        target=Target.BINARY,
        folds=3,
    )
    model = register(trained)
    assert load_risk_booster(model.artifact_uri) is None
    booster = load_booster(model.artifact_uri)
    matrix = xgb.DMatrix(model_input(model, rows), feature_names=list(model.feature_names))
    assert_same_reasons(risk_contributions(model, rows), booster.predict(matrix, pred_contribs=True)[:, :-1])


def test_no_difference_booster_for_a_model_whose_trees_it_cannot_split_by_class() -> None:
    """dart scales its trees at prediction, and a multi-output tree serves every class:
    reasons for those fall back to the full computation."""
    rng = np.random.default_rng(3)
    matrix = xgb.DMatrix(rng.normal(size=(300, 4)), label=rng.integers(0, 3, 300))
    base = {"objective": "multi:softprob", "num_class": 3, "max_depth": 2, "nthread": 1}
    dart = xgb.train({**base, "booster": "dart", "rate_drop": 0.1}, matrix, num_boost_round=5)
    multi = xgb.train({**base, "multi_strategy": "multi_output_tree"}, matrix, num_boost_round=5)
    assert class_difference_booster(dart, plus=-1, minus=0) is None
    assert class_difference_booster(multi, plus=-1, minus=0) is None
    plain = xgb.train(base, matrix, num_boost_round=5)
    assert class_difference_booster(plain, plus=-1, minus=0) is not None
