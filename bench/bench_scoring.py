"""In-process scoring cost per application, without the database.

What the pipeline (scoring.services.score_waiting_applications) does for each application
once its answers are loaded: build the feature row, predict with the in-process scorer,
explain with XGBoost's exact contributions, pick the tier, snapshot and reasons, routing.
Next to it, bare XGBoost on the same row, so the platform's share is visible (the ratio is
printed), and the same work for a full micro-batch, which is how the worker actually scores.

Reasons are split out: exact TreeSHAP on the model's risk booster (the high class's trees
minus the low class's, what scoring.explain uses) against the full three-class computation
it replaced (every class's trees, then high - low), on the same DMatrix, so the saving is
TreeSHAP's alone; the DMatrix each call builds is timed on its own.

Run from the repo root: .venv/bin/python bench/bench_scoring.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from _common import DISTURBED_CORES, Report, log, machine_cpu_seconds, percentile, pick, warn_if_busy

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

import xgboost as xgb  # noqa: E402
from django.conf import settings  # noqa: E402

from applicants.schema import load_schema  # noqa: E402
from demo import synthetic  # noqa: E402
from modelops.registry import default_review_policy  # noqa: E402
from modelops.training import DEFAULT_THRESHOLDS, fit  # noqa: E402
from scoring.artifact_store import load_booster, load_risk_booster, load_shap_tables, save_artifacts  # noqa: E402
from scoring.artifacts import class_difference_booster  # noqa: E402
from scoring.explain import risk_contributions, top_reasons  # noqa: E402
from scoring.features import build_matrix, feature_snapshot  # noqa: E402
from scoring.policy import review_route, tier_for  # noqa: E402
from scoring.scorers import InProcessScorer  # noqa: E402
from scoring.treeshap import forest_tables  # noqa: E402

TRAIN_ROWS = int(pick(5000, 2000))
REPS = int(pick(3000, 300))  # timed calls per single-row measurement
BATCH_REPS = int(pick(60, 10))  # timed calls per full-batch measurement
WARMUP = 30


def timed_us(fn: Callable[[], Any], reps: int) -> tuple[list[float], float]:
    """Microseconds per call, one sample per call, after a warm-up (caches, allocator); and
    the mean CPU microseconds per call, which exceeds the wall time when XGBoost's threads
    join in (on a 2-core server, that CPU is taken from the web workers)."""
    for _ in range(min(WARMUP, reps)):
        fn()
    samples = []
    cpu_began = time.process_time()
    for _ in range(reps):
        started = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - started) / 1000)
    return samples, (time.process_time() - cpu_began) * 1e6 / reps


def train(schema: Any, store: str, *, max_depth: int) -> Any:
    """A model version-like object: what risk_contributions and the scorer read from one."""
    answers, tiers = synthetic.generate(schema, TRAIN_ROWS, seed=7)
    trained = fit(
        build_matrix(schema, answers),
        tiers,
        feature_names=list(schema.feature_names),
        seed=7,
        params={"max_depth": max_depth},
        nthread=2,
    )
    uri = save_artifacts(base_url=store, version=max_depth, booster=trained.booster, metadata={})
    return SimpleNamespace(
        version=max_depth,
        artifact_uri=uri,
        feature_names=list(schema.feature_names),
        thresholds=dict(DEFAULT_THRESHOLDS),
        review_policy=default_review_policy(),
        trees_per_class=trained.booster.num_boosted_rounds(),
    )


def make_pipeline(schema: Any, model: Any) -> Callable[[list[dict]], list[dict]]:
    """score_waiting_applications minus the database: the same calls in the same order."""
    scorer = InProcessScorer()

    def score(batch: list[dict]) -> list[dict]:
        matrix = build_matrix(schema, batch)
        probabilities = scorer.predict_proba(model, matrix)
        contributions = risk_contributions(model, matrix)
        out = []
        for i in range(len(batch)):
            probs = [float(p) for p in probabilities[i]]
            tier = tier_for(probs, model.thresholds)
            snapshot = feature_snapshot(schema, matrix[i])
            routed = review_route(f"app-{i}", tier, model.review_policy)
            reasons = top_reasons(schema, contributions[i], snapshot, limit=settings.TOP_REASONS)
            out.append({"tier": tier, "routed": routed, "reasons": reasons})
        return out

    return score


def record_us(
    report: Report,
    name: str,
    timing: tuple[list[float], float],
    *,
    per: int = 1,
    note: str = "",
    cpu: bool = False,
) -> None:
    """Median and p99 wall time, divided by `per` rows when a call scored a batch; with
    `cpu`, also the mean CPU time per call."""
    samples, cpu_us = timing
    report.record(f"{name} p50", percentile(samples, 50) / per, "us", note)
    report.record(f"{name} p99", percentile(samples, 99) / per, "us")
    if cpu:
        report.record(
            f"{name} CPU, mean",
            cpu_us / per,
            "us",
            f"{cpu_us / max(sum(samples) / len(samples), 1e-9):.1f}x wall",
        )


def record_ratio(report: Report, name: str, numerator: list[float], denominator: list[float]) -> None:
    """The ratio of two medians (p50 / p50)."""
    report.record(name, percentile(numerator, 50) / max(percentile(denominator, 50), 1e-9), "x")


def record_reasons(
    report: Report, full: Any, risk: Any, tables: Any, rows: Any, dmatrix: Any, *, reps: int, per: int
) -> None:
    """Exact TreeSHAP for the same rows, per application, three ways: XGBoost on the full
    three-class booster (then high - low), XGBoost on the risk booster (high - low trees),
    and the per-tree tables (scoring.treeshap; what reasons use), alternated in rounds so a
    busy spell of the machine falls on all; their CPU time is the steadier figure."""
    rounds = 5
    ways = {
        "XGBoost, full 3-class pred_contribs": (
            lambda: full.predict(dmatrix, pred_contribs=True),
            "every class's trees, then high - low",
        ),
        "XGBoost, risk booster pred_contribs": (
            lambda: risk.predict(dmatrix, pred_contribs=True),
            "high - low trees",
        ),
        "per-tree tables (what reasons use)": (
            lambda: tables.contributions(rows),
            "scoring.treeshap, the same values",
        ),
    }
    timed: dict[str, tuple[list[float], float]] = {name: ([], 0.0) for name in ways}
    for _ in range(rounds):
        for name, (call, _) in ways.items():
            samples, cpu = timed_us(call, max(reps // rounds, 1))
            timed[name] = (timed[name][0] + samples, timed[name][1] + cpu / rounds)
    for name, (_, note) in ways.items():
        record_us(report, f"reasons: {name}", timed[name], per=per, cpu=True, note=note)
    full_cpu = timed["XGBoost, full 3-class pred_contribs"][1]
    report.record(
        "reasons: tables / full 3-class, CPU",
        timed["per-tree tables (what reasons use)"][1] / max(full_cpu, 1e-9),
        "x",
        "the cost of exact reasons now, against the issue's starting point",
    )


def main() -> None:
    report = Report()
    warn_if_busy()
    began, machine_before, own_before = time.perf_counter(), machine_cpu_seconds(), time.process_time()
    schema = load_schema(settings.APPLICATION_SCHEMA)
    batch_size = settings.SCORING_BATCH_SIZE
    sample, _ = synthetic.generate(schema, max(batch_size, 1), seed=99)
    one = sample[:1]

    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as tmp:
        store = f"file://{tmp}"
        log(f"training on {TRAIN_ROWS:,} synthetic rows (depth 3, the default)")
        model = train(schema, store, max_depth=3)
        booster = load_booster(model.artifact_uri)  # the scorer's own (cached, nthread=1)
        risk = load_risk_booster(model.artifact_uri)  # the risk margin's booster (cached, nthread=1)
        tables = load_shap_tables(model.artifact_uri)  # what reasons use (cached)
        assert risk is not None and tables is not None  # a three-class model of depth 3
        row = build_matrix(schema, one)
        names = model.feature_names
        drow = xgb.DMatrix(row, feature_names=names)
        pipeline = make_pipeline(schema, model)

        log(f"timing single-application calls, {REPS:,} repetitions each")
        report.section(
            f"One application (a batch of one: the worker keeping up); "
            f"depth 3, {model.trees_per_class} trees per class",
            key="one application",
        )
        one_pipeline = timed_us(lambda: pipeline(one), REPS)
        record_us(
            report,
            "pipeline",
            one_pipeline,
            cpu=True,
            note="features, predict, contributions, tier, snapshot, reasons, routing",
        )
        record_us(report, "  build_matrix", timed_us(lambda: build_matrix(schema, one), REPS))
        record_us(
            report,
            "  InProcessScorer.predict_proba",
            timed_us(lambda: InProcessScorer().predict_proba(model, row), REPS),
        )
        record_us(
            report,
            "  risk_contributions",
            timed_us(lambda: risk_contributions(model, row), REPS),
            cpu=True,
            note="exact TreeSHAP from the per-tree tables",
        )
        contribs = risk_contributions(model, row)[0]

        def snapshot_and_reasons() -> None:
            snapshot = feature_snapshot(schema, row[0])
            top_reasons(schema, contribs, snapshot, limit=settings.TOP_REASONS)

        record_us(report, "  feature_snapshot + top_reasons", timed_us(snapshot_and_reasons, REPS))
        one_bare = timed_us(lambda: booster.inplace_predict(row), REPS)
        record_us(report, "bare Booster.inplace_predict", one_bare, note="the same booster")
        record_ratio(report, "pipeline / bare inplace_predict, p50", one_pipeline[0], one_bare[0])

        report.section(
            "Reasons for one application: exact TreeSHAP, DMatrix built before",
            key="one application, reasons",
        )
        record_reasons(report, booster, risk, tables, row, drow, reps=REPS, per=1)
        record_us(
            report,
            "DMatrix build (nthread=1), each call",
            timed_us(lambda: xgb.DMatrix(row, feature_names=names, nthread=1), REPS),
            cpu=True,
        )
        # Paid once per model and process, by the first reasons after the model is loaded.
        builds, _ = timed_us(lambda: class_difference_booster(booster, plus=-1, minus=0), 3)
        report.record(
            "risk booster build, once per model and process", percentile(builds, 50) / 1000, "ms", "from JSON"
        )
        builds, _ = timed_us(lambda: forest_tables(risk), 3)
        report.record(
            "per-tree tables build, once per model and process",
            percentile(builds, 50) / 1000,
            "ms",
            f"{tables.table.nbytes / 1e6:.1f} MB of tables",
        )

        # A backlog is scored a whole claim at a time: the cost that sets the drain rate.
        log(f"timing a {batch_size}-application batch, {BATCH_REPS} repetitions")
        report.section(
            f"A batch of {batch_size} (a backlog draining), per application",
            key=f"batch of {batch_size}, per application",
        )
        matrix = build_matrix(schema, sample)
        dmatrix = xgb.DMatrix(matrix, feature_names=names)
        batch_pipeline = timed_us(lambda: pipeline(sample), BATCH_REPS)
        record_us(report, "pipeline", batch_pipeline, per=batch_size, cpu=True)
        record_us(
            report,
            "  risk_contributions",
            timed_us(lambda: risk_contributions(model, matrix), BATCH_REPS),
            per=batch_size,
            cpu=True,
            note="exact TreeSHAP from the per-tree tables",
        )
        batch_bare = timed_us(lambda: booster.inplace_predict(matrix), BATCH_REPS)
        record_us(report, "bare inplace_predict", batch_bare, per=batch_size)
        record_ratio(report, "pipeline / bare inplace_predict, p50", batch_pipeline[0], batch_bare[0])
        record_reasons(report, booster, risk, tables, matrix, dmatrix, reps=BATCH_REPS, per=batch_size)

        # The model has depth 3 partly because exact contributions cost far more at depth 6
        # (2^63 ways through a tree: no tables; XGBoost computes them).
        log("training a depth-6 model for comparison")
        deep = train(schema, store, max_depth=6)
        deep_risk = load_risk_booster(deep.artifact_uri)
        assert deep_risk is not None
        deep_pipeline = make_pipeline(schema, deep)
        report.section(
            f"One application, depth 6 ({deep.trees_per_class} trees per class)",
            key="one application, depth 6",
        )
        record_us(report, "pipeline", timed_us(lambda: deep_pipeline(one), REPS))
        record_us(
            report,
            "reasons: XGBoost, risk booster pred_contribs",
            timed_us(lambda: deep_risk.predict(drow, pred_contribs=True), REPS),
            cpu=True,
            note="depth 6 has no tables (up to 63 splits a tree): XGBoost computes them"
            if load_shap_tables(deep.artifact_uri) is None
            else "the tables exist at depth 6: compare them here",
        )

    others = (machine_cpu_seconds() - machine_before - (time.process_time() - own_before)) / (
        time.perf_counter() - began
    )
    if others > DISTURBED_CORES:
        report.section(
            "DISTURBED: other processes used CPU during this run; rerun on a quiet machine", key="disturbance"
        )
        report.record("CPU of other processes", others, "cores")
    report.print_table("bench_scoring: in-process scoring cost, no database (microseconds)")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
