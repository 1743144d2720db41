from __future__ import annotations

import io
import tarfile

import numpy as np

from applicants.schema import load_schema
from demo import synthetic
from modelops.training import fit
from scoring.artifacts import pack_model, unpack_model
from scoring.features import build_matrix
from tests.conftest import DEFAULT_SCHEMA

SCHEMA = load_schema(DEFAULT_SCHEMA)


def test_synthetic_applicants_are_valid_and_tiers_have_the_documented_shares():
    from applicants.validation import validate_answers

    answers, tiers = synthetic.generate(SCHEMA, 2000, seed=3)
    for row in answers:
        validate_answers(SCHEMA, row)
    shares = np.bincount(tiers, minlength=3) / len(tiers)
    assert np.allclose(shares, synthetic.TIER_SHARES, atol=0.02)


def test_same_data_and_seed_give_identical_predictions():
    answers, tiers = synthetic.generate(SCHEMA, 1500, seed=5)
    matrix = build_matrix(SCHEMA, answers)
    first = fit(matrix, tiers, feature_names=list(SCHEMA.feature_names), seed=5)
    second = fit(matrix, tiers, feature_names=list(SCHEMA.feature_names), seed=5)
    assert first.fingerprint == second.fingerprint
    assert np.array_equal(first.booster.inplace_predict(matrix), second.booster.inplace_predict(matrix))
    assert pack_model(first.booster) == pack_model(second.booster)


def test_the_model_learns_something_real(trained_default):
    assert trained_default.metrics["roc_auc_high_vs_rest"] > 0.85


def test_the_artifact_is_what_sagemaker_xgboost_loads(trained_default):
    archive = pack_model(trained_default.booster)
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        assert tar.getnames() == ["xgboost-model"]
    answers, _ = synthetic.generate(SCHEMA, 50, seed=9)
    matrix = build_matrix(SCHEMA, answers)
    assert np.array_equal(
        unpack_model(archive).inplace_predict(matrix), trained_default.booster.inplace_predict(matrix)
    )
