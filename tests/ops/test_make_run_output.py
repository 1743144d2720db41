"""What a newcomer's terminal shows after `make run` (issue #15).

The start-up path of the Makefile's `run` recipe, with its output going to a file as when it
is redirected (not a terminal): migrate, the demo users, the first model's training, then
runplatform. The demo data commands between them are left out to keep this quick; they print
one line each. The platform's "where to go" banner must be the last block, no traceback may
appear (not even for an ordinary 404), training must say how it is getting on, the Celery
banner and the server's request lines go to files under var/log/, and no line is printed twice.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.worker

STEPS = ("migrate", "seed_demo", "train_demo_model", "runplatform")


def _run_recipe() -> list[str]:
    makefile = (Path(settings.BASE_DIR) / "Makefile").read_text()
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe, "the Makefile has a run target"
    return [line.strip() for line in recipe.group(1).splitlines()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(path: Path, text: str, *, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = path.read_text(errors="replace") if path.exists() else ""
        if text in content:
            return content
        time.sleep(0.5)
    raise AssertionError(f"{text!r} did not appear within {timeout:.0f} s in:\n{content[-3000:]}")


def test_make_run_ends_with_its_banner_and_keeps_the_terminal_readable(tmp_path):
    recipe = _run_recipe()
    steps = [line.split("manage.py", 1)[1].split() for line in recipe if "manage.py" in line]
    assert [s[0] for s in steps if s[0] in STEPS] == list(STEPS)
    assert steps[-1][0] == "runplatform", "runplatform is the last step: its banner comes last"

    var = tmp_path / "var"
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG"}
    }
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", RISKSCORE_VAR_DIR=str(var))
    out_path = tmp_path / "make-run.txt"
    python = [sys.executable, "manage.py"]
    with out_path.open("ab") as out:
        for step in steps:
            name = step[0]
            if name not in STEPS or name == "runplatform":
                continue
            args = [a for a in step[1:] if not a.startswith("$(")]
            if name == "train_demo_model":
                args = ["300", *args]  # the smallest demo model: progress lines, not figures
            subprocess.run(
                [*python, name, *args],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=600,
            )
        platform = subprocess.Popen(
            [*python, "runplatform", "--addr", f"127.0.0.1:{port}"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_for(out_path, "Ctrl-C stops everything.", timeout=180)
        with pytest.raises(urllib.error.HTTPError) as refused:  # an ordinary 404
            urllib.request.urlopen(f"http://127.0.0.1:{port}/no-such-page/", timeout=30)
        assert refused.value.code == 404
        _wait_for(var / "log" / "web.log", '"GET /no-such-page/ HTTP/1.1" 404', timeout=30)
        worker_log = _wait_for(var / "log" / "worker.log", "ready.", timeout=120)
    finally:
        os.killpg(platform.pid, signal.SIGTERM)
        platform.wait(timeout=30)

    terminal = out_path.read_text(errors="replace")
    web_log = (var / "log" / "web.log").read_text(errors="replace")
    assert "Traceback" not in terminal and "Traceback" not in web_log
    # Training says how it is getting on when its output is not a terminal.
    assert re.search(r"^  boosting: (round [\d,]+ of at most|done)", terminal, re.M), terminal[-3000:]
    # The banner is the last block, and names the log files.
    blocks = [b for b in re.split(r"\n\s*\n", terminal.strip()) if b.strip()]
    assert "riskscore is running" in blocks[-1] and blocks[-1].rstrip().endswith("Ctrl-C stops everything.")
    assert "var/log/web.log" in blocks[-1] or str(var / "log" / "web.log") in blocks[-1]
    # The Celery banner and the server's chatter live in their files, each line once.
    assert "celery@" not in terminal and "celery@" in worker_log
    assert "Starting development server" not in terminal
    assert web_log.count("Watching for file changes") == 1
    assert web_log.count("Not Found: /no-such-page/") == 1
