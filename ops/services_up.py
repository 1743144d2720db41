"""Make sure PostgreSQL and Redis answer on 127.0.0.1 before the tests (or a bench) run.

They already run on the dev and CI machines; if one is installed but stopped, start it
with the machine's own command, then wait until it answers. Nothing is installed here.
Usage: python -m ops.services_up
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import time

SERVICES = {
    "PostgreSQL": (
        "127.0.0.1",
        5432,
        lambda: [
            ["pg_ctlcluster", "--skip-systemctl-redirect", os.path.basename(v), "main", "start"]
            for v in sorted(glob.glob("/etc/postgresql/*"))
        ],
    ),
    "Redis": (
        "127.0.0.1",
        6379,
        lambda: [
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ]
        ],
    ),
}


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def ensure(name: str, host: str, port: int, commands: list[list[str]]) -> bool:
    if answers(host, port):
        return True
    print(f"{name} is not answering on {host}:{port}; starting it", flush=True)
    for command in commands:
        if shutil.which(command[0]) is None:
            continue
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if answers(host, port):
            return True
        time.sleep(0.5)
    print(f"{name} did not start on {host}:{port}; install it or start it by hand", file=sys.stderr)
    return False


def main() -> int:
    ok = all(ensure(name, host, port, make()) for name, (host, port, make) in SERVICES.items())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
