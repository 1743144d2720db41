"""Single-row scoring latency: bare XGBoost, the in-process scorer, and the SageMaker scorer
through boto3 against the local endpoint (a separate process, as a real endpoint is), next
to the endpoint's container API over plain HTTP, so boto3's own share is visible. Then a
micro-batch of 200 rows (how the pipeline calls it) per row, split into its parts (CSV both
ways on each side, XGBoost, and the rest: boto3, HTTP, gunicorn), and the same batches from
1, 2, 4 and 8 concurrent callers (each with its own boto3 client, as pipeline workers are), with
the CPU each side spends per row: on 2 cores, 2 s of CPU a second is the ceiling.

Run from the repo root: .venv/bin/python bench/bench_lifecycle_latency.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from _common import ROOT, Report, log, percentile, pick

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")

import django

django.setup()

import boto3  # noqa: E402
import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402

from applicants.schema import get_schema  # noqa: E402
from demo import synthetic  # noqa: E402
from endpoint.container import encode_predictions, load_model, parse_rows  # noqa: E402
from modelops.training import DEFAULT_THRESHOLDS, fit  # noqa: E402
from scoring.artifact_store import load_booster, save_artifacts  # noqa: E402
from scoring.features import build_matrix  # noqa: E402
from scoring.models import Target  # noqa: E402
from scoring.sagemaker import SageMakerScorer, encode_csv, parse_csv_predictions  # noqa: E402
from scoring.scorers import InProcessScorer  # noqa: E402

REPS = int(pick(2000, 200))
WARMUP = 30
BATCH = 200
CONCURRENT_SECONDS = pick(10, 3)


def timed_us(fn: Callable[[], Any], reps: int) -> list[float]:
    for _ in range(min(WARMUP, reps)):
        fn()
    samples = []
    for _ in range(reps):
        started = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - started) / 1000)
    return samples


def record(report: Report, name: str, samples: list[float], per: int = 1, note: str = "") -> None:
    report.record(f"{name} p50", percentile(samples, 50) / per, "us", note)
    report.record(f"{name} p99", percentile(samples, 99) / per, "us")


def process_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children: gunicorn's master and workers."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0
    for one in [pid, *map(int, children)]:
        fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def record_parts(report: Report, model_path: str, batch: np.ndarray, whole_us: float) -> None:
    """Where one 200-row call goes, per row (p50 of each part, in this process)."""
    booster = load_model(model_path)  # as the endpoint loads it (ENDPOINT_PREDICT_THREADS)
    body = encode_csv(batch)
    rows = parse_rows(body, "text/csv")
    predictions = booster.inplace_predict(rows, validate_features=False)
    answer, _ = encode_predictions(predictions, "text/csv")
    parts = {
        "client: encode_csv": lambda: encode_csv(batch),
        "server: parse the CSV": lambda: parse_rows(body, "text/csv"),
        "server: XGBoost inplace_predict": lambda: booster.inplace_predict(rows, validate_features=False),
        "server: encode the answer": lambda: encode_predictions(predictions, "text/csv"),
        "client: parse_csv_predictions": lambda: parse_csv_predictions(answer, BATCH),
    }
    spent = 0.0
    for name, call in parts.items():
        p50 = percentile(timed_us(call, max(REPS // 4, 50)), 50)
        spent += p50
        report.record(name, p50 / BATCH, "us")
    report.record("the rest: boto3, HTTP, gunicorn, waiting", (whole_us - spent) / BATCH, "us")


def call_until(client: Any, batch: np.ndarray, deadline: float, done: list[int], index: int) -> None:
    """One caller: encode, invoke_endpoint, decode (as the scorer does) until the deadline."""
    while time.monotonic() < deadline:
        response = client.invoke_endpoint(
            EndpointName="bench", ContentType="text/csv", Accept="text/csv", Body=encode_csv(batch)
        )
        parse_csv_predictions(response["Body"].read(), BATCH)
        done[index] += 1


def concurrent_callers(report: Report, process: subprocess.Popen[bytes], url: str, batch: np.ndarray) -> None:
    """Rows a second with 1, 2, 4 threads calling at once, each with its own boto3 client,
    and the CPU each side spent per row."""
    for callers in (1, 2, 4, 8):
        clients = [
            boto3.client("sagemaker-runtime", endpoint_url=url, region_name=settings.SAGEMAKER_REGION)
            for _ in range(callers)
        ]
        for client in clients:  # a connection each, before the clock starts
            client.invoke_endpoint(EndpointName="bench", ContentType="text/csv", Body=encode_csv(batch))
        done = [0] * callers
        deadline = time.monotonic() + CONCURRENT_SECONDS
        threads = [
            threading.Thread(target=call_until, args=(client, batch, deadline, done, index))
            for index, client in enumerate(clients)
        ]
        started, client_cpu = time.monotonic(), time.process_time()
        server_cpu = process_cpu_seconds(process.pid)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.monotonic() - started
        rows = sum(done) * BATCH
        client_us = (time.process_time() - client_cpu) / rows * 1e6
        server_us = (process_cpu_seconds(process.pid) - server_cpu) / rows * 1e6
        report.record(
            f"{callers} caller{'s' if callers > 1 else ''}: rows/s",
            rows / seconds,
            "rows/s",
            f"CPU per row: client {client_us:.1f} us, endpoint {server_us:.1f} us",
        )


def start_endpoint(model_url: str, variant: str) -> tuple[subprocess.Popen[bytes], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "endpoint",
            "--port",
            "0",
            "--model",
            model_url,
            "--variant",
            variant,
            "--endpoint-name",
            "bench",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert process.stderr is not None
    url = ""
    for raw in process.stderr:  # gunicorn's log: "Listening at: http://...", then "Booting worker"
        line = raw.decode()
        if "Listening at: " in line:
            url = line.split("Listening at: ")[1].split()[0]
        if "Booting worker" in line:
            break
    return process, url


def main() -> None:
    report = Report()
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 5000, seed=7)
    with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
        log("training the model (5,000 synthetic rows, the default parameters)")
        trained = fit(
            build_matrix(schema, answers), tiers, feature_names=list(schema.feature_names), seed=7, nthread=2
        )
        uri = save_artifacts(base_url=f"file://{tmp}", version=1, booster=trained.booster, metadata={})
        model: Any = SimpleNamespace(  # a model version-like object: what the scorers read
            version=1,
            artifact_uri=uri,
            feature_names=list(schema.feature_names),
            thresholds=dict(DEFAULT_THRESHOLDS),
            params=trained.params,
            target=Target.TIERS,
        )
        sample, _ = synthetic.generate(schema, 200, seed=99)
        batch = build_matrix(schema, sample)
        row = batch[:1]
        booster = load_booster(uri)
        process, url = start_endpoint(uri.removeprefix("file://"), "v1")
        try:
            settings.SAGEMAKER_RUNTIME_URL = url
            settings.SAGEMAKER_ENDPOINT_NAME = "bench"
            scorer = SageMakerScorer()
            host, port = url.removeprefix("http://").split(":")
            connection = http.client.HTTPConnection(host, int(port))
            body = encode_csv(row)

            def container() -> bytes:
                connection.request(
                    "POST",
                    "/invocations",
                    body=body,
                    headers={"Content-Type": "text/csv", "Accept": "text/csv"},
                )
                return connection.getresponse().read()

            log(f"timing {REPS:,} single-row calls each")
            report.section(f"One row, {trained.booster.num_boosted_rounds()} trees per class, depth 3")
            record(
                report, "bare xgboost inplace_predict", timed_us(lambda: booster.inplace_predict(row), REPS)
            )
            record(
                report,
                "InProcessScorer.predict_proba",
                timed_us(lambda: InProcessScorer().predict_proba(model, row), REPS),
            )
            record(report, "local endpoint, container API over HTTP (keep-alive)", timed_us(container, REPS))
            record(
                report,
                "SageMakerScorer via boto3 to the local endpoint",
                timed_us(lambda: scorer.predict_proba(model, row), REPS),
                note="invoke_endpoint: signing, HTTP, CSV both ways",
            )
            report.section("A micro-batch of 200 rows, per row")
            batch_reps = max(REPS // 20, 20)
            record(
                report,
                "bare xgboost inplace_predict",
                timed_us(lambda: booster.inplace_predict(batch), batch_reps),
                per=BATCH,
            )
            whole = timed_us(lambda: scorer.predict_proba(model, batch), batch_reps)
            record(report, "SageMakerScorer via boto3 to the local endpoint", whole, per=BATCH)
            report.section(f"A micro-batch of {BATCH} rows: the parts of one call, p50 per row", "parts")
            record_parts(report, uri.removeprefix("file://"), batch, percentile(whole, 50))
            log(f"concurrent callers, {CONCURRENT_SECONDS:g} s each")
            report.section(f"Concurrent callers, {BATCH}-row micro-batches, boto3 to the local endpoint")
            concurrent_callers(report, process, url, batch)
        finally:
            process.terminate()
            process.wait(timeout=10)
    report.print_table("Scoring latency: in-process, local endpoint, bare XGBoost")


if __name__ == "__main__":
    main()
