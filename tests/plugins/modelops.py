"""Fixtures shared by the model lifecycle tests (see docs/model-lifecycle.md).

`local_endpoint`: the project's SageMaker-compatible endpoint (the `endpoint` package under
gunicorn, wrapped in the test-only fault-injection middleware of tests/endpoint/fault_injection.py)
as a real process on a free 127.0.0.1 port, started once per session, with this process's
SAGEMAKER_RUNTIME_URL / SAGEMAKER_ENDPOINT_NAME settings pointed at it for each test.
Tests (and other teams' fault tests) drive it through the returned LocalEndpoint:

    local_endpoint.serve(model_version)          # load its model.tar.gz, variant "v<version>"
    local_endpoint.fail(500, count=2)            # runtime answers 500 InternalFailure (twice)
    local_endpoint.fail_in_model(400)            # the container answers 400 -> ModelError
    local_endpoint.slow(5)                       # answer after 5 s (past a short read timeout)
    local_endpoint.drop()                        # close connections without answering
    local_endpoint.heal(); local_endpoint.stats()
    local_endpoint.stop(); local_endpoint.start(); local_endpoint.restart()
    local_endpoint.env()                         # env vars for a worker process to use it
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from endpoint.__main__ import gunicorn_argv

ROOT = Path(__file__).resolve().parents[2]
ENDPOINT_NAME = "riskscore-test"


class LocalEndpoint:
    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.model_url = ""
        self.variant = "AllTraffic"
        self.endpoint_name = ENDPOINT_NAME

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = gunicorn_argv(
            "tests.endpoint.fault_injection:create_app()", host="127.0.0.1", port=self.port, workers=1
        )
        env = {
            **os.environ,
            "ENDPOINT_MODEL_URL": self.model_url,
            "ENDPOINT_NAME": self.endpoint_name,
            "ENDPOINT_VARIANT": self.variant,
            "ENDPOINT_MODEL_POINTER": "",
        }
        self.log_path.touch()
        offset = self.log_path.stat().st_size
        self.process = subprocess.Popen(
            [*command[:-1], "--error-logfile", str(self.log_path), command[-1]],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            log = self.log_path.read_bytes()[offset:].decode(errors="replace")
            listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log)
            booted = "Booting worker" in log
            if listening and booted:
                self.port = int(listening.group(1))
                self._wait_for_ping()
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(f"the endpoint did not start; see {self.log_path}")

    def _wait_for_ping(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_local/stats", timeout=2):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"the endpoint does not answer; see {self.log_path}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # gunicorn's quick shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def _post(self, path: str, payload: dict[str, Any]) -> None:
        request = urllib.request.Request(  # noqa: S310 (our own server on 127.0.0.1)
            f"{self.url}{path}",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (our own server)
            response.read()

    def serve(self, model: Any, variant: str | None = None) -> None:
        """Serve a ModelVersion (or an artifact URL) as the endpoint's model."""
        url = getattr(model, "artifact_uri", model)
        self.model_url = url
        self.variant = variant or (f"v{model.version}" if hasattr(model, "version") else "AllTraffic")
        self._post("/_local/model", {"url": url, "variant": self.variant})

    def fail(self, status: int = 500, *, count: int | None = None) -> None:
        self._post("/_local/faults", {"status": status, "count": count})

    def fail_in_model(self, status: int = 500, *, count: int | None = None) -> None:
        self._post("/_local/faults", {"model_status": status, "count": count})

    def slow(self, seconds: float, *, count: int | None = None) -> None:
        self._post("/_local/faults", {"delay": seconds, "count": count})

    def drop(self, *, count: int | None = None) -> None:
        self._post("/_local/faults", {"drop": True, "count": count})

    def heal(self) -> None:
        self._post("/_local/faults", {})

    def reset(self) -> None:
        self._post("/_local/reset", {})

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_local/stats", timeout=10) as response:  # noqa: S310
            return json.loads(response.read())

    def env(self) -> dict[str, str]:
        return {
            "SCORER": "sagemaker",
            "SAGEMAKER_RUNTIME_URL": self.url,
            "SAGEMAKER_ENDPOINT_NAME": self.endpoint_name,
        }


@pytest.fixture(scope="session")
def local_endpoint_process(tmp_path_factory: Any) -> Iterator[LocalEndpoint]:
    endpoint = LocalEndpoint(tmp_path_factory.mktemp("endpoint") / "endpoint.log")
    endpoint.start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def local_endpoint(local_endpoint_process: LocalEndpoint, settings: Any) -> Iterator[LocalEndpoint]:
    """The running endpoint, healed and with this process's SageMaker settings pointing at it."""
    endpoint = local_endpoint_process
    if endpoint.process is None or endpoint.process.poll() is not None:
        endpoint.start()  # a previous test stopped it
    endpoint.reset()
    settings.SAGEMAKER_RUNTIME_URL = endpoint.url
    settings.SAGEMAKER_ENDPOINT_NAME = endpoint.endpoint_name
    settings.SAGEMAKER_READ_TIMEOUT = 2.0
    yield endpoint
    if endpoint.process is None or endpoint.process.poll() is not None:
        endpoint.start()
    endpoint.reset()


# --- a real browser for the registry pages ----------------------------------------------------


def _chromium() -> str:
    """Debian's Chromium (Playwright's own browser builds cannot be downloaded here);
    installed with apt when missing and we may."""
    import os
    import shutil

    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": False}
        subprocess.run(["apt-get", "update"], **quiet)
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
            **quiet,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("chromium")
    if not found:
        raise RuntimeError("Chromium is needed for the browser tests: apt-get install chromium")
    return found


@pytest.fixture(scope="session")
def lifecycle_browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright, once per session."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django then refuses database
    # calls here unless told that this is a test process that knows what it does.
    before = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=_chromium(), headless=True, args=["--no-sandbox"]
            )
            yield browser
            browser.close()
    finally:
        if before is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = before


@pytest.fixture
def lifecycle_page(lifecycle_browser: Any) -> Iterator[Any]:
    context = lifecycle_browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
