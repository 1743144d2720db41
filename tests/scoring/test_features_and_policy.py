from __future__ import annotations

import math

import numpy as np
import pytest

from applicants.schema import load_schema
from scoring.features import build_matrix, feature_snapshot, protected_values
from scoring.policy import review_route, tier_for
from tests.conftest import DEFAULT_SCHEMA

SCHEMA = load_schema(DEFAULT_SCHEMA)


def column(name: str) -> int:
    return SCHEMA.feature_names.index(name)


def test_features_follow_the_schema(answers):
    row = build_matrix(SCHEMA, [answers])[0]
    assert row.dtype == np.float32 and len(row) == len(SCHEMA.features)
    assert row[column("annual_income")] == 54000
    assert row[column("debt_to_income")] == pytest.approx(350 * 12 / 54000)
    assert row[column("payment_to_income")] == pytest.approx(12000 / 36 * 12 / 54000)
    assert row[column("term_months")] == 2  # the third choice
    assert row[column("loan_purpose")] == 2


def test_missing_and_unknown_answers_are_nan_not_errors(answers):
    del answers["credit_history_years"]
    answers["loan_purpose"] = "retired_choice"
    answers["annual_income"] = 0
    row = build_matrix(SCHEMA, [answers])[0]
    assert math.isnan(row[column("credit_history_years")])
    assert math.isnan(row[column("loan_purpose")])
    assert math.isnan(row[column("debt_to_income")])  # division by zero


def test_the_snapshot_is_readable(answers):
    snapshot = feature_snapshot(SCHEMA, build_matrix(SCHEMA, [answers])[0])
    assert snapshot["term_months"] == 36
    assert snapshot["employment_status"] == "employed_full_time"
    assert set(snapshot) == set(SCHEMA.feature_names)


def test_protected_values_are_available_for_monitoring_only(answers):
    import datetime as dt

    assert protected_values(SCHEMA, answers, today=dt.date(2026, 11, 23)) == {"age_years": 40}


@pytest.mark.parametrize(
    ("probs", "tier"),
    [
        ([0.9, 0.08, 0.02], "low"),
        ([0.5, 0.45, 0.05], "medium"),
        ([0.2, 0.35, 0.45], "high"),
        ([0.3, 0.3, 0.4], "medium"),
    ],
)
def test_tiers_come_from_the_model_thresholds(probs, tier):
    assert tier_for(probs, {"high": 0.45, "elevated": 0.5}) == tier


def test_review_sampling_is_deterministic_and_close_to_the_rate():
    policy = {"review_tiers": ["medium", "high"], "low_sample_rate": 0.1}
    draws = [review_route(f"app-{i}", "low", policy)[0] for i in range(5000)]
    assert draws == [review_route(f"app-{i}", "low", policy)[0] for i in range(5000)]
    assert 0.08 < sum(draws) / len(draws) < 0.12
    assert review_route("x", "high", policy) == (True, "high risk")
