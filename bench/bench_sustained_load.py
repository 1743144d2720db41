"""Sustained load through the whole stack, sinks included: N applications per second for
M minutes through the API, each followed into the database, DynamoDB and the warehouse.

The stack: gunicorn (2 sync workers), one Celery worker, Celery beat (the re-drives),
PostgreSQL, Redis, dynalite (the DynamoDB stand-in) and a PostgreSQL warehouse database,
all on 127.0.0.1 and all started and removed by this script.

Prints: throughput, POST latency p50/p99, submit→decision p50/p99, sink lag p50/p99 per
sink (decision stored → delivered), submit→in both sinks, and the lost count (acknowledged
but missing a decision, a DynamoDB item or a warehouse row): it must be 0.

Run from the repo root: .venv/bin/python bench/bench_sustained_load.py
Environment: BENCH_RATE (applications/s, default 50), BENCH_MINUTES (default 2),
BENCH_QUICK=1 (20 s).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import uuid
from typing import Any

import boto3
import psycopg
from _common import ROOT, Report, log, percentile, pick, warn_if_busy
from _http import SubmitApplication, open_loop
from _stack import PG, Stack

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
        super().__init__(database="riskscore_bench_sustained", redis_db=13, train_rows=5000)
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
            began = time.monotonic()
            sent = open_loop(
                SubmitApplication(stack.port, stack.token, answers), rate=RATE, count=count, threads=16
            )
            took = time.monotonic() - began
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
            if result["lost"]:
                log("worker log tail:\n" + stack.log_tail("worker"))
    finally:
        dynalite.stop()
        shutil.rmtree(data, ignore_errors=True)
    report.print_table(
        "bench_sustained_load: gunicorn + Celery worker + beat + PostgreSQL + Redis + dynalite + warehouse"
    )
    if result["lost"]:
        raise SystemExit(f"{result['lost']} acknowledged applications did not arrive everywhere")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; what the run started is stopped and its databases dropped")
        sys.exit(130)
