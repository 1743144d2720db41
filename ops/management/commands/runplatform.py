"""Run the whole platform in one terminal: web server, Celery worker and beat.

This is what `make run` ends with. Each part is a child process; Ctrl-C (or the end of any
part) stops them all, so nothing is left running in the background.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.services import DEMO_USERS


class Command(BaseCommand):
    help = "Serve the web app and run a Celery worker and beat beside it, until Ctrl-C."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--addr", default=os.environ.get("RUN_ADDR", "127.0.0.1:8000"))

    def handle(self, *args: Any, addr: str, **options: Any) -> None:
        python = sys.executable
        (settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        parts = {
            "web": [python, "manage.py", "runserver", addr],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--beat",
                "--pool=solo",
                # Warnings and errors only: the periodic tasks would bury the banner.
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--schedule={settings.VAR_DIR / 'celerybeat-schedule'}",
            ],
        }
        children = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, start_new_session=True)
            for name, command in parts.items()
        }
        self._banner(addr)
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                ended = [name for name, child in children.items() if child.poll() is not None]
                if ended:
                    self.stderr.write(f"{', '.join(ended)} stopped; stopping the platform")
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

    def _banner(self, addr: str) -> None:
        url = f"http://{addr}/"
        users = ", ".join(DEMO_USERS) if settings.DEBUG else "(create users with createsuperuser)"
        self.stdout.write(
            self.style.SUCCESS(
                "\n  riskscore is starting\n"
                f"    apply          {url}apply/   (demo applicant: applicant@example.com)\n"
                f"    web            {url}\n"
                f"    API docs       {url}api/docs/\n"
                f"    admin          {url}admin/\n"
                f"    chat           {url}chat/\n"
                + (
                    f"    phone sim      {url}dev/phone/   (SMS and voice, no Twilio account)\n"
                    if settings.DEBUG
                    else ""
                )
                + f"    log in as      {users}\n"
                f"    password       the DEMO_PASSWORD setting (default: riskscore-demo)\n"
                "    Ctrl-C stops everything.\n"
            )
        )
