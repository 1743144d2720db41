"""The full stack on 127.0.0.1 for a benchmark: its own PostgreSQL database and Redis
database, a trained active model, a user with an API token, gunicorn and two Celery workers
(one for the scoring queue, one for the sinks and maintenance queues).

Everything it creates it removes again, also when the run fails or is interrupted: the
processes run in their own sessions (a Ctrl-C in the terminal does not reach them, so
their stop is ours to do, in order) and the database is dropped with FORCE.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Self

import psycopg
import redis
from _common import ROOT, log, machine_cpu_seconds

_SUCCEEDED = re.compile(r"score_waiting\[[^\]]+\] succeeded in ([0-9.e-]+)s: (\d+)")
# Celery's task lines, in the project's log format ("2026-11-29 06:12:32,739 INFO
# celery.app.trace: Task name[id] succeeded in 0.01s: 3") or Celery's own ("[2026-... : INFO/...]").
_TASK_LINE = re.compile(
    r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})\b.*?Task ([\w.]+)\[([0-9a-f-]+)\] "
    r"(received|succeeded in ([0-9.e+-]+)s: (.*)|raised|failed|retry)"
)
PG = "postgres://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379"

_CREATE_USER = """
from accounts.roles import Role
from accounts.services import user_create_with_roles
from rest_framework.authtoken.models import Token
user = user_create_with_roles(username="bench", password="bench-only-pw-1", roles=[Role.APPLICANT])
print("TOKEN", Token.objects.get_or_create(user=user)[0].key)
"""


@dataclass(frozen=True)
class TaskRun:
    """One task a worker ran, from its log: epoch seconds on the machine's clock (the same
    clock the database's timestamps come from)."""

    worker: str
    name: str
    start: float
    end: float
    result: str = ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """Use as a context manager; `start()` brings everything up, leaving it tears it down."""

    def __init__(
        self,
        *,
        database: str = "riskscore_bench",
        redis_db: int = 13,
        web_workers: int = int(os.environ.get("BENCH_WEB_WORKERS", "3")),
        train_rows: int = 5000,
    ):
        self.database, self.redis_db = database, redis_db
        self.web_workers, self.train_rows = web_workers, train_rows
        self.port = free_port()
        self.database_url = f"{PG}/{database}"
        self.broker_url = f"{REDIS}/{redis_db}"
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        # Worker name -> the queues it consumes (None: every queue the settings declare), as
        # `make run` and compose start them: "worker" scores, "background" runs the sinks'
        # drains and the maintenance jobs (config/settings/base.py, CELERY_TASK_ROUTES).
        self.workers: dict[str, list[str] | None] = {
            "worker": ["scoring"],
            "background": ["sinks", "maintenance", "celery"],
        }
        if os.environ.get("BENCH_LAYOUT") == "single":  # the layout before #16: one worker, every queue
            self.workers = {"worker": ["scoring", "sinks", "maintenance", "celery"]}
        self.token = ""
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.broker_url,
            # The default user rate (1200/minute) would turn most of the load into 429s.
            "API_THROTTLE_USER": "1000000/minute",
            # Artifacts in the run's own folder, not the tests' var/test-models.
            "MODEL_STORAGE_URL": f"file://{self.tmp / 'models'}",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        # A `kill` of the bench should clean up like a Ctrl-C does.
        self._old_sigterm = signal.signal(signal.SIGTERM, _raise_interrupt)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            signal.signal(signal.SIGTERM, self._old_sigterm)

    def start(self) -> None:
        self._fresh_database()
        self.redis().flushdb()
        log("migrating the bench database")
        self.manage("migrate", "--noinput")
        log(f"training and activating a model on {self.train_rows:,} synthetic rows")
        self.manage("train_demo_model", str(self.train_rows), "--bootstrap")
        out = self.manage("shell", "-c", _CREATE_USER)
        self.token = next(line.split()[1] for line in out.splitlines() if line.startswith("TOKEN "))
        self._start_web()
        for name, queues in self.workers.items():
            self._start_worker(name, queues)

    def stop(self) -> None:
        # The web first (no new work), then the worker, then the data they were using. Each
        # step is tried even if one before it failed, so one fault leaves nothing else behind.
        steps = [
            lambda: self._terminate("web"),
            *[lambda name=name: self._terminate(name) for name in self.workers],
            lambda: self.redis().flushdb(),
            self._drop_database,
            lambda: shutil.rmtree(self.tmp, ignore_errors=True),
        ]
        for step in steps:
            try:
                step()
            except Exception as exc:
                log(f"cleanup step failed: {type(exc).__name__}: {exc}")

    # --- pieces ------------------------------------------------------------------------------

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.broker_url)

    def queued_messages(self) -> int:
        """Messages waiting in the broker, on every queue (Redis keeps one list per queue)."""
        broker = self.redis()
        return sum(broker.llen(queue) for queue in ("scoring", "sinks", "maintenance", "celery"))

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.database_url, autocommit=True)

    def _fresh_database(self) -> None:
        self._drop_database()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self.database}"')

    def _drop_database(self) -> None:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        log_file = (self.tmp / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv, cwd=ROOT, env=self.env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    def _start_web(self) -> None:
        # Sync workers, as the Dockerfile and compose deploy them (one request at a time per
        # process, no keep-alive): 3 by default, so one's database round trips overlap
        # another's Python on 2 cores (BENCH_WEB_WORKERS).
        log(f"starting gunicorn ({self.web_workers} workers) on port {self.port}")
        self._spawn(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers",
                str(self.web_workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
            ],
        )
        self._wait("gunicorn to answer /healthz", self._web_ready, "web")

    def _web_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                return r.status == 200
        except OSError:
            return False

    def _start_worker(self, name: str, queues: list[str] | None) -> None:
        consumes = f"queues {','.join(queues)}" if queues else "every queue"
        # A worker that does not score may run at a lower CPU priority (BENCH_BACKGROUND_NICE),
        # as `make run` and compose run it: on 2 cores its drains then yield to the web and scoring.
        background = bool(queues) and "scoring" not in (queues or [])
        nice = int(os.environ.get("BENCH_BACKGROUND_NICE", "0")) if background else 0
        # BENCH_BACKGROUND_CONCURRENCY=2 runs the background worker as compose does (a prefork
        # pool of two, so a long job holds one process while drains run on the other). On 2
        # cores at 100/s the second process cost the web more than the sinks gained (POST p99
        # 4.6 s, 93/s kept, against 61 ms and 100/s with one), so the bench's default is one.
        processes = int(os.environ.get("BENCH_BACKGROUND_CONCURRENCY", "1")) if background else 1
        pool = ["--pool=solo"] if processes == 1 else ["--pool=prefork", f"--concurrency={processes}"]
        log(
            f"starting Celery worker {name!r} ({pool[0][7:]} pool of {processes}, {consumes}"
            f"{f', nice {nice}' if nice else ''})"
        )
        self._spawn(
            name,
            [
                *(["nice", "-n", str(nice)] if nice else []),
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                *pool,
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
                *(["-Q", ",".join(queues)] if queues else []),
                "-n",
                f"bench-{name}-{os.getpid()}@%h",
            ],
        )
        log_path = self.tmp / f"{name}.log"
        self._wait(f"worker {name!r} to start", lambda: b"ready." in log_path.read_bytes(), name)

    def _wait(self, what: str, ready: object, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited while waiting for {what}:\n{self.log_tail(name)}")
            if ready():  # type: ignore[operator]
                return
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what}:\n{self.log_tail(name)}")

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.tmp / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def pause_worker(self, paused: bool) -> None:
        """Freeze (SIGSTOP) or thaw the scoring worker: submissions then queue up as they would
        behind a busy or restarting worker, and the API is measured alone."""
        os.killpg(self.processes["worker"].pid, signal.SIGSTOP if paused else signal.SIGCONT)

    # --- what the stack's processes did --------------------------------------------------------

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by the web server, the worker and the database's backends
        for the bench database, each with all its processes, and by the whole machine
        ("machine"); read from /proc (Linux)."""
        sessions = {p.pid: name for name, p in self.processes.items()}
        used = dict.fromkeys(["web", "worker", *self.processes, "postgres"], 0.0)
        tick = os.sysconf("SC_CLK_TCK")
        # The whole machine's busy time too: what is not ours is Redis, the kernel, or
        # someone else's load disturbing the run.
        used["machine"] = machine_cpu_seconds()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
            except OSError:  # it exited meanwhile
                continue
            seconds = (int(fields[11]) + int(fields[12])) / tick
            if int(fields[3]) in sessions:
                used[sessions[int(fields[3])]] += seconds
            elif command.startswith(b"postgres:") and self.database.encode() in command:
                used["postgres"] += seconds
        return used

    def wait_settled(self, name: str, timeout: float = 60) -> None:
        """Until process `name` has finished starting (imports, Django's checks): its CPU time
        stops growing. A process still importing when a measurement begins would count its
        start-up as load."""
        deadline = time.monotonic() + timeout
        before = self.cpu_seconds()[name]
        while time.monotonic() < deadline:
            time.sleep(0.5)
            now = self.cpu_seconds()[name]
            if now - before < 0.02:
                return
            before = now
        log(f"{name} still busy after {timeout:g} s; its start-up may count as load")

    def worker_log_size(self) -> int:
        return (self.tmp / "worker.log").stat().st_size

    def worker_tasks(self, since: int) -> list[tuple[float, int]]:
        """(seconds, applications scored) of each scoring task finished since log offset
        `since`, from Celery's "Task ... succeeded in 0.002s: 3" lines."""
        with (self.tmp / "worker.log").open("rb") as log_file:
            log_file.seek(since)
            text = log_file.read().decode(errors="replace")
        return [(float(m[1]), int(m[2])) for m in _SUCCEEDED.finditer(text)]

    def scoring_workers(self) -> list[str]:
        """The workers that consume the scoring queue (every worker started without -Q)."""
        return [name for name, queues in self.workers.items() if not queues or "scoring" in queues]

    def task_runs(self, workers: list[str] | None = None) -> list[TaskRun]:
        """Every task the workers (default: all) ran, from their logs' "received" and
        "succeeded in"/"raised" lines: a task ran from `end - runtime` (or from its receipt,
        when the line gives no runtime) to the line that ends it."""
        runs: list[TaskRun] = []
        for name in workers or list(self.workers):
            path = self.tmp / f"{name}.log"
            if not path.exists():
                continue
            received: dict[str, float] = {}
            for line in path.read_text(errors="replace").splitlines():
                match = _TASK_LINE.match(line)
                if not match:
                    continue
                at = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").timestamp()  # local time
                task, task_id, what = match[2], match[3], match[4]
                if what == "received":
                    received[task_id] = at
                    continue
                start = at - float(match[5]) if match[5] else received.get(task_id, at)
                runs.append(TaskRun(name, task, start, at, (match[6] or "").strip()))
        return sorted(runs, key=lambda run: run.start)

    def _terminate(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGCONT)  # a paused process cannot handle SIGTERM
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:  # it exited between the poll and the signal
            pass


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
