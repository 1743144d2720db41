"""The local DynamoDB: the `dynalite` npm package (DynamoDB's API over LevelDB) on 127.0.0.1.

The same boto3 code that talks to AWS talks to it; only the endpoint differs
(DYNAMODB_ENDPOINT_URL). Its data lives in a folder (var/dynalite by default), so items
survive a restart, as they do on AWS.

    python -m ops.dynalite [--port 4567] [--path var/dynalite]   # foreground; Ctrl-C stops

Node 20 runs it; `npm ci` at the repository root installs it (done here when missing,
from package-lock.json). Tests and benches start their own with DynaliteServer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = ROOT / "node_modules" / "dynalite" / "cli.js"
DEFAULT_PORT = 4567


class StandInError(RuntimeError):
    """A stand-in could not be installed or started; the message says what to do."""


def ensure_installed() -> Path:
    """Install the npm stand-ins from package-lock.json if they are not there yet."""
    if CLI.exists():
        return CLI
    npm = shutil.which("npm")
    if npm is None:
        raise StandInError("npm is not installed: install Node.js 20 (with npm) to run dynalite")
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode or not CLI.exists():
        raise StandInError(f"`npm ci` failed in {ROOT}:\n{result.stdout}\n{result.stderr}")
    return CLI


def port_answers(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DynaliteServer:
    """One dynalite process: start, stop (as a crash or a clean stop would), restart on the
    same port and data folder."""

    def __init__(
        self,
        *,
        port: int | None = None,
        path: Path | None = None,
        log_path: Path | None = None,
        table_delay_ms: int = 0,
    ):
        self.port = port or free_port()
        self.path = path
        self.log_path = log_path
        self.table_delay_ms = table_delay_ms
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        node = shutil.which("node")
        if node is None:
            raise StandInError("node is not installed: install Node.js 20 to run dynalite")
        argv = [node, str(ensure_installed()), "--host", "127.0.0.1", "--port", str(self.port)]
        for option in ("--createTableMs", "--deleteTableMs", "--updateTableMs"):
            argv += [option, str(self.table_delay_ms)]
        if self.path is not None:
            self.path.mkdir(parents=True, exist_ok=True)
            argv += ["--path", str(self.path)]
        return argv

    def start(self, timeout: float = 20) -> DynaliteServer:
        if port_answers(self.port):
            raise StandInError(f"port {self.port} is already taken; choose another with --port")
        output = self.log_path.open("ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.argv(), cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while not port_answers(self.port):
            if self.process.poll() is not None:
                raise StandInError(
                    f"dynalite exited with code {self.process.returncode}"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if time.monotonic() > deadline:
                self.stop()
                raise StandInError(f"dynalite did not answer on port {self.port} in {timeout}s")
            time.sleep(0.05)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass
        # LevelDB releases its lock file when the process is gone; wait for the port too.
        deadline = time.monotonic() + 5
        while port_answers(self.port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> DynaliteServer:
        self.stop()
        return self.start()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local DynamoDB (dynalite) in the foreground.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("DYNALITE_PORT", DEFAULT_PORT)))
    parser.add_argument(
        "--path",
        type=Path,
        default=Path(os.environ.get("DYNALITE_PATH", ROOT / "var" / "dynalite")),
        help="LevelDB folder (default var/dynalite)",
    )
    args = parser.parse_args(argv)
    try:
        server = DynaliteServer(port=args.port, path=args.path, table_delay_ms=0)
        command = server.argv()
    except StandInError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"dynalite on http://127.0.0.1:{args.port}, data in {args.path} "
        f"(DYNAMODB_ENDPOINT_URL=http://127.0.0.1:{args.port}); Ctrl-C stops",
        flush=True,
    )
    process = subprocess.Popen(command, cwd=ROOT)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill`, docker stop: stop dynalite too
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
