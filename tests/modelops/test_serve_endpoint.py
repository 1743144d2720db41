"""`manage.py serve_endpoint`: gunicorn on the endpoint package, serving the active model and
following activations, stopped with its parent."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from applicants.schema import get_schema
from modelops.registry import model_version_bootstrap, model_version_register

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ping(url: str) -> int:
    try:
        with urllib.request.urlopen(f"{url}/ping", timeout=2) as answer:  # noqa: S310 (127.0.0.1)
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _variant(url: str) -> str:
    request = urllib.request.Request(  # noqa: S310 (our server on 127.0.0.1)
        f"{url}/endpoints/riskscore-serve-test/invocations",
        data=b"",
        method="POST",
        headers={"Content-Type": "text/csv"},
    )
    with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
        return answer.headers["x-Amzn-Invoked-Production-Variant"]


def test_it_serves_the_model_activated_after_it_started_then_stops_with_its_parent(
    trained_default, tmp_path, wait_for, settings
):
    database = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
        f"{database['NAME']}",
        "MODEL_STORAGE_URL": settings.MODEL_STORAGE_URL,
    }
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "serve_endpoint",
            "--port",
            str(port),
            "--endpoint-name",
            "riskscore-serve-test",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ping(url) == 503, 30, "the endpoint to answer, without a model yet")
        model = model_version_register(trained=trained_default, schema=get_schema(), training_source="tests")
        model_version_bootstrap(model=model, note="tests")
        wait_for(lambda: _ping(url) == 200, 20, "the endpoint to load the newly active model")
        assert _variant(url) == f"v{model.version}"
    finally:
        os.kill(server.pid, signal.SIGTERM)  # what `serve_endpoint --stop` sends
        server.wait(timeout=30)
        log.close()
    assert _ping(url) == 0, (tmp_path / "serve.log").read_text()
