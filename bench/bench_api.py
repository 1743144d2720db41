"""The API and the pipeline behind it, end to end, on a real stack started for the run.

1. GET /healthz, a trivial JSON view on the same server: the ceiling the stack allows.
2. POST /api/v1/applications/ as fast as it is answered with the worker paused: the API
   alone (validation, one transaction, the Celery enqueue); then the worker resumes and
   drains the backlog, scoring in full batches.
3. The same with the worker running beside the API on the same two cores, as deployed.
4. Submissions at a modest fixed rate, each followed until its decision is stored:
   submit→decision latency, how long the last ones take, and how many are lost (must be 0).

Run from the repo root: .venv/bin/python bench/bench_api.py   (BENCH_QUICK=1: short)
Environment: BENCH_CLIENTS (closed-loop client processes), BENCH_RATE (submissions/s).
"""

from __future__ import annotations

import json
import math
import os
import resource
import threading
import time
from typing import Any

from _common import DISTURBED_CORES, ROOT, Report, log, percentile, pick, run_until_interrupted, warn_if_busy
from _http import Get, LoadResult, Sent, SubmitApplication, closed_loop, open_loop
from _stack import Stack

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))  # a request queued behind most web workers
WARMUP = pick(2.0, 1.0)  # seconds before counting: imports, pools, caches all warm
DURATION = pick(10.0, 3.0)
RATE = float(os.environ.get("BENCH_RATE", "50"))
COUNT = int(pick(1000, 150))  # applications sent at RATE in the latency phase
DRAIN_TIMEOUT = 60.0  # the pipeline must score everything within this, or it is lost


def ms(seconds: list[float], p: float) -> float:
    return percentile(seconds, p) * 1000


def client_cpu() -> float:
    """CPU seconds of this process and its finished children (the load generator)."""
    return sum(
        getattr(resource.getrusage(who), field)
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for field in ("ru_utime", "ru_stime")
    )


def measured_load(stack: Stack, request: Get | SubmitApplication) -> tuple[LoadResult, dict[str, float]]:
    """The closed loop, plus the cores each part of the stack used in its counted window
    (the load generator's share over warm-up and window: its CPU is known once it exits)."""
    start = time.time() + 0.5
    marks: dict[str, dict[str, float]] = {}
    timers = [
        threading.Timer(at - time.time(), lambda n=name: marks.update({n: stack.cpu_seconds()}))
        for name, at in (("from", start + WARMUP), ("to", start + WARMUP + DURATION))
    ]
    client_before = client_cpu()
    try:
        for timer in timers:
            timer.daemon = True
            timer.start()
        load = closed_loop(request, clients=CLIENTS, warmup=WARMUP, duration=DURATION, start=start)
        for timer in timers:
            timer.join()
    finally:
        for timer in timers:  # after a Ctrl-C, a pending snapshot must not delay the exit
            timer.cancel()
    cores = {name: (marks["to"][name] - marks["from"][name]) / DURATION for name in marks["to"]}
    cores["load generator"] = (client_cpu() - client_before) / (WARMUP + DURATION)
    machine = cores.pop("machine")
    cores["everything else"] = max(machine - sum(cores.values()), 0.0)
    return load, cores


def record_load(report: Report, load: LoadResult, cores: dict[str, float], expected: int, unit: str) -> float:
    rate = report.record(
        "throughput", load.ok(expected) / load.seconds, unit, f"{CLIENTS} clients, {load.seconds:.0f}s"
    )
    report.record("latency p50", ms(load.latencies, 50), "ms")
    report.record("latency p99", ms(load.latencies, 99), "ms")
    unexpected = {("error" if s == -1 else s): n for s, n in load.statuses.items() if s != expected}
    report.record(
        "other answers", sum(unexpected.values()), "requests", str(unexpected) if unexpected else ""
    )
    for name, used in cores.items():
        report.record(f"CPU of {name}", used, "cores", f"of {os.cpu_count()}")
    # Redis and the kernel's share of loopback traffic stay well under this; more means
    # another load shared the machine and every figure of this section is disturbed.
    if cores["everything else"] > DISTURBED_CORES:
        report.record(
            "DISTURBED: another load used CPU", cores["everything else"], "cores", "rerun on a quiet machine"
        )
    mine = sum(used for name, used in cores.items() if name != "everything else")
    report.record(
        "CPU per request, all parts",
        1000 * mine / rate if rate else math.nan,
        "ms",
        "cores used / requests per second",
    )
    return rate


