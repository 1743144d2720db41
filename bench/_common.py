"""Helpers every bench script shares: recording a figure, percentiles, quick mode, a table.

A figure is printed for people and appended as one JSON line to bench/results/latest.jsonl
for machines (CI, comparing runs), so the two can never disagree.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results" / "latest.jsonl"

# The bench scripts import the project's apps (scoring, applicants) from the repo root.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def quick() -> bool:
    """BENCH_QUICK=1 (or yes/true): shorter runs, for a smoke test rather than figures."""
    return os.environ.get("BENCH_QUICK", "").strip().lower() in {"1", "true", "yes", "on"}


def pick(full: float, short: float) -> float:
    """A duration or count: `short` in quick mode, `full` otherwise."""
    return short if quick() else full


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), interpolating between the two nearest ranks.

    Linear interpolation (numpy's default) so a p99 over 200 samples is not simply the
    2nd-largest sample; NaN when there are no samples, so a missing figure stays visible.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class Report:
    """Collects one script's figures: each is written to the JSONL file at once (a crash
    later in the run keeps what was measured) and printed together as a table at the end.

    `section()` groups the figures that follow under a heading; in the JSONL file its key
    prefixes the metric ("GET /healthz: latency p99") so every name is unique.
    """

    def __init__(self, bench: str | None = None):
        self.bench = bench or Path(sys.argv[0]).stem
        self.rows: list[tuple[str, float, str, str] | str] = []  # a str is a heading
        self.prefix = ""

    def section(self, title: str, key: str = "") -> None:
        """Start a group of figures; `key` (default: the title) prefixes their JSON names."""
        self.prefix = key or title
        self.rows.append(title)

    def record(self, metric: str, value: float, unit: str, note: str = "") -> float:
        value = float(value)
        self.rows.append((metric, value, unit, note))
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "metric": f"{self.prefix}: {metric}" if self.prefix else metric,
            "value": None if math.isnan(value) else round(value, 6),
            "unit": unit,
            "bench": self.bench,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        with RESULTS.open("a") as out:
            out.write(json.dumps(line) + "\n")
        return value

    def print_table(self, title: str = "") -> None:
        title = title or self.bench
        if quick():
            title += "  (BENCH_QUICK: short run, figures are rough)"
        width = max([len(row[0]) for row in self.rows if not isinstance(row, str)] + [6])
        print(f"\n{title}\n{'=' * len(title)}")
        for row in self.rows:
            if isinstance(row, str):
                print(f"\n{row}")
                continue
            metric, value, unit, note = row
            note = f"  {note}" if note else ""
            print(f"  {metric:<{width}}  {_format(value):>10}  {unit}{note}")
        print(flush=True)


def _format(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if value == int(value) and abs(value) < 1e12:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) >= 0.01 else f"{value:.2g}"


def machine_cpu_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores; Linux /proc/stat)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    ticks = [int(f) for f in fields]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle, iowait


# Figures are only worth comparing on an otherwise idle machine: on two cores, a test suite
# running beside the bench halves them. Above this many cores used by others, a section says so.
DISTURBED_CORES = 0.25


def warn_if_busy() -> None:
    load = float(Path("/proc/loadavg").read_text().split()[0])
    if load > 0.5:
        log(f"the machine is busy (1-minute load {load:.1f}); figures will be disturbed")


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the tables."""
    print(f"[{Path(sys.argv[0]).stem}] {message}", file=sys.stderr, flush=True)


def run_until_interrupted(main: Callable[[], None]) -> None:
    """Run a bench that starts processes and databases: a Ctrl-C (or a kill, which the stack
    turns into one) ends it with status 130 once what it started is stopped and dropped."""
    try:
        main()
    except KeyboardInterrupt:
        log("interrupted; what the run started is stopped and its databases dropped")
        sys.exit(130)


# --- in-process Django benches: a database of their own, timed calls -------------------------

PG = "postgres://postgres@127.0.0.1:5432"


class BenchDatabase:
    """A PostgreSQL database of this run's own for a bench that drives Django in process.

    Made before Django loads (DATABASE_URL points at it), created empty, dropped at the end,
    so a bench never touches the development or test databases."""

    def __init__(self, label: str):
        self.name = f"riskscore_bench_{label}_{os.getpid()}"
        self.url = f"{PG}/{self.name}"
        os.environ["DATABASE_URL"] = self.url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        os.environ["LOG_LEVEL"] = "WARNING"

    def _recreate(self, create: bool) -> None:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            if create:
                conn.execute(f'CREATE DATABASE "{self.name}"')

    def create(self) -> None:
        self._recreate(create=True)

    def drop(self) -> None:
        from django.db import connections

        connections.close_all()
        self._recreate(create=False)


Answer = TypeVar("Answer")


