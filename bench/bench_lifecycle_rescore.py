"""Batch rescoring rows per second: 1M stored applications (BENCH_QUICK: 200k).

A database of its own (riskscore_bench_lifecycle, dropped at the end) is filled with scored
applications and their current decisions from model A (bulk COPY: building a million
applications through the API would measure the API), then `rescore` runs with model B
over Celery workers (one prefork worker, two processes: the machine's two cores) with a
progress bar, writing a decision only where it changed. A second pass with the same model
shows the read-and-predict cost alone (nothing changes, nothing is written). A breakdown of
one chunk shows where the time goes, and what the SQL projection saves over loading JSON.

Run from the repo root: .venv/bin/python bench/bench_lifecycle_rescore.py   (BENCH_QUICK=1: short)
Environment: BENCH_ROWS (stored applications; default 1M, 200k under BENCH_QUICK).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from _common import ROOT, Report, copy_decisions, log, pick, quick

DATABASE = "riskscore_bench_lifecycle"
PG = "postgres://postgres@127.0.0.1:5432"
SIZES = [int(os.environ.get("BENCH_ROWS") or (200_000 if quick() else 1_000_000))]
TMP = Path(tempfile.mkdtemp(prefix="bench-rescore-"))


def own_redis() -> tuple[subprocess.Popen[bytes], str]:
    """A Redis of our own on a free port: the shared one's databases belong to the test
    suites, whose workers must never take this bench's tasks (nor this bench's worker theirs)."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


REDIS_PROCESS, BROKER = own_redis()

os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"{PG}/{DATABASE}",
        "CELERY_BROKER_URL": BROKER,
        "MODEL_STORAGE_URL": f"file://{TMP / 'models'}",
        "LOG_LEVEL": "WARNING",
    }
)


def recreate_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE}")


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")


recreate_database()

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import override_settings  # noqa: E402
from tqdm import tqdm  # noqa: E402

from accounts.roles import Role  # noqa: E402
from accounts.services import user_create_with_roles  # noqa: E402
from applicants.schema import get_schema  # noqa: E402
from demo import synthetic  # noqa: E402
from modelops.models import RescoreRun, RunStatus  # noqa: E402
from modelops.registry import model_version_approve, model_version_bootstrap, model_version_register  # noqa: E402
from modelops.rescoring import _load_chunk_copy, _load_chunk_orm, rescore_start  # noqa: E402
from modelops.training import fit  # noqa: E402
from scoring.features import build_matrix  # noqa: E402
from scoring.probabilities import tier_probabilities  # noqa: E402
from scoring.scorers import InProcessScorer  # noqa: E402


def train_models() -> tuple[Any, Any]:
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 5000, seed=7)
    matrix = build_matrix(schema, answers)
    password = uuid.uuid4().hex  # nobody logs in: the bench users only sign registry steps
    trainer = user_create_with_roles(username="bench-trainer", password=password, roles=[Role.ANALYST])
    approver = user_create_with_roles(username="bench-approver", password=password, roles=[Role.APPROVER])
    a = model_version_register(
        trained=fit(matrix, tiers, feature_names=list(schema.feature_names), seed=7, nthread=2),
        schema=schema,
        training_source="bench A",
    )
    model_version_bootstrap(model=a, note="bench")
    # A retrain as the platform makes one: a newer sample, the default parameters, the number
    # of trees chosen by cross-validation (modelops.training.fit). Exact reasons cost in
    # proportion to the trees, so the size of both models is printed beside the figures.
    newer, newer_tiers = synthetic.generate(schema, 5000, seed=8)
    b_trained = fit(
        build_matrix(schema, newer), newer_tiers, feature_names=list(schema.feature_names), seed=8, nthread=2
    )
    b = model_version_register(
        trained=b_trained, schema=schema, training_source="bench B", trained_by=trainer
    )
    # Rescoring is measured here, not promotion: approve without the evidence gates (governance).
    with override_settings(GOVERNANCE_GATES_ENABLED=False):
        model_version_approve(model=b, actor=approver)
    return a, b


def seed(n: int, model: Any, start: int) -> float:
    """n scored applications with model A's current decisions, by COPY. Returns seconds."""
    with tqdm(total=n, unit="app", desc=f"seeding {n:,}", disable=None) as bar:
        return copy_decisions(model, n, seed=1000 + start, step=100_000, progress=bar.update)


