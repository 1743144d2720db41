"""Sustained load through the whole stack, sinks included: N applications per second for
M minutes through the API, each followed into the database, DynamoDB and the warehouse.

The stack: gunicorn (3 sync workers, BENCH_WEB_WORKERS), two Celery workers (the scoring queue; the sinks and
maintenance queues), Celery beat (the re-drives),
PostgreSQL, Redis, dynalite (the DynamoDB stand-in) and a PostgreSQL warehouse database,
all on 127.0.0.1 and all started and removed by this script.

Prints: throughput, POST latency p50/p99, submit→decision p50/p99, sink lag p50/p99 per
sink (decision stored → delivered), submit→in both sinks, and the lost count (acknowledged
but missing a decision, a DynamoDB item or a warehouse row): it must be 0.

Then where the slowest 1 % (by submit→decision) spent their time, from timestamps the code
stores and the workers' logs: the request (sent → row written, outside submit→decision; row
written → POST answered: commit, wake-up, response), the wait for a worker (answered →
claimed: the trail's received→scoring transition), scoring (claimed → decision row), and
what the workers that consume the scoring queue were running while it waited (Celery's
"Task … succeeded in" lines; "idle" is a wait with no task running: the wake-up in flight).

Run from the repo root: .venv/bin/python bench/bench_sustained_load.py
Environment: BENCH_RATE (applications/s, default 50), BENCH_MINUTES (default 2),
BENCH_QUICK=1 (20 s), BENCH_REDIS_DB (the Redis database it empties and uses, default 13),
BENCH_LAYOUT=single (one worker for every queue), BENCH_BACKGROUND_CONCURRENCY (processes of
the sinks and maintenance worker, default 1; compose runs 2).
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import boto3
import psycopg
from _common import ROOT, Report, log, percentile, pick, run_until_interrupted, warn_if_busy
from _http import Sent, SubmitApplication, open_loop
from _stack import PG, Stack, TaskRun

from ops.dynalite import DynaliteServer

RATE = float(os.environ.get("BENCH_RATE", "50"))
MINUTES = float(os.environ.get("BENCH_MINUTES", "2"))
SECONDS = pick(MINUTES * 60, 20)
SETTLE_TIMEOUT = 120.0  # after the last answer, everything must arrive within this
WAREHOUSE_DB = "riskscore_bench_warehouse"
TABLE = "riskscore-bench"
# The stand-in takes any credentials; fake ones make sure nothing here can reach AWS.
FAKE_AWS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
os.environ.update(FAKE_AWS)
os.environ.pop("AWS_PROFILE", None)


def ms(values: list[float], p: float) -> float:
    return percentile(values, p)


class SinkStack(Stack):
    """The bench stack plus the sinks and beat."""

    def __init__(self, dynalite: DynaliteServer):
        super().__init__(
            database="riskscore_bench_sustained",
            redis_db=int(os.environ.get("BENCH_REDIS_DB", "13")),
            train_rows=5000,
        )
        self.dynalite = dynalite
        self.warehouse_url = f"{PG}/{WAREHOUSE_DB}"
        self.env.update(
            {
                "SINKS": "dynamodb,warehouse",
                "DYNAMODB_ENDPOINT_URL": dynalite.url,
                "DYNAMODB_TABLE": TABLE,
                "WAREHOUSE_URL": self.warehouse_url,
                **FAKE_AWS,
            }
        )

    def start(self) -> None:
        self._drop_warehouse()
        super().start()
        log("creating the DynamoDB table and the warehouse schema")
        self.manage("dynamodb_setup")
        self.manage("warehouse_setup")
        log("starting Celery beat (the re-drives)")
        self._spawn(
            "beat",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "beat",
                "--schedule",
                str(self.tmp / "beat-schedule"),
                "--loglevel=WARNING",
            ],
        )
        self.wait_settled("beat")

    def stop(self) -> None:
        if os.environ.get("BENCH_KEEP_LOGS"):
            kept = ROOT / "var" / "bench-logs"
            kept.mkdir(parents=True, exist_ok=True)
            for log_file in self.tmp.glob("*.log"):
                shutil.copy(log_file, kept / f"sustained-{log_file.name}")
            log(f"logs kept in {kept}")
        try:
            self._terminate("beat")
        finally:
            super().stop()
            try:
                self._drop_warehouse()
            except Exception as exc:
                log(f"cleanup step failed: {type(exc).__name__}: {exc}")

    def _drop_warehouse(self) -> None:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{WAREHOUSE_DB}" WITH (FORCE)')


def follow(stack: SinkStack, ids: list[str]) -> dict[str, Any]:
    """Wait until every acknowledged application is decided and delivered to both sinks
    (or SETTLE_TIMEOUT passes), then measure from the stored timestamps."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    with stack.connect() as db:
        while True:
            (pending,) = db.execute(
                "SELECT count(*) FROM outbox_outboxmessage WHERE topic LIKE 'sink:%%' "
                "AND status <> 'delivered'"
            ).fetchone() or (None,)
            (decided,) = db.execute(
                "SELECT count(*) FROM scoring_decision WHERE is_current AND application_id = ANY(%s)", [ids]
            ).fetchone() or (None,)
            if (decided == len(ids) and not pending) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        server_ms = [
            r[0]
            for r in db.execute(
                "SELECT latency_ms FROM scoring_decision WHERE application_id = ANY(%s)", [ids]
            )
        ]
        lag = {}
        for sink in ("dynamodb", "warehouse"):
            lag[sink] = [
                float(r[0]) * 1000
                for r in db.execute(
                    "SELECT EXTRACT(EPOCH FROM delivered_at - created_at) FROM outbox_outboxmessage "
                    "WHERE topic = %s AND key = ANY(%s) AND status = 'delivered'",
                    [f"sink:{sink}", ids],
                )
            ]
        end_to_end = [
            float(r[0]) * 1000
            for r in db.execute(
                "SELECT EXTRACT(EPOCH FROM max(o.delivered_at) - a.created_at) FROM outbox_outboxmessage o "
                "JOIN applicants_application a ON a.id::text = o.key WHERE o.key = ANY(%s) "
                "AND o.topic LIKE 'sink:%%' AND o.status = 'delivered' GROUP BY a.id, a.created_at "
                "HAVING count(*) = 2",
                [ids],
            )
        ]
        decided_ids = {
            str(r[0])
            for r in db.execute(
                "SELECT application_id FROM scoring_decision WHERE is_current AND application_id = ANY(%s)",
                [ids],
            )
        }
    dynamo = boto3.client("dynamodb", endpoint_url=stack.dynalite.url, region_name="us-east-1")
    items = set()
    for page in dynamo.get_paginator("scan").paginate(TableName=TABLE, ProjectionExpression="application_id"):
        items |= {row["application_id"]["S"] for row in page["Items"]}
    with psycopg.connect(stack.warehouse_url) as warehouse:
        rows: dict[str, int] = dict(
            warehouse.execute(
                "SELECT application_id, count(*) FROM fact_decision GROUP BY application_id"
            ).fetchall()
        )
    complete = [i for i in ids if i in decided_ids and i in items and rows.get(i) == 1]
    return {
        "server_ms": server_ms,
        "lag": lag,
        "end_to_end": end_to_end,
        "lost": len(ids) - len(complete),
        "missing_decision": len(set(ids) - decided_ids),
        "missing_item": len(set(ids) - items),
        "missing_row": sum(1 for i in ids if rows.get(i) != 1),
    }


