"""CPU and SQL of one accepted POST /api/v1/applications/, in-process, on PostgreSQL.

Throughput figures need a quiet machine; CPU per request does not (much): this calls the
project's WSGI application directly (every middleware, DRF, the service, the commit and the
after-commit wake-up, as gunicorn would), one request at a time, and reads
`time.process_time()` around each. For comparison, GET /healthz the same way: the ratio of
the two CPU costs is about the ratio of throughputs bench_api.py measures on a quiet machine.

Then the statements one POST sends (counted with a connection execute wrapper: Django's
request_started signal empties `connection.queries` mid-request), and a cProfile top list.

Run from the repo root: .venv/bin/python bench/bench_post_cpu.py
Environment: BENCH_REQUESTS (timed POSTs, default 400; BENCH_QUICK=1: 150),
BENCH_PROFILE=0 to skip the profile, BENCH_SQL=1 to print the statements of one POST.
Uses its own test database (test_riskscore_post_cpu, kept between runs; --drop drops it)
and Redis database 12 for the wake-ups (emptied at the end; nothing consumes it).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from _common import ROOT, Report, log, percentile, pick

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("TEST_DATABASE_NAME", "test_riskscore_post_cpu")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")
os.environ["API_THROTTLE_USER"] = "1000000/minute"  # as bench/_stack.py: no 429s under load
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", pick(400, 150)))
WARMUP = 50
ANSWERS = json.loads((ROOT / "examples" / "application.json").read_text())["answers"]

Environ = dict[str, Any]


def prepare_database() -> str:
    """The bench's own test database (migrated once, kept), an applicant with a token."""
    from rest_framework.authtoken.models import Token

    from accounts.roles import Role
    from accounts.services import user_create_with_roles

    log(f"preparing database {settings.DATABASES['default']['TEST']['NAME']} (first run migrates)")
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True, serialize=False)
    user = user_create_with_roles(
        username="bench-cpu",
        password="bench-only-pw-1",  # noqa: S106 (the bench's own database)
        roles=[Role.APPLICANT],
    )
    return str(Token.objects.get_or_create(user=user)[0].key)


def post_environ(token: str) -> Environ:
    unique = uuid.uuid4().hex
    body = json.dumps({"answers": {**ANSWERS, "national_id": f"BN-{unique[:16]}"}}).encode()
    return {
        **_base("POST", "/api/v1/applications/"),
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Token {token}",
        "HTTP_IDEMPOTENCY_KEY": unique,
        "wsgi.input": io.BytesIO(body),
    }


def healthz_environ(token: str) -> Environ:
    return {**_base("GET", "/healthz"), "CONTENT_LENGTH": "0", "wsgi.input": io.BytesIO(b"")}


def _base(method: str, path: str) -> Environ:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Caller:
    """Calls the WSGI application as a server would: start_response, read the body, close."""

    def __init__(self) -> None:
        self.app = get_wsgi_application()
        self.statuses: Counter[str] = Counter()
        self.last_body = b""

    def __call__(self, environ: Environ) -> None:
        status: list[str] = []

        def start_response(line: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], object]:
            status.append(line)
            return lambda data: None

        chunks = self.app(environ, start_response)
        try:
            self.last_body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()
        self.statuses[status[0]] += 1


def cpu_per_request(
    call: Caller, make: Callable[[], Environ], count: int, walls: list[float] | None = None
) -> list[float]:
    """Seconds of this process's CPU for each request (the environ is built outside);
    `walls` gets each request's wall time (CPU plus waiting for SQL, commits included)."""
    samples = []
    for _ in range(count):
        environ = make()
        started, wall_started = time.process_time(), time.perf_counter()
        call(environ)
        samples.append(time.process_time() - started)
        if walls is not None:
            walls.append(time.perf_counter() - wall_started)
    return samples