class Worker:
    def __init__(self) -> None:
        self.log = TMP / "worker.log"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"bench-rescore-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env={**os.environ},
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while b"ready." not in self.log.read_bytes():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(f"the worker did not start; see {self.log}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def run_with_progress(model_version: int, label: str) -> RescoreRun:
    run = rescore_start(model_version=model_version, dispatch=True)
    with tqdm(total=run.total, unit="app", desc=label, disable=None) as bar:
        while True:
            current = RescoreRun.objects.get(pk=run.pk)
            bar.n = current.processed
            bar.set_postfix(changed=current.changed)
            bar.refresh()
            if current.status in (RunStatus.FINISHED, RunStatus.FAILED):
                break
            time.sleep(0.5)
    if current.status == RunStatus.FAILED:
        raise RuntimeError(f"run {current.pk} failed: {current.error}")
    return current


def breakdown(report: Report, b: Any) -> None:
    schema = get_schema()
    run = rescore_start(model_version=b.version, dispatch=False, chunk_size=5000)
    chunk = run.chunks.order_by("seq").first()
    assert chunk is not None
    reps = int(pick(5, 2))
    for name, loader in (
        ("read 5,000 rows: SQL projection + binary COPY", _load_chunk_copy),
        ("read 5,000 rows: JSON answers through the ORM", _load_chunk_orm),
    ):
        began = time.perf_counter()
        for _ in range(reps):
            rows = loader(schema, run, chunk)
        report.record(name, (time.perf_counter() - began) / reps * 1000, "ms")
    scorer = InProcessScorer()
    began = time.perf_counter()
    for _ in range(reps):
        tier_probabilities(b, scorer.predict_proba(b, rows.matrix))
    report.record("predict 5,000 rows (in-process)", (time.perf_counter() - began) / reps * 1000, "ms")
    from scoring.explain import risk_contributions

    risk_contributions(b, rows.matrix[:10])  # the tables are built once per model and process
    for approximate in (False, True):
        began = time.perf_counter()
        risk_contributions(b, rows.matrix[:1000], approximate=approximate)
        report.record(
            f"reasons for 1,000 changed rows ({'approximate' if approximate else 'exact'})",
            (time.perf_counter() - began) * 1000,
            "ms",
        )
    RescoreRun.objects.filter(pk=run.pk).delete()


def main() -> None:
    report = Report()
    worker = None
    try:
        log(f"database {DATABASE}: migrating")
        call_command("migrate", verbosity=0)
        a, b = train_models()
        report.section("the models")
        for label, model in (("A (current decisions)", a), ("B (the new model)", b)):
            report.record(
                f"model {label}: trees per class",
                model.metrics["trees_per_class"],
                "trees",
                f"depth {model.params.get('max_depth')}, chosen by {model.metrics.get('cv_folds')}-fold CV",
            )
        worker = Worker()
        seeded = 0
        for size in SIZES:
            report.section(f"{size:,} stored applications (2 worker processes)")
            took = seed(size - seeded, a, seeded)
            seeded = size
            log(f"seeded to {size:,} in {took:.0f} s")
            first = run_with_progress(b.version, f"rescoring {size:,} with v{b.version}")
            assert first.finished_at is not None
            seconds = (first.finished_at - first.created_at).total_seconds()
            report.record(
                "rescore with a new model: rows per second",
                first.processed / seconds,
                "rows/s",
                f"{first.processed:,} in {seconds:.1f} s",
            )
            report.record(
                "  decisions written (changed)",
                first.changed,
                "rows",
                f"{first.changed / max(first.processed, 1):.0%} of the rows",
            )
            second = run_with_progress(b.version, f"again with v{b.version}")
            assert second.finished_at is not None
            seconds = (second.finished_at - second.created_at).total_seconds()
            report.record(
                "rescore again, nothing changed: rows per second",
                second.processed / seconds,
                "rows/s",
                f"{second.changed} written",
            )
            # back to model A's decisions for the next size: rescore with A would write them all,
            # so the next size simply adds rows scored by A; the comparison stays A → B.
            from auditing.models import ReviewItem
            from scoring.models import Decision

            # Review items of the rescored decisions (made by the DECISIONS_STORED event) protect them.
            ReviewItem.objects.filter(decision__rescore_run__isnull=False).delete()
            Decision.objects.filter(rescore_run__isnull=False).delete()
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE scoring_decision SET is_current = true WHERE rescore_run_id IS NULL "
                    "AND NOT is_current"
                )
        report.section("One chunk, step by step")
        breakdown(report, b)
    finally:
        if worker:
            worker.stop()
        drop_database()
        REDIS_PROCESS.terminate()
        REDIS_PROCESS.wait(timeout=10)
        shutil.rmtree(TMP, ignore_errors=True)
    report.print_table("Batch rescoring")


if __name__ == "__main__":
    main()