@dataclass
class Timeline:
    """One application's path, epoch seconds on the machine's clock."""

    id: str
    sent: float  # the bench sent the POST
    created: float  # the application row was written (applicants_application.created_at)
    answered: float  # the bench had the 202 (after the commit and the scoring wake-up)
    claimed: float  # a scorer claimed it (trail: received → scoring, the last before the decision)
    decided: float  # its decision row (scoring_decision.created_at)
    latency_ms: float  # submit→decision as the decision records it

    @property
    def waiting_from(self) -> float:
        """Where the wait for a worker starts: the answer, unless the claim came first."""
        return min(self.answered, self.claimed)


PARTS = {
    "POST: sent → row written (not in submit→decision)": lambda t: t.created - t.sent,
    "row written → POST answered (commit, wake-up)": lambda t: t.waiting_from - t.created,
    "waiting for a worker (answered → claimed)": lambda t: t.claimed - t.waiting_from,
    "scoring (claimed → decision row)": lambda t: t.decided - t.claimed,
    "submit→decision (row written → decision row)": lambda t: t.decided - t.created,
}


def slowest(stack: SinkStack, sent: list[Sent], share: float = 0.01) -> list[Timeline]:
    """The slowest `share` of decided applications by submit→decision, with their timestamps."""
    requests = {json.loads(s.body)["id"]: s for s in sent if s.status == 202}
    with stack.connect() as db:
        rows = db.execute(
            "SELECT a.id::text, EXTRACT(EPOCH FROM a.created_at), EXTRACT(EPOCH FROM d.created_at), "
            "d.latency_ms, (SELECT EXTRACT(EPOCH FROM max(t.at)) FROM trail_trailentry t "
            "  WHERE t.object_type = 'application' AND t.object_id = a.id::text "
            "  AND t.after->>'status' = 'scoring' AND t.at <= d.created_at) "
            "FROM applicants_application a JOIN scoring_decision d ON d.application_id = a.id "
            "AND d.is_current WHERE a.id = ANY(%s) ORDER BY d.latency_ms DESC LIMIT %s",
            [list(requests), max(1, math.ceil(len(requests) * share))],
        ).fetchall()
    timelines = []
    for app_id, created, decided, latency_ms, claimed in rows:
        request = requests[app_id]
        timelines.append(
            Timeline(
                id=app_id,
                sent=request.sent_at,
                created=float(created),
                answered=request.sent_at + request.latency,
                claimed=float(claimed if claimed is not None else decided),
                decided=float(decided),
                latency_ms=float(latency_ms),
            )
        )
    return timelines


