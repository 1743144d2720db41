"""Baselines rebuilt from a version's training rows, and the beat jobs on a real worker."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from applicants.schema import get_schema
from demo import synthetic
from modelops.models import HistoricalApplication, HistoryImport
from monitoring.models import ALL_CHANNELS, SCORE, DriftDaily, ModelBaseline, OperationsSnapshot, VolumeDaily
from monitoring.services.baselines import baseline_for
from monitoring.services.rollups import rollup_drift_and_volume
from scoring.features import build_matrix, feature_snapshot
from scoring.models import TIERS

DAY = dt.date(2026, 3, 4)


def _history(n: int, seed: int) -> list[dict[str, Any]]:
    """Imported history rows, dated before any model: the rows a baseline is rebuilt from."""
    answers, tiers = synthetic.generate(get_schema(), n, seed=seed)
    batch = HistoryImport.objects.create(
        file_name="h.csv", schema_name=get_schema().name, label_column="tier", label_kind="tiers"
    )
    start = timezone.now() - dt.timedelta(days=400)
    HistoricalApplication.objects.bulk_create(
        [
            HistoricalApplication(
                schema_name=get_schema().name,
                row_key=f"r{seed}-{i}",
                history_import=batch,
                answers=a,
                label_kind="tiers",
                tier=TIERS[int(t)],
                occurred_at=start + dt.timedelta(hours=i),
            )
            for i, (a, t) in enumerate(zip(answers, tiers, strict=True))
        ]
    )
    return answers


def _snapshots(answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    schema = get_schema()
    return [feature_snapshot(schema, row) for row in build_matrix(schema, answers)]


@pytest.mark.django_db
def test_a_baseline_rebuilt_from_training_rows_sees_a_halved_income(active_model, make_decisions) -> None:
    _history(3000, seed=21)
    baseline = baseline_for(active_model, bins=10)
    assert baseline is not None and baseline.rows == 2100  # the oldest 70%: the training part
    income = baseline.bins["annual_income"]
    assert len(income["edges"]) == 9 and sum(income["shares"]) == pytest.approx(1.0)
    assert baseline.bins[SCORE]["kind"] == "numeric" and len(baseline.bins[SCORE]["edges"]) >= 5

    same, _ = synthetic.generate(get_schema(), 600, seed=99)
    poorer = [{**a, "annual_income": a["annual_income"] * 0.5} for a in same[:300]]
    make_decisions(
        active_model,
        [{"day": DAY, "channel": "api", "snapshot": s} for s in _snapshots(same[300:])]
        + [{"day": DAY, "channel": "webform", "snapshot": s} for s in _snapshots(poorer)],
    )
    rollup_drift_and_volume(DAY)
    psi = {(r.channel, r.feature): r.psi for r in DriftDaily.objects.filter(day=DAY)}
    assert psi[("api", "annual_income")] < 0.1  # the same population: stable
    assert psi[("webform", "annual_income")] > 0.25  # half the income: act
    assert psi[("webform", "debt_to_income")] > 0.25  # and every ratio over income with it
    assert psi[("webform", "credit_history_years")] < 0.1
    assert psi[(ALL_CHANNELS, "annual_income")] > psi[("api", "annual_income")]


@pytest.mark.django_db
def test_the_backfill_command_computes_each_versions_baseline_once(active_model, capsys) -> None:
    _history(200, seed=22)
    call_command("monitoring_baselines")
    first = ModelBaseline.objects.get(model_version=active_model)
    call_command("monitoring_baselines")
    assert ModelBaseline.objects.get(model_version=active_model).computed_at == first.computed_at
    call_command("monitoring_baselines", "--recompute")
    assert ModelBaseline.objects.get(model_version=active_model).computed_at > first.computed_at
    assert "v1" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_the_beat_jobs_run_on_a_real_worker(
    celery_worker_process, active_model, make_decisions, wait_for
) -> None:
    from monitoring.tasks import rollup_daily, snapshot_operations

    today = timezone.localdate()
    make_decisions(
        active_model,
        [{"day": today, "channel": "api", "tier": "high", "latency_ms": 500}] * 3
        + [{"day": today, "channel": "webform", "latency_ms": 1500}] * 2,
    )
    rollup_daily.delay()
    snapshot_operations.delay()
    wait_for(lambda: VolumeDaily.objects.filter(day=today).count() == 2, 60, "the roll-up job")
    wait_for(lambda: OperationsSnapshot.objects.exists(), 30, "the operations snapshot")
    api = VolumeDaily.objects.get(day=today, channel="api")
    assert (api.decisions, api.high, api.latency_p50_ms) == (3, 3, 500)
    latency = VolumeDaily.objects.get(day=today, channel="webform").latency_p95_ms
    assert latency is not None and np.isclose(latency, 1500)
