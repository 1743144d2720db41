"""Run the whole platform in one terminal: web server, two Celery workers and beat.

This is what `make run` ends with. Each part is a child process; Ctrl-C (or the end of any
part) stops them all, so nothing is left running in the background.

The terminal stays readable: each part writes its log to var/log/<part>.log (the Celery
banner, the development server's start-up lines, every request); the platform's own "where to
go" banner is printed once the web server answers, so it is the last block on the screen, and
it names those files. After it, only an error line from a part reaches the terminal (one
line, pointing at its log file), so a failing request or task is not missed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.services import DEMO_USERS


class Command(BaseCommand):
    help = "Serve the web app, the scoring worker and the other worker with beat, until Ctrl-C."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default=os.environ.get("RUN_ADDR", "127.0.0.1:8000"))
        parser.add_argument(
            "--ready-timeout",
            type=float,
            default=120.0,
            help="seconds to wait for the web server to answer before printing the banner anyway",
        )

    def handle(self, *args: Any, addr: str, **options: Any) -> None:
        python = sys.executable
        (settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        parts = {"web": [python, "manage.py", "runserver", addr], **worker_commands(python)}
        log_dir = settings.VAR_DIR / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        logs = {name: log_dir / f"{name}.log" for name in parts}
        # Unbuffered, so each line reaches its file (and an error the terminal) as it happens.
        child_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._stopping = False

        def stop(*_: Any) -> None:
            self._stopping = True

        # Before any child starts: a Ctrl-C while they start still stops them all (finally below).
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        children: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name, command in parts.items():
                child = subprocess.Popen(
                    command,
                    cwd=settings.BASE_DIR,
                    start_new_session=True,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    env=child_env,
                )
                children[name] = child
                assert child.stdout is not None
                relay = threading.Thread(
                    target=self._relay, args=(name, child.stdout, logs[name]), daemon=True
                )
                relay.start()
            ready = self._wait_until_answering(addr, children, timeout=options["ready_timeout"])
            if not self._stopping:
                self._banner(addr, logs, ready=ready)
            while not self._stopping:
                ended = [name for name, child in children.items() if child.poll() is not None]
                if ended:
                    self.stderr.write(
                        f"{', '.join(ended)} stopped; stopping the platform "
                        f"(see {', '.join(_shown(logs[name]) for name in ended)})"
                    )
                    break
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    os.killpg(child.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            for child in children.values():
                try:
                    child.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    os.killpg(child.pid, signal.SIGKILL)

    def _relay(self, name: str, stream: IO[bytes], path: Path) -> None:
        """Copy one part's output to its log file. To the terminal go an error line (one line,
        pointing at the file) and a mail printed by the console mail backend (the sign-up
        confirmation link a newcomer needs: README, "Apply in the browser")."""
        in_mail = False
        with path.open("ab", buffering=0) as log:
            log.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')} riskscore: {name} starting ---\n".encode())
            for raw in stream:
                log.write(raw)
                line = raw.decode("utf-8", "replace").rstrip()
                if not in_mail and line.startswith("Content-Type: ") and "MIME-Version" not in line:
                    in_mail = True
                    self.stdout.write(f"\n{name}: a mail (console mail backend; also in {_shown(path)}):")
                if in_mail:
                    self.stdout.write(line)
                    in_mail = line != MAIL_END
                    if not in_mail:
                        self.stdout.flush()
                elif _is_error(line):
                    self.stderr.write(f"{name}: {line[:160]}  (details in {_shown(path)})")

    def _wait_until_answering(
        self, addr: str, children: dict[str, subprocess.Popen[bytes]], *, timeout: float
    ) -> bool:
        """True once the web server accepts connections (then its start-up lines are written)."""
        host, _, port = addr.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._stopping:
            if any(child.poll() is not None for child in children.values()):
                return False
            try:
                with socket.create_connection((host, int(port)), timeout=1):
                    return True
            except OSError:
                time.sleep(0.3)
        return False

    def _banner(self, addr: str, logs: dict[str, Path], *, ready: bool) -> None:
        url = f"http://{addr}/"
        users = ", ".join(DEMO_USERS) if settings.DEBUG else "(create users with createsuperuser)"
        lines = [
            "",
            "  riskscore is running"
            if ready
            else "  riskscore is starting (the web server is slow to answer)",
            f"    apply          {url}apply/   (demo applicant: applicant@example.com)",
            f"    web            {url}",
            f"    API docs       {url}api/docs/",
            f"    admin          {url}admin/",
            f"    chat           {url}chat/",
        ]
        if settings.DEBUG:
            lines.append(f"    phone sim      {url}dev/phone/   (SMS and voice, no Twilio account)")
        lines += [
            f"    log in as      {users}",
            "    password       the DEMO_PASSWORD setting (default: riskscore-demo)",
            f"    logs           {_shown(logs['web'])} (web server, every request)",
            f"                   {_shown(logs['scoring'])} (Celery worker: scoring)",
            f"                   {_shown(logs['worker'])} (Celery worker: sinks, maintenance; beat)",
            "    Ctrl-C stops everything.",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        self.stdout.flush()


def worker_commands(python: str) -> dict[str, list[str]]:
    """The Celery workers, one core's worth each on a 2-core machine: "scoring" scores and
    nothing else, so a submission never waits behind a sink's drain or a periodic job;
    "worker" runs beat, the sinks' drains and the maintenance jobs (the queues:
    CELERY_TASK_ROUTES in config/settings/base.py). Solo pools: one process each."""
    worker = [
        python,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    background = [queue for queue in settings.WORKER_QUEUES if queue != "scoring"]
    return {
        "scoring": [*worker, "-Q", "scoring", "-n", "scoring@%h"],
        "worker": [
            *worker,
            "-Q",
            ",".join(background),
            "--beat",
            f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}",
        ],
    }


MAIL_END = "-" * 79  # what django.core.mail.backends.console writes after each message


def _is_error(line: str) -> bool:
    """A log line at ERROR or CRITICAL (the plain format of LOGGING, or Celery's own)."""
    return any(mark in line for mark in (" ERROR ", " CRITICAL ", "ERROR/", "CRITICAL/"))


def _shown(path: Path) -> str:
    """A log file's path as a newcomer would type it: relative to the project when inside it."""
    try:
        return str(path.relative_to(settings.BASE_DIR))
    except ValueError:
        return str(path)
