"""Constructed data for governance tests: stored decisions with the tiers, channels, dates of
birth and feature rows a test chooses, and candidates whose tiers on them are known."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.utils import timezone

from applicants.models import Applicant, Application, Status
from applicants.schema import get_schema
from demo import synthetic
from modelops.registry import model_version_register
from modelops.services import compare_with_active
from modelops.training import TrainedModel
from monitoring.models import ModelBaseline
from monitoring.services.baselines import baseline_bins
from scoring.features import build_matrix, feature_snapshot
from scoring.models import ModelVersion
from scoring.probabilities import tier_probabilities, tiers_from_probabilities
from scoring.scorers import InProcessScorer

ALL_HIGH = {"high": 0.0, "elevated": 0.0}  # every probability is at least 0: every row is high
ALL_LOW = {"high": 2.0, "elevated": 2.0}  # no probability reaches 2: every row is low
YOUNG, OLD = "2001-06-01", "1950-06-01"  # age bands 25-34 and 65+ (MONITORING_AGE_BANDS)


@pytest.fixture(autouse=True)
def _replay_storage(settings: Any, tmp_path: Path) -> None:
    settings.GOVERNANCE_REPLAY_STORAGE_URL = f"file://{tmp_path / 'replays'}"
    settings.GOVERNANCE_FAIRNESS_MIN_GROUP = 5
    # Candidates here reuse the active model's booster, which was trained on every row of
    # their evaluation set: the active one scores those rows in-sample (ROC AUC 0.996 against
    # the candidate's out-of-fold 0.967), so the allowed drop is wider than production's.
    settings.GOVERNANCE_METRIC_MAX_DROP = 0.05


@pytest.fixture
def feature_rows() -> tuple[list[dict[str, Any]], np.ndarray]:
    """Synthetic applications' answers and their feature matrix (schema order)."""
    schema = get_schema()
    answers, _ = synthetic.generate(schema, 60, seed=23)
    return answers, build_matrix(schema, answers)


def register(
    trained: TrainedModel, *, thresholds: dict[str, float] | None = None, trained_by: Any = None
) -> ModelVersion:
    """A candidate from a trained model (other thresholds if given), with its metrics compared
    with the active model's on the same evaluation rows, as training does."""
    schema = get_schema()
    metrics = dict(trained.metrics)
    copy = dataclasses.replace(trained, metrics=metrics, thresholds=dict(thresholds or trained.thresholds))
    metrics["comparison_with_active"] = compare_with_active(copy, schema)
    return model_version_register(trained=copy, schema=schema, training_source="tests", trained_by=trained_by)


def store_baseline(model: ModelVersion, matrix: np.ndarray) -> ModelBaseline:
    """The drift baseline from the given rows (monitoring's bins), stored with the version."""
    probs = tier_probabilities(model, InProcessScorer().predict_proba(model, matrix))
    return ModelBaseline.objects.create(
        model_version=model,
        bins=baseline_bins(get_schema(), matrix, probs[:, 2], bins=5),
        rows=len(matrix),
        source="tests",
    )


def tiers_of(model: ModelVersion, matrix: np.ndarray) -> np.ndarray:
    probs = tier_probabilities(model, InProcessScorer().predict_proba(model, matrix))
    return tiers_from_probabilities(probs, model.thresholds)


@pytest.fixture
def make_decisions(db: Any) -> Callable[..., list[Any]]:
    """make_decisions(model, rows): rows of {row (feature vector), tier, channel, dob, days_ago,
    routed}; stored decisions as the pipeline leaves them (current, snapshot of the inputs)."""
    from scoring.models import Decision

    schema = get_schema()

    def make(model: ModelVersion, rows: list[dict[str, Any]]) -> list[Any]:
        applicants = Applicant.objects.bulk_create([Applicant(id=uuid.uuid4()) for _ in rows])
        apps = Application.objects.bulk_create(
            [
                Application(
                    id=uuid.uuid4(),
                    applicant=applicant,
                    schema_name=model.schema_name,
                    schema_hash=model.schema_hash,
                    answers={},
                    channel=row.get("channel", "api"),
                    pii={"date_of_birth": row["dob"]} if row.get("dob") else {},
                    status=Status.SCORED,
                )
                for applicant, row in zip(applicants, rows, strict=True)
            ]
        )
        decisions = Decision.objects.bulk_create(
            [
                Decision(
                    application=app,
                    model_version=model,
                    tier=row["tier"],
                    prob_low=0.3,
                    prob_medium=0.3,
                    prob_high=0.4,
                    feature_snapshot=feature_snapshot(schema, row["row"]),
                    routed_to_review=row.get("routed", row["tier"] != "low"),
                )
                for app, row in zip(apps, rows, strict=True)
            ]
        )
        for decision, row in zip(decisions, rows, strict=True):
            when = timezone.now() - dt.timedelta(days=row.get("days_ago", 1))
            Decision.objects.filter(pk=decision.pk).update(created_at=when)
        return decisions

    return make