def record_worker(report: Report, stack: Stack, since: int) -> None:
    """Each submission publishes its own message; when an earlier task's batch already
    took its application, the task claims whatever else waits, often nothing."""
    tasks = stack.worker_tasks(since)
    scoring = [scored for _, scored in tasks if scored]
    report.record(
        "worker tasks run",
        len(tasks),
        "tasks",
        f"{len(tasks) - len(scoring)} scored nothing; {sum(s for s, _ in tasks):.2f}s inside tasks",
    )
    report.record(
        "applications per scoring task",
        sum(scoring) / len(scoring) if scoring else math.nan,
        "mean",
        f"largest {max(scoring, default=0)}",
    )


def wait_until_drained(stack: Stack, timeout: float) -> dict[str, float]:
    """What waits (applications, broker messages), and how long until each is gone."""
    with stack.connect() as db:

        def waiting() -> int:
            (count,) = db.execute(
                "SELECT count(*) FROM applicants_application WHERE status IN ('received', 'scoring')"
            ).fetchone() or (0,)
            return int(count)

        began = time.perf_counter()
        found = {"applications": waiting(), "messages": stack.queued_messages()}
        done: dict[str, float] = {}
        while len(done) < 2 and time.perf_counter() - began < timeout:
            if "scored" not in done and not waiting():
                done["scored"] = time.perf_counter() - began
            if "scored" in done and not stack.queued_messages():
                done["emptied"] = time.perf_counter() - began
            time.sleep(0.02)
    return {**found, "scored": done.get("scored", math.nan), "emptied": done.get("emptied", math.nan)}


def submit_burst(
    report: Report, stack: Stack, submit: SubmitApplication, ceiling: float, *, paused: bool
) -> None:
    """Submissions as fast as answered, then the drain of what they left for the worker."""
    worker = "paused" if paused else "running"
    report.section(f"POST /api/v1/applications/, worker {worker}", key=f"POST worker {worker}")
    since = stack.worker_log_size()
    stack.pause_worker(paused)
    load, cores = measured_load(stack, submit)
    rate = record_load(report, load, cores, 202, "submissions/s")
    report.record("vs GET /healthz", 100 * rate / ceiling if ceiling else math.nan, "%", "throughput ratio")
    stack.pause_worker(False)
    drained = wait_until_drained(stack, DRAIN_TIMEOUT)
    then = "worker resumed" if paused else "afterwards"
    report.record(f"{then}: applications waiting", drained["applications"], "applications")
    report.record(f"{then}: broker messages queued", drained["messages"], "messages")
    if paused:
        report.record(f"{then}: seconds until all scored", drained["scored"], "s")
        report.record(
            f"{then}: backlog scoring rate",
            drained["applications"] / drained["scored"] if drained["scored"] else math.nan,
            "applications/s",
        )
    report.record(f"{then}: seconds until broker queue empty", drained["emptied"], "s")
    record_worker(report, stack, since)


