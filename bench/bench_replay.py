"""Decision replay: seconds to replay 100k and 1M stored decisions with a candidate model
(BENCH_QUICK: 20k), target ≤ 15 s for 1M on two cores.

A database of its own (BenchDatabase, dropped at the end) is filled by COPY with scored
applications (encrypted personal answers holding a date of birth) and their current
decisions from model A, each with the feature snapshot, the model row and the protected
groups (an age band) the pipeline stores.
Then a replay of candidate B runs as it does in production: `replay_start` plans the chunks
(decision-id ranges) and two worker processes already running (the machine's two cores,
like a prefork Celery worker with concurrency 2) claim and run them as jobs; the last chunk
adds the counts up. Timed from the plan to the closed run. One chunk's breakdown shows where the time goes.

Run from the repo root: .venv/bin/python bench/bench_replay.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT, BenchDatabase, Report, copy_decisions, quick, warn_if_busy

SIZES = [20_000] if quick() else [100_000, 1_000_000]
TMP = Path(tempfile.mkdtemp(prefix="bench-replay-"))
DB = BenchDatabase("replay")
os.environ["MODEL_STORAGE_URL"] = f"file://{TMP / 'models'}"
if quick():  # chunks small enough that both workers get some (100,000 a chunk otherwise)
    os.environ.setdefault("GOVERNANCE_REPLAY_CHUNK_SIZE", "5000")
os.environ["GOVERNANCE_REPLAY_STORAGE_URL"] = f"file://{TMP / 'replays'}"
DB.create()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from applicants.schema import get_schema  # noqa: E402
from demo import synthetic  # noqa: E402
from governance.models import ReplayChunk, ReplayRun, ReplayStatus  # noqa: E402
from governance.replay import _groups, _load, replay_start  # noqa: E402
from modelops.registry import model_version_bootstrap, model_version_register  # noqa: E402
from modelops.training import fit  # noqa: E402
from scoring.features import build_matrix  # noqa: E402
from scoring.models import ModelVersion  # noqa: E402
from scoring.probabilities import tier_probabilities, tiers_from_probabilities  # noqa: E402
from scoring.scorers import InProcessScorer  # noqa: E402

CHANNELS = ["api", "web", "chatbot", "sms", "phone_agent", "mail"]


def train_models() -> tuple[ModelVersion, ModelVersion]:
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 5000, seed=7)
    matrix = build_matrix(schema, answers)
    features = list(schema.feature_names)
    a = model_version_register(
        trained=fit(matrix, tiers, feature_names=features, seed=7, nthread=2),
        schema=schema,
        training_source="bench A",
    )
    model_version_bootstrap(model=a, note="bench")
    b = model_version_register(
        trained=fit(matrix, tiers, feature_names=features, seed=8, nthread=2, params={"max_depth": 4}),
        schema=schema,
        training_source="bench B",
    )
    return a, b


def seed(n: int, model: ModelVersion, start: int) -> float:
    """n applications with model A's current decisions (and their snapshots), by COPY: channels
    in turn, encrypted personal answers (dates of birth for the age bands), decisions spread
    over the last 25 days."""
    now = dt.datetime.now(dt.UTC)
    return copy_decisions(
        model,
        n,
        seed=2000 + start,
        channels=CHANNELS,
        personal=True,
        snapshots=True,
        created_at=lambda k: now - dt.timedelta(hours=(start + k) % 600),
    )


# A worker: claims waiting chunks as a Celery worker would take their messages (the claim,
# a conditional update, makes two workers on one list safe), until told to stop.
WORKER = """
import sys, time, django
django.setup()
from governance.models import ReplayChunk, ReplayStatus
from governance.replay import replay_chunk_execute
while True:
    ids = list(ReplayChunk.objects.filter(status=ReplayStatus.PENDING).values_list("pk", flat=True))
    for pk in ids:
        replay_chunk_execute(chunk_id=pk)
    if not ids:
        time.sleep(0.02)
"""


def start_workers(count: int = 2) -> list[subprocess.Popen[bytes]]:
    """Worker processes started (and warmed up: Django and XGBoost imported) before timing."""
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env={**os.environ}, start_new_session=True)
        for _ in range(count)
    ]
    time.sleep(8)
    return workers


def replay(model: ModelVersion) -> tuple[float, ReplayRun]:
    """Plan a replay of the last 30 days; the two worker processes run its chunks."""
    began = time.perf_counter()
    until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    run = replay_start(model=model, since=until - dt.timedelta(days=30), until=until, dispatch=False)
    while ReplayRun.objects.filter(
        pk=run.pk, status__in=[ReplayStatus.PENDING, ReplayStatus.RUNNING]
    ).exists():
        time.sleep(0.02)
    took = time.perf_counter() - began
    run.refresh_from_db()
    return took, run


def breakdown(run: ReplayRun, report: Report) -> None:
    """One chunk, step by step, in this process."""
    chunk = run.chunks.order_by("seq").first()
    assert chunk is not None
    schema, model = get_schema(), run.model_version
    started = time.perf_counter()
    rows = _load(schema, run, chunk)
    loaded = time.perf_counter()
    probs = tier_probabilities(model, InProcessScorer().predict_proba(model, rows["matrix"]))
    tiers_from_probabilities(probs, model.thresholds)
    scored = time.perf_counter()
    _groups(schema, rows["stored"], rows["people"], rows["at"])
    grouped = time.perf_counter()
    report.record("one chunk: rows", len(rows["decision"]), "rows")
    report.record(
        "one chunk: read (stored model rows, channel and group codes: one binary COPY)",
        loaded - started,
        "s",
    )
    report.record("one chunk: batch predict and tiers", scored - loaded, "s")
    report.record("one chunk: protected groups", grouped - scored, "s")


def main() -> None:
    report = Report("bench_replay")
    workers: list[subprocess.Popen[bytes]] = []
    try:
        call_command("migrate", verbosity=0)
        a, b = train_models()
        workers = start_workers()
        seeded = 0
        for n in SIZES:
            seed(n - seeded, a, seeded)
            seeded = n
            warn_if_busy()
            took, run = replay(b)
            assert run.status == ReplayStatus.FINISHED and run.processed == n, (run.status, run.processed)
            assert sum(run.results["overall"]) == n
            report.section(f"{n:,} stored decisions", key=f"replay {n}")
            report.record("replay, 2 worker processes", took, "s", "target ≤ 15 s for 1M" if n >= 1e6 else "")
            report.record("decisions per second", n / took, "rows/s")
            report.record(
                "1M at this rate (projected)",
                1_000_000 / (n / took),
                "s",
                "rough: 5,000-row chunks' fixed costs" if quick() else "target ≤ 15 s",
            )
            report.record("would move tier", run.moved, "decisions")
            report.record("chunks", ReplayChunk.objects.filter(run=run).count(), "")
            breakdown(run, report)
        report.print_table("Decision replay (governance)")
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        DB.drop()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
