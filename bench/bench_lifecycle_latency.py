"""Single-row scoring latency: bare XGBoost, the in-process scorer, and the SageMaker scorer
through boto3 against the local endpoint (a separate process, as a real endpoint is), next
to the endpoint's container API over plain HTTP, so boto3's own share is visible. Then a
micro-batch of 200 rows (how the pipeline calls it) per row.

Run from the repo root: .venv/bin/python bench/bench_lifecycle_latency.py   (BENCH_QUICK=1: short)
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from _common import ROOT, Report, log, percentile, pick

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")

import django

django.setup()

from django.conf import settings  # noqa: E402

from applicants.schema import get_schema  # noqa: E402
from demo import synthetic  # noqa: E402
from modelops.training import DEFAULT_THRESHOLDS, fit  # noqa: E402
from scoring.artifact_store import load_booster, save_artifacts  # noqa: E402
from scoring.features import build_matrix  # noqa: E402
from scoring.models import Target  # noqa: E402
from scoring.sagemaker import SageMakerScorer, encode_csv  # noqa: E402
from scoring.scorers import InProcessScorer  # noqa: E402

REPS = int(pick(2000, 200))
WARMUP = 30


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
                per=200,
            )
            record(
                report,
                "SageMakerScorer via boto3 to the local endpoint",
                timed_us(lambda: scorer.predict_proba(model, batch), batch_reps),
                per=200,
            )
        finally:
            process.terminate()
            process.wait(timeout=10)
    report.print_table("Scoring latency: in-process, local endpoint, bare XGBoost")


if __name__ == "__main__":
    main()