def statements_per_request(call: Caller, make: Callable[[], Environ], count: int) -> list[list[str]]:
    """The SQL each request sends (execute and executemany; BEGIN/COMMIT are not statements)."""
    per_request: list[list[str]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        per_request[-1].append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):  # kept on the wrapper across reconnects
        for _ in range(count):
            per_request.append([])
            call(make())
    return per_request


def main() -> None:
    token = prepare_database()
    call = Caller()
    post = lambda: post_environ(token)  # noqa: E731
    healthz = lambda: healthz_environ(token)  # noqa: E731

    log(f"warming up ({WARMUP} of each)")
    cpu_per_request(call, post, WARMUP)
    cpu_per_request(call, healthz, WARMUP)
    call.statuses.clear()

    log(f"timing {REQUESTS} POSTs and {REQUESTS} GET /healthz, interleaved in blocks")
    post_blocks: list[list[float]] = []
    post_walls: list[float] = []
    health_cpu: list[float] = []
    wall_started = time.perf_counter()
    cpu_started = time.process_time()
    for _ in range(10):
        post_blocks.append(cpu_per_request(call, post, REQUESTS // 10, post_walls))
        health_cpu += cpu_per_request(call, healthz, REQUESTS // 10)
    wall, cpu = time.perf_counter() - wall_started, time.process_time() - cpu_started
    post_cpu = [sample for block in post_blocks for sample in block]
    # On a shared machine other processes slow this one's CPU too (caches, shared cores): the
    # quietest block is the closest to the cost on a quiet machine.
    quietest = min(statistics.median(block) for block in post_blocks)

    queries = statements_per_request(call, post, 20)
    counts = [len(q) for q in queries]

    report = Report()
    report.section("POST /api/v1/applications/ (accepted, a new applicant each)", "post")
    report.record(
        "CPU per request, mean", statistics.fmean(post_cpu) * 1000, "ms", f"{len(post_cpu)} requests"
    )
    report.record("CPU per request, median", statistics.median(post_cpu) * 1000, "ms")
    report.record("CPU per request, median of the quietest block", quietest * 1000, "ms", "of 10")
    report.record("SQL statements per request", statistics.median(counts), "statements", f"min {min(counts)}")
    # One at a time, so no queueing: what waits here is SQL round trips and commits (their
    # WAL flushes), which a busy machine stretches.
    report.record("wall time per request, median", statistics.median(post_walls) * 1000, "ms")
    report.record("wall time per request, p99", percentile(post_walls, 99) * 1000, "ms")
    report.section("GET /healthz", "healthz")
    report.record("CPU per request, median", statistics.median(health_cpu) * 1000, "ms")
    report.section("together")
    report.record(
        "POST / healthz CPU",
        statistics.median(post_cpu) / statistics.median(health_cpu),
        "x",
        "≈ healthz throughput / POST throughput on a quiet machine",
    )
    report.record("this process's share of the wall time", cpu / wall * 100, "%", "the rest: waiting for SQL")
    report.print_table()
    unexpected = {s: n for s, n in call.statuses.items() if not s.startswith(("202", "200"))}
    if unexpected:
        print(f"unexpected answers: {unexpected}; last body: {call.last_body[:500]!r}")

    print("SQL of one POST:")
    for sql in queries[-1]:
        print("  ", " ".join(sql.split())[:160])

    if os.environ.get("BENCH_PROFILE", "1") != "0":
        profiler = cProfile.Profile(time.process_time)  # CPU, not time spent waiting for SQL
        profiler.enable()
        cpu_per_request(call, post, 200)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        # Unlike the CPU time, the same on a busy machine as on a quiet one.
        print(f"Python function calls per POST: {stats.total_calls / 200:,.0f}\n")  # type: ignore[attr-defined]
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        print("cProfile over 200 POSTs:\n" + out.getvalue())

    import redis

    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


if __name__ == "__main__":
    if "--drop" in sys.argv:
        original = connection.settings_dict["NAME"]
        connection.settings_dict["NAME"] = connection.settings_dict["TEST"]["NAME"]
        connection.creation.destroy_test_db(original, verbosity=0)
    else:
        main()
