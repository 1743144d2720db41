from __future__ import annotations

import io
import tarfile

import numpy as np

from applicants.schema import load_schema
from demo import synthetic
from modelops.training import ROWS_PER_TRAINING_THREAD, fit, training_threads
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


def test_small_data_trains_on_one_thread_and_large_data_on_what_was_asked():
    assert training_threads(2, 3000) == 1
    assert training_threads(0, 3000) == 1
    assert training_threads(2, 2 * ROWS_PER_TRAINING_THREAD) == 2
    assert training_threads(2, 10 * ROWS_PER_TRAINING_THREAD) == 2
    assert training_threads(0, 3 * ROWS_PER_TRAINING_THREAD) == 3
    answers, tiers = synthetic.generate(SCHEMA, 300, seed=5)
    trained = fit(build_matrix(SCHEMA, answers), tiers, feature_names=list(SCHEMA.feature_names), nthread=2)
    assert trained.booster.save_config().count('"nthread":"1"') >= 1


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


def test_every_row_trains_the_model_and_the_figures_are_out_of_fold():
    answers, tiers = synthetic.generate(SCHEMA, 1500, seed=8)
    matrix = build_matrix(SCHEMA, answers)
    trained = fit(matrix, tiers, feature_names=list(SCHEMA.feature_names), seed=8, nthread=1)
    assert trained.metrics["train_rows"] == trained.metrics["evaluation_rows"] == 1500
    assert trained.metrics["cv_folds"] == 5
    # The registered model is refitted on every row with the number of trees the folds chose.
    assert trained.booster.num_boosted_rounds() == trained.metrics["trees_per_class"]
    held_out = np.concatenate([test for _train, test in trained.folds])
    assert sorted(held_out.tolist()) == list(range(1500))
    # Out-of-fold figures are below what the final model scores on rows it trained on.
    from modelops.evaluation import evaluate

    on_seen_rows = evaluate(np.asarray(tiers), trained.booster.inplace_predict(matrix), trained.thresholds)
    assert trained.metrics["log_loss"] > on_seen_rows["log_loss"]


def test_binary_cut_offs_give_the_planned_shares_out_of_fold():
    rng = np.random.default_rng(4)
    answers, tiers = synthetic.generate(SCHEMA, 3000, seed=4)
    matrix = build_matrix(SCHEMA, answers)
    # An adverse outcome for about 15 % of rows, more likely the higher the tier.
    adverse = (rng.random(len(tiers)) < np.asarray([0.05, 0.25, 0.6])[np.asarray(tiers)]).astype(int)
    planned = [0.60, 0.28, 0.12]
    trained = fit(
        matrix,
        adverse,
        feature_names=list(SCHEMA.feature_names),
        seed=4,
        nthread=1,
        target="binary",
        binary_shares=planned,
    )
    shares = trained.metrics["tier_shares"]
    assert shares["planned"] == planned
    assert np.allclose(shares["out_of_fold"], planned, atol=0.02), shares


def test_an_out_of_time_check_is_reported_when_rows_have_dates():
    answers, tiers = synthetic.generate(SCHEMA, 1200, seed=6)
    matrix = build_matrix(SCHEMA, answers)
    times = np.arange(1200, dtype=np.float64)
    trained = fit(matrix, tiers, feature_names=list(SCHEMA.feature_names), seed=6, nthread=1, times=times)
    check = trained.metrics["out_of_time"]
    assert (check["train_rows"], check["evaluation_rows"]) == (1020, 180)
    assert check["roc_auc_high_vs_rest"] > 0.8
    # The active model is compared on the newest rows, with this model's out-of-time figures.
    assert trained.eval_labels is not None and len(trained.eval_labels) == 180
