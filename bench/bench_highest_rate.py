"""The highest rate the whole stack sustains with both sinks on: the sustained-load bench's
stack (gunicorn, a scoring worker, a sinks-and-maintenance worker, beat, PostgreSQL, Redis,
dynalite, the warehouse) is started once, then offered rising rates, each for BENCH_MINUTES
and each followed until every acknowledged application is decided and in both sinks.

A step is "sustained" when every request was acknowledged, the throughput kept up with the
rate (≥ 97 %) and nothing was lost; its "targets held" when, beyond that, the p99 targets
of issue #16 held too: submit→decision ≤ 150 ms, submit→in both sinks ≤ 1 s, POST ≤ 50 ms.
The ramp stops at the first step not sustained: higher rates would only queue more.

Prints one row per step and the highest rate of each kind. A step's figures come from one
run of that step; with BENCH_MINUTES=5 it is "the highest rate sustained for 5 minutes".

Run from the repo root: .venv/bin/python bench/bench_highest_rate.py
Environment: BENCH_RATES (default 25,50,75,100,150,200), BENCH_MINUTES (default 5),
BENCH_QUICK=1 (20 s a step), BENCH_WEB_WORKERS, BENCH_REDIS_DB (default 13).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass

from _common import ROOT, Report, log, percentile, pick, run_until_interrupted, warn_if_busy
from _http import SubmitApplication, open_loop
from bench_sustained_load import SinkStack, follow

from ops.dynalite import DynaliteServer

RATES = [float(r) for r in os.environ.get("BENCH_RATES", "25,50,75,100,150,200").split(",") if r.strip()]
SECONDS = pick(float(os.environ.get("BENCH_MINUTES", "5")) * 60, 20)
KEEP_UP = 0.97  # of the rate asked: below this, requests queue in the client
TARGETS_MS = {"submit→decision p99": 150.0, "submit→in both sinks p99": 1000.0, "POST p99": 50.0}


@dataclass
class Step:
    rate: float
    acknowledged: int
    sent: int
    throughput: float
    lost: int
    p99_ms: dict[str, float]

    @property
    def sustained(self) -> bool:
        return self.acknowledged == self.sent and self.throughput >= KEEP_UP * self.rate and not self.lost

    @property
    def targets_held(self) -> bool:
        return self.sustained and all(self.p99_ms[name] <= limit for name, limit in TARGETS_MS.items())


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def run_step(stack: SinkStack, answers: dict[str, object], rate: float, count: int = 0) -> Step:
    count = count or int(rate * SECONDS)
    log(f"step {rate:g}/s: sending {count} applications ({count / rate:g} s)")
    began = time.monotonic()
    sent = open_loop(SubmitApplication(stack.port, stack.token, answers), rate=rate, count=count, threads=32)
    took = time.monotonic() - began
    ids = [json.loads(s.body)["id"] for s in sent if s.status == 202]
    result = follow(stack, ids)
    return Step(
        rate=rate,
        acknowledged=len(ids),
        sent=count,
        throughput=len(ids) / took,
        lost=result["lost"],
        p99_ms={
            "submit→decision p99": percentile(result["server_ms"], 99),
            "submit→in both sinks p99": percentile(result["end_to_end"], 99),
            "POST p99": percentile([s.latency * 1000 for s in sent], 99),
        },
    )


def main() -> None:
    report = Report()
    warn_if_busy()
    answers = json.loads((ROOT / "examples" / "application.json").read_text())["answers"]
    data = ROOT / "var" / f"bench-dynalite-{uuid.uuid4().hex[:8]}"
    dynalite = DynaliteServer(path=data, log_path=None).start()
    steps: list[Step] = []
    try:
        with SinkStack(dynalite) as stack:
            stack.start()
            # Warm up: the first applications pay the workers' one-time loads (the model, its
            # reasons tables), which no step should count.
            run_step(stack, answers, 10.0, count=20)
            for rate in RATES:
                step = run_step(stack, answers, rate)
                steps.append(step)
                report.section(f"{rate:g} applications/s for {SECONDS:g} s", key=f"rate {rate:g}")
                report.record(
                    "throughput",
                    step.throughput,
                    "applications/s",
                    f"{step.acknowledged} of {step.sent} acknowledged",
                )
                report.record("lost", step.lost, "applications", "must be 0")
                for name, value in step.p99_ms.items():
                    report.record(name, value, "ms", f"target ≤ {TARGETS_MS[name]:,.0f} ms")
                report.record(
                    "sustained / targets held",
                    int(step.sustained) + int(step.targets_held),
                    "of 2",
                    f"sustained: {_yes(step.sustained)}; targets held: {_yes(step.targets_held)}",
                )
                if not step.sustained:
                    log(f"{rate:g}/s not sustained; higher rates are not tried")
                    break
    finally:
        dynalite.stop()
        shutil.rmtree(data, ignore_errors=True)
    report.section(f"highest rate over {SECONDS:g} s steps", key="highest")
    sustained = [s.rate for s in steps if s.sustained]
    held = [s.rate for s in steps if s.targets_held]
    report.record(
        "highest rate sustained (0 lost, kept up)",
        max(sustained, default=0),
        "applications/s",
        f"of {', '.join(f'{r:g}' for r in RATES)} tried in turn",
    )
    report.record(
        "highest rate with the p99 targets held",
        max(held, default=0),
        "applications/s",
        "0 means none of the rates tried held them",
    )
    report.print_table("bench_highest_rate: the sustained-load stack at rising rates, both sinks on")


if __name__ == "__main__":
    run_until_interrupted(main)