def busy_during(timelines: list[Timeline], runs: list[TaskRun]) -> tuple[dict[str, float], dict[str, int]]:
    """Seconds of the slow applications' waits during which each task ran on a worker that
    consumes the scoring queue ("idle": none ran), and in how many of the waits each ran."""
    seconds: dict[str, float] = defaultdict(float)
    waits: dict[str, int] = defaultdict(int)
    several = len({run.worker for run in runs}) > 1
    for timeline in timelines:
        begin, end = timeline.waiting_from, timeline.claimed
        covered: list[tuple[float, float]] = []
        seen = set()
        for run in runs:
            lo, hi = max(begin, run.start), min(end, run.end)
            if hi <= lo:
                continue
            name = f"{run.worker}: {run.name}" if several else run.name
            seconds[name] += hi - lo
            seen.add(name)
            covered.append((lo, hi))
        idle = (end - begin) - _union(covered)
        if idle > 0.0005:
            seconds["idle (no task running)"] += idle
            seen.add("idle (no task running)")
        for name in seen:
            waits[name] += 1
    return dict(seconds), dict(waits)


def _union(spans: list[tuple[float, float]]) -> float:
    total, reach = 0.0, -math.inf
    for lo, hi in sorted(spans):
        if hi > reach:
            total += hi - max(lo, reach)
            reach = hi
    return total


def record_breakdown(report: Report, stack: SinkStack, sent: list[Sent]) -> None:
    timelines = slowest(stack, sent)
    if not timelines:
        return
    report.section(
        f"the slowest 1 % ({len(timelines)} applications, submit→decision ≥ "
        f"{min(t.latency_ms for t in timelines):,.0f} ms): where the time went",
        key="slowest 1 %",
    )
    for part, measure in PARTS.items():
        values = [measure(t) * 1000 for t in timelines]
        report.record(
            part,
            sum(values) / len(values),
            "ms mean",
            f"p50 {percentile(values, 50):,.0f} ms, max {max(values):,.0f} ms",
        )
    runs = stack.task_runs(stack.scoring_workers())
    seconds, waits = busy_during(timelines, runs)
    total = sum(t.claimed - t.waiting_from for t in timelines)
    workers = ", ".join(stack.scoring_workers())
    for name, spent in sorted(seconds.items(), key=lambda item: -item[1])[:8]:
        report.record(
            f"while waiting, {name}",
            100 * spent / total if total else math.nan,
            "% of the wait",
            f"{spent * 1000:,.0f} ms in {waits[name]} of {len(timelines)} waits ({workers})",
        )
    scored_by = [_scored_by(t, runs) for t in timelines]
    counted = [n for n in scored_by if n is not None]
    if counted:
        report.record(
            "applications the scoring task scored",
            sum(counted) / len(counted),
            "mean",
            f"the score_waiting run that claimed each; largest {max(counted)}",
        )
    for t in sorted(timelines, key=lambda t: -t.latency_ms)[:5]:
        log(
            f"slow {t.id[:8]}: {t.latency_ms:,.0f} ms = "
            + ", ".join(f"{part.split(' (')[0]} {measure(t) * 1000:,.0f}" for part, measure in PARTS.items())
        )