def timed_calls(
    call: Callable[[int], Answer],
    check: Callable[[Answer], bool],
    *,
    requests: int,
    warmup: int,
    cpu: list[float] | None = None,
) -> list[float]:
    """Milliseconds per call after `warmup` calls; every answer is checked (a fast error page
    must not pass for a fast page). With `cpu`, this process's CPU per call is kept too: on a
    busy machine wall time grows with the queue for the cores, CPU time much less."""
    samples = []
    for i in range(warmup + requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = call(i)
        took = (time.perf_counter() - started) * 1000
        took_cpu = (time.process_time() - started_cpu) * 1000
        if not check(response):
            raise SystemExit(f"unexpected answer: {getattr(response, 'status_code', response)}")
        if i >= warmup:
            samples.append(took)
            if cpu is not None:
                cpu.append(took_cpu)
    return samples


# --- seeding stored decisions by COPY --------------------------------------------------------


def copy_decisions(
    model: Any,
    n: int,
    *,
    seed: int,
    channels: Sequence[str] = ("api",),
    personal: bool = False,
    snapshots: bool = False,
    labels: bool = False,
    created_at: Callable[[int], dt.datetime] | None = None,
    step: int = 50_000,
    progress: Callable[[int], None] | None = None,
) -> float:
    """n scored applications with `model`'s current decisions, written by binary COPY (building
    a million through the API would measure the API). Returns seconds.

    Each decision is routed by the model's review policy (scoring.policy.review_route),
    records its review probability and stores its protected groups (as scoring does); a
    routed application waits in review. Options, for what a bench reads: `channels` in turn;
    `personal` encrypts each applicant's personal answers (a date of birth, for age bands)
    instead of an empty dict; `snapshots` stores the feature snapshot and row the pipeline keeps;
    `labels` gives each routed application its final tier (the synthetic truth: confirmed or
    overridden); `created_at(k)` dates row k (default: now).
    Call after django.setup()."""
    import uuid

    import numpy as np
    from django.db import connection

    from applicants.crypto import encrypt_json
    from applicants.fields import EncryptedJSONField
    from applicants.groups import protected_groups
    from applicants.schema import get_schema
    from demo import synthetic
    from scoring.features import build_matrix, feature_row_bytes, feature_snapshot
    from scoring.models import TIERS
    from scoring.policy import review_probability, review_route
    from scoring.probabilities import tier_probabilities, tiers_from_probabilities
    from scoring.scorers import InProcessScorer

    schema = get_schema()
    began = time.perf_counter()
    scorer = InProcessScorer()
    empty_pii = EncryptedJSONField().get_prep_value({})
    policy = model.review_policy or {}
    share = {tier: review_probability(tier, policy) for tier in TIERS}
    applicant = uuid.UUID(int=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO applicants_applicant (id, pii, created_at, updated_at) "
            "VALUES (%s, %s, now(), now()) ON CONFLICT DO NOTHING",
            [applicant, empty_pii],
        )
    done = 0
    for offset in range(0, n, step):
        size = min(step, n - offset)
        rng = np.random.default_rng(seed + offset)
        answers, truth = synthetic.generate(schema, size, seed=seed + offset)
        plain = [{k: v for k, v in a.items() if k not in schema.pii_fields} for a in answers]
        matrix = build_matrix(schema, plain)
        probs = tier_probabilities(model, scorer.predict_proba(model, matrix))
        tiers = tiers_from_probabilities(probs, model.thresholds)
        latency = rng.gamma(2.0, 450, size).astype(int)
        ids = [uuid.uuid4() for _ in range(size)]
        now = dt.datetime.now(dt.UTC)
        when = [created_at(offset + i) if created_at else now for i in range(size)]
        routes = [review_route(ids[i], TIERS[int(tiers[i])], policy) for i in range(size)]
        finals = [TIERS[int(truth[i])] if labels and routes[i][0] else "" for i in range(size)]
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(
                "COPY applicants_application (id, applicant_id, schema_name, schema_hash, answers, pii, "
                "channel, idempotency_scope, request_fingerprint, status, failure_reason, "
                "possible_duplicate, scoring_attempts, created_at, updated_at, final_tier, provenance) "
                "FROM STDIN"
            ) as copy:
                for i in range(size):
                    tier = TIERS[int(tiers[i])]
                    if finals[i]:
                        status = "confirmed" if finals[i] == tier else "overridden"
                    else:
                        status = "in_review" if routes[i][0] else "scored"
                    pii = (
                        encrypt_json({k: answers[i].get(k) for k in schema.pii_fields})
                        if personal
                        else empty_pii
                    )
                    copy.write_row(
                        (
                            ids[i],
                            applicant,
                            schema.name,
                            schema.source_hash,
                            json.dumps(plain[i]),
                            pii,
                            channels[(offset + i) % len(channels)],
                            "",
                            "",
                            status,
                            "",
                            False,
                            1,
                            when[i],
                            when[i],
                            finals[i],
                            "{}",
                        )
                    )
            with raw.copy(
                "COPY scoring_decision (application_id, model_version_id, tier, prob_low, prob_medium, "
                "prob_high, reasons, explanation_method, feature_snapshot, routed_to_review, "
                "routing_reason, review_probability, is_current, latency_ms, created_at, scorer, "
                "protected_groups, feature_row) "
                "FROM STDIN"
            ) as copy:
                for i in range(size):
                    tier = TIERS[int(tiers[i])]
                    copy.write_row(
                        (
                            ids[i],
                            model.pk,
                            tier,
                            float(probs[i][0]),
                            float(probs[i][1]),
                            float(probs[i][2]),
                            "[]",
                            "exact",
                            json.dumps(feature_snapshot(schema, matrix[i])) if snapshots else "{}",
                            routes[i][0],
                            routes[i][1],
                            share[tier],
                            True,
                            int(latency[i]),
                            when[i],
                            "inprocess",
                            # As scoring stores them: the groups on the decision's day.
                            json.dumps(
                                protected_groups(schema, answers[i] if personal else plain[i], when[i].date())
                            ),
                            feature_row_bytes(schema, matrix[i]) if snapshots else None,
                        )
                    )
        done += size
        if progress:
            progress(size)
        else:
            log(f"seeded {done:,} of {n:,}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE applicants_application; ANALYZE scoring_decision")
    return time.perf_counter() - began
