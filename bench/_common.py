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
from typing import TypeVar

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