def _scored_by(timeline: Timeline, runs: list[TaskRun]) -> int | None:
    for run in runs:
        if run.name.endswith("score_waiting") and run.start <= timeline.claimed <= run.end:
            return int(run.result) if run.result.isdigit() else None
    return None


def main() -> None:
    report = Report()
    warn_if_busy()
    answers = json.loads((ROOT / "examples" / "application.json").read_text())["answers"]
    count = int(RATE * SECONDS)
    data = ROOT / "var" / f"bench-dynalite-{uuid.uuid4().hex[:8]}"
    dynalite = DynaliteServer(path=data, log_path=None).start()
    try:
        with SinkStack(dynalite) as stack:
            stack.start()
            log(f"sending {count} applications at {RATE:g}/s for {SECONDS:g}s")
            cpu_before, began = stack.cpu_seconds(), time.monotonic()
            sent = open_loop(
                SubmitApplication(stack.port, stack.token, answers), rate=RATE, count=count, threads=16
            )
            took = time.monotonic() - began
            cpu = {k: (v - cpu_before[k]) / took for k, v in stack.cpu_seconds().items()}
            ids = [json.loads(s.body)["id"] for s in sent if s.status == 202]
            log(f"{len(ids)} acknowledged; following them into the database and both sinks")
            result = follow(stack, ids)
            report.section(
                f"{RATE:g} applications/s for {SECONDS:g}s through the API, with DynamoDB and the warehouse",
                key="sustained",
            )
            report.record("acknowledged (202)", len(ids), "applications", f"of {count} sent")
            report.record("throughput", len(ids) / took, "applications/s", f"asked for {RATE:g}/s")
            latencies = [s.latency * 1000 for s in sent]
            report.record("POST latency p50", ms(latencies, 50), "ms")
            report.record("POST latency p99", ms(latencies, 99), "ms")
            report.record("submit→decision p50", ms(result["server_ms"], 50), "ms")
            report.record("submit→decision p99", ms(result["server_ms"], 99), "ms")
            for sink, values in result["lag"].items():
                report.record(f"sink lag {sink} p50", ms(values, 50), "ms", "decision → delivered")
                report.record(f"sink lag {sink} p99", ms(values, 99), "ms", "decision → delivered")
            report.record("submit→in both sinks p50", ms(result["end_to_end"], 50), "ms")
            report.record("submit→in both sinks p99", ms(result["end_to_end"], 99), "ms")
            report.record(
                "lost",
                result["lost"],
                "applications",
                "must be 0"
                if not result["lost"]
                else f"no decision {result['missing_decision']}, no item "
                f"{result['missing_item']}, no single row {result['missing_row']}",
            )
            # Cores each part used while the load was sent: on 2 cores, what the workers take
            # the web server lacks (POST latency), and "machine" beyond ours is someone else.
            for part, cores in cpu.items():
                if cores or part == "machine":
                    report.record(f"cores used: {part}", cores, "cores", "while sending")
            record_breakdown(report, stack, sent)
            if result["lost"]:
                log("worker log tail:\n" + stack.log_tail("worker"))
    finally:
        dynalite.stop()
        shutil.rmtree(data, ignore_errors=True)
    report.print_table(
        "bench_sustained_load: gunicorn + Celery workers + beat + PostgreSQL + Redis + dynalite + warehouse"
    )
    if result["lost"]:
        raise SystemExit(f"{result['lost']} acknowledged applications did not arrive everywhere")


if __name__ == "__main__":
    run_until_interrupted(main)
