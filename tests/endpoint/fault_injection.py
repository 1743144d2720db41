"""Test-only WSGI middleware around the endpoint app: what the tests tell it to get wrong.

gunicorn serves it in place of the production app (one worker, so the faults are one
process's state); production code has no fault routes. Control routes, JSON bodies:

    POST /_local/model   {"url": ..., "variant": ...}   load another model (like UpdateEndpoint)
    POST /_local/faults  {"status"|"model_status"|"delay"|"drop", "count"}  for runtime calls
    POST /_local/reset   heal and zero the counters
    GET  /_local/stats   {"invocations", "rows", "errors", "model_url", "variant"}
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Response

from endpoint.app import RUNTIME_PATH, aws_error, model_error, model_slot
from endpoint.app import create_app as create_endpoint_app

StartResponse = Callable[..., Any]


class Faults:
    """What to get wrong on the next `count` runtime calls (None: until healed)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.heal()

    def heal(self) -> None:
        self.status = 0  # runtime-level error status (500, 503, 429, 400)
        self.model_status = 0  # container-level error, surfaced as ModelError
        self.delay = 0.0  # seconds to wait before answering
        self.drop = False  # close the connection without answering
        self.count: int | None = None

    def set(self, **values: Any) -> None:
        with self.lock:
            self.heal()
            self.status = int(values.get("status") or 0)
            self.model_status = int(values.get("model_status") or 0)
            self.delay = float(values.get("delay") or 0.0)
            self.drop = bool(values.get("drop"))
            self.count = None if values.get("count") is None else int(values["count"])

    def take(self) -> dict[str, Any] | None:
        with self.lock:
            if not (self.status or self.model_status or self.delay or self.drop):
                return None
            fault = {
                "status": self.status,
                "model_status": self.model_status,
                "delay": self.delay,
                "drop": self.drop,
            }
            if self.count is not None:
                self.count -= 1
                if self.count <= 0:
                    self.heal()
            return fault


class FaultInjection:
    def __init__(self, app: Any):
        self.app = app
        self.slot = model_slot(app)
        self.endpoint_name = app.config["ENDPOINT_NAME"]
        self.faults = Faults()
        self.errors = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_local/"):
            return self._control(environ, start_response)
        match = RUNTIME_PATH.match(path)
        if match and match.group(1) == self.endpoint_name:
            fault = self.faults.take()
            if fault:
                answer = self._fault(fault, environ)
                if answer is not None:
                    return self._counted(answer, environ, start_response)
        return self._counted(self.app, environ, start_response)

    def _fault(self, fault: dict[str, Any], environ: dict[str, Any]) -> Any:
        if fault["delay"]:
            time.sleep(fault["delay"])
        if fault["drop"]:
            # Close the client's connection without a byte of answer.
            environ["gunicorn.socket"].shutdown(socket.SHUT_RDWR)
            return Response("dropped", status=503)  # written to a closed socket: never arrives
        if fault["status"]:
            return aws_error(fault["status"], f"injected fault: status {fault['status']}")
        if fault["model_status"]:
            return model_error(fault["model_status"], "injected fault", self.endpoint_name)
        return None  # only a delay: answer normally, late

    def _counted(self, app: Any, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def counting(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            if any(name.lower() == "x-amzn-errortype" for name, _ in headers):
                self.errors += 1
            return start_response(status, headers, *args)

        return app(environ, counting)

    def _control(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        status, answer = "200 OK", {}
        if path == "/_local/stats":
            answer = {
                **self.slot.stats,
                "errors": self.errors,
                "model_url": self.slot.model_url,
                "variant": self.slot.variant,
            }
        else:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(length) or b"{}")
            if path == "/_local/faults":
                self.faults.set(
                    **{k: payload.get(k) for k in ("status", "model_status", "delay", "drop", "count")}
                )
            elif path == "/_local/model":
                self.slot.load(payload["url"], payload.get("variant"))
                if self.slot.booster is None:
                    status, answer = "500 Internal Server Error", {"error": self.slot.load_error}
            elif path == "/_local/reset":
                self.faults.heal()
                self.errors = 0
                self.slot.stats.update(invocations=0, rows=0)
            else:
                status, answer = "404 Not Found", {"error": "unknown control"}
        body = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


def create_app() -> FaultInjection:
    """gunicorn's entry: the production app (configured from ENDPOINT_* variables), wrapped."""
    return FaultInjection(create_endpoint_app())