def follow_decisions(stack: Stack, sent: list[Sent], timeout: float) -> dict[str, Any]:
    """Poll until every accepted application has a current decision (or `timeout` passes
    after the last answer); then read each one's submit→decision times."""
    accepted = {json.loads(s.body)["id"]: s for s in sent if s.status == 202}
    ids = list(accepted)
    last_answer = max(s.sent_at + s.latency for s in sent)
    with stack.connect() as db:
        while True:
            (done,) = db.execute(
                "SELECT count(*) FROM scoring_decision WHERE is_current AND application_id = ANY(%s::uuid[])",
                [ids],
            ).fetchone() or (None,)
            if done == len(ids) or time.time() - last_answer > timeout:
                break
            time.sleep(0.02)
        drained_at = time.time()
        rows = db.execute(
            "SELECT application_id::text, latency_ms, extract(epoch FROM created_at) "
            "FROM scoring_decision WHERE is_current AND application_id = ANY(%s::uuid[])",
            [ids],
        ).fetchall()
        statuses: dict[str, int] = dict(
            db.execute(
                "SELECT status, count(*) FROM applicants_application "
                "WHERE id = ANY(%s::uuid[]) GROUP BY status",
                [ids],
            ).fetchall()
        )
    return {
        "accepted": len(ids),
        "server_ms": [float(latency) for _, latency, _ in rows],
        # Client and database share the machine's clock: from the request leaving the
        # client to the decision row being written.
        "client_s": [float(at) - accepted[app].sent_at for app, _, at in rows],
        "drain_s": drained_at - last_answer if done == len(ids) else math.nan,
        "lost": len(ids) - len(rows),
        "statuses": statuses,
    }


def fixed_rate(report: Report, stack: Stack, submit: SubmitApplication) -> int:
    """Submissions at RATE, each followed to its decision. Returns how many were lost."""
    report.section(f"{COUNT} submissions at {RATE:g}/s, each followed to its decision", key="fixed rate")
    since = stack.worker_log_size()
    sent = open_loop(submit, rate=RATE, count=COUNT)
    followed = follow_decisions(stack, sent, DRAIN_TIMEOUT)
    report.record(
        "submissions accepted",
        followed["accepted"],
        "applications",
        f"of {COUNT} sent on schedule at {RATE:g}/s",
    )
    report.record("POST latency p50", ms([s.latency for s in sent], 50), "ms")
    report.record("POST latency p99", ms([s.latency for s in sent], 99), "ms")
    for p in (50, 99):
        report.record(
            f"submit→decision p{p}, Decision.latency_ms",
            percentile(followed["server_ms"], p),
            "ms",
            "stored: created → decided",
        )
    for p in (50, 99):
        report.record(
            f"submit→decision p{p}, client", ms(followed["client_s"], p), "ms", "request sent → decision row"
        )
    report.record("last answer → all decided", followed["drain_s"], "s")
    record_worker(report, stack, since)
    report.record(
        "lost (accepted, never decided)",
        followed["lost"],
        "applications",
        "must be 0" if not followed["lost"] else f"statuses: {followed['statuses']}",
    )
    if followed["lost"]:
        log("worker log tail:\n" + stack.log_tail("worker"))
    return followed["lost"]


def main() -> None:
    report = Report()
    warn_if_busy()
    answers = json.loads((ROOT / "examples" / "application.json").read_text())["answers"]
    with Stack(train_rows=5000) as stack:
        stack.start()
        submit = SubmitApplication(stack.port, stack.token, answers)
        log(f"1/4 GET /healthz, {CLIENTS} clients, {DURATION:g}s")
        report.section("GET /healthz (trivial JSON view, same server)", key="GET /healthz")
        load, cores = measured_load(stack, Get("/healthz", stack.port))
        ceiling = record_load(report, load, cores, 200, "requests/s")
        for step, paused in ((2, True), (3, False)):
            log(
                f"{step}/4 POST /api/v1/applications/, worker {'paused' if paused else 'running'}, "
                f"{CLIENTS} clients, {DURATION:g}s, then the drain"
            )
            submit_burst(report, stack, submit, ceiling, paused=paused)
        log(f"4/4 {COUNT} submissions at {RATE:g}/s, each followed to its decision")
        lost = fixed_rate(report, stack, submit)
    report.print_table(
        f"bench_api: gunicorn ({stack.web_workers} sync workers) + Celery workers + PostgreSQL + Redis"
    )
    if lost:
        raise SystemExit(f"{lost} applications were never decided")


if __name__ == "__main__":
    run_until_interrupted(main)
