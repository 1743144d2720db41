"""A small local server that does what a SageMaker real-time endpoint does, so the same boto3
client code runs locally, in tests and against AWS. Django-free: stdlib, NumPy and XGBoost.

Two faces, like SageMaker:
- the runtime API boto3's `sagemaker-runtime` calls: POST /endpoints/{name}/invocations,
  answering with `x-Amzn-Invoked-Production-Variant`, and errors as SageMaker sends them:
  a JSON body and `x-amzn-ErrorType` (botocore turns it into ValidationError, ModelError
  with OriginalStatusCode / OriginalMessage, InternalFailure, ServiceUnavailable...);
- the container contract of the built-in XGBoost image: GET /ping, POST /invocations with
  text/csv (one row per line, no header, empty field = missing) or application/json
  ({"instances": [[...], ...]} or [{"features": [...]}]), many rows per call; 204 for an empty
  body, 415 for input it cannot parse, 406 for an Accept it cannot produce, 400 when the
  model cannot evaluate the rows (wrong number of features), 500 when no model loads.

It loads `model.tar.gz` (holding `xgboost-model`) from a path, file:// or s3:// URL, or a
folder laid out like /opt/ml/model. Started with `control=True` (tests only) it also offers
/_local/model (load another model, like UpdateEndpoint), /_local/faults (answer errors,
answer slowly, drop connections) and /_local/stats.

Run: python -m scoring.endpoint --model var/models/v1-xxxx/model.tar.gz --port 8080
(or `python manage.py serve_endpoint`, which serves the active model).
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import math
import re
import sys
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import xgboost as xgb

logger = logging.getLogger("scoring.endpoint")

MAX_PAYLOAD = 6 * 1024 * 1024  # SageMaker's limit for a real-time request
MODEL_FILE = "xgboost-model"
ACCOUNT = "000000000000"
_RUNTIME = re.compile(r"^/endpoints/([A-Za-z0-9](?:-*[A-Za-z0-9])*)/invocations$")
_ERROR_TYPES = {400: "ValidationError", 424: "ModelError", 429: "ModelNotReadyException",
                500: "InternalFailure", 503: "ServiceUnavailable"}


class ContainerError(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


def read_model_bytes(url: str) -> bytes:
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        import boto3

        body = boto3.client("s3").get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"]
        return body.read()
    path = Path(parsed.path if parsed.scheme == "file" else url)
    if path.is_dir():
        return (path / MODEL_FILE).read_bytes()
    return path.read_bytes()


def load_model(url: str) -> xgb.Booster:
    """What the built-in container does: unpack model.tar.gz, load xgboost-model."""
    raw = read_model_bytes(url)
    if raw[:2] == b"\x1f\x8b":
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as archive:
            member = archive.extractfile(MODEL_FILE)
            if member is None:
                raise ValueError(f"{url} holds no {MODEL_FILE}")
            raw = member.read()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    booster.set_param({"nthread": 1})
    return booster


def parse_rows(body: bytes, content_type: str) -> np.ndarray:
    kind = content_type.split(";")[0].strip().lower()
    if kind == "text/csv":
        try:
            text = body.decode("utf-8").strip()
            rows = [[float(v) if v.strip() else math.nan for v in line.split(",")]
                    for line in text.splitlines() if line.strip()]
        except (UnicodeDecodeError, ValueError) as exc:
            raise ContainerError(415, f"Loading csv data failed: {exc}") from exc
    elif kind == "application/json":
        try:
            payload = json.loads(body)
            instances = payload["instances"] if isinstance(payload, dict) else payload
            rows = [[math.nan if v is None else float(v)
                     for v in (item["features"] if isinstance(item, dict) else item)]
                    for item in instances]
        except (ValueError, KeyError, TypeError) as exc:
            raise ContainerError(415, f"Loading json data failed: {exc}") from exc
    else:
        raise ContainerError(415, f"Content type {content_type or '(none)'} is not supported; "
                                  "use text/csv or application/json")
    if len({len(r) for r in rows}) > 1:
        raise ContainerError(415, "rows have different numbers of values")
    return np.asarray(rows, dtype=np.float32)


def encode_predictions(preds: np.ndarray, accept: str) -> tuple[bytes, str]:
    preds = np.asarray(preds, dtype=np.float64)
    if accept == "application/json":
        if preds.ndim == 1:
            items = [{"score": float(p)} for p in preds]
        else:
            items = [{"predicted_label": int(np.argmax(p)), "probabilities": [float(x) for x in p]}
                     for p in preds]
        return json.dumps({"predictions": items}).encode(), "application/json"
    lines = ([repr(float(p)) for p in preds] if preds.ndim == 1
             else [",".join(repr(float(x)) for x in p) for p in preds])
    return ("\n".join(lines) + "\n").encode(), "text/csv"


class Faults:
    """What the server is told to get wrong, for the next `count` requests (None: until healed)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.heal()

    def heal(self) -> None:
        self.status = 0          # runtime-level error status (500, 503, 429, 400)
        self.model_status = 0    # container-level error, surfaced as ModelError
        self.delay = 0.0         # seconds to wait before answering
        self.drop = False        # close the connection without answering
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
            fault = {"status": self.status, "model_status": self.model_status,
                     "delay": self.delay, "drop": self.drop}
            if self.count is not None:
                self.count -= 1
                if self.count <= 0:
                    self.heal()
            return fault


class EndpointServer:
    def __init__(self, *, model_url: str | None = None, endpoint_name: str = "riskscore",
                 variant: str = "AllTraffic", host: str = "127.0.0.1", port: int = 8080,
                 control: bool = False):
        self.endpoint_name, self.variant, self.control = endpoint_name, variant, control
        self.booster: xgb.Booster | None = None
        self.load_error = "no model loaded"
        self.model_url = ""
        self.predict_lock = threading.Lock()
        self.faults = Faults()
        self.stats = {"invocations": 0, "rows": 0, "errors": 0}
        if model_url:
            self.load(model_url, variant)
        self.httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def load(self, model_url: str, variant: str | None = None) -> None:
        try:
            booster = load_model(model_url)
        except Exception as exc:  # the container answers 500 until a model loads
            self.booster, self.load_error = None, f"Unable to load model: {exc}"
            logger.error("cannot load %s: %s", model_url, exc)
            return
        with self.predict_lock:
            self.booster, self.load_error, self.model_url = booster, "", model_url
            self.variant = variant or self.variant
        logger.info("serving %s as variant %s", model_url, self.variant)

    def predict(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        """The container's /invocations; raises ContainerError with its status code."""
        accept = (accept or "").split(";")[0].strip().lower()
        if accept in ("", "*/*"):
            accept = "text/csv"
        if accept not in ("text/csv", "application/json"):
            raise ContainerError(406, f"Accept type {accept} is not supported; use text/csv or "
                                      "application/json")
        rows = parse_rows(body, content_type)
        with self.predict_lock:
            booster = self.booster
            if booster is None:
                raise ContainerError(500, self.load_error)
            if rows.shape[1] != booster.num_features():
                raise ContainerError(400, f"Feature size of inference data {rows.shape[1]} is not "
                                          f"consistent with feature size of trained model "
                                          f"{booster.num_features()}")
            try:
                preds = booster.inplace_predict(rows, validate_features=False)
            except xgb.core.XGBoostError as exc:
                raise ContainerError(400, f"Unable to evaluate payload provided: {exc}") from exc
        self.stats["invocations"] += 1
        self.stats["rows"] += len(rows)
        return encode_predictions(preds, accept)

    def start(self) -> EndpointServer:
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="endpoint", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler_for(server: EndpointServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "riskscore-endpoint/1"
        # Headers and body leave in two writes; without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK hold every keep-alive answer back by ~40 ms.
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("%s " + format, self.address_string(), *args)

        def _send(self, status: int, body: bytes = b"", content_type: str = "text/plain",
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                self.wfile.write(body)

        def _aws_error(self, status: int, message: str, **extra: Any) -> None:
            error_type = _ERROR_TYPES.get(status, "InternalFailure")
            server.stats["errors"] += 1
            body = json.dumps({"ErrorCode": error_type, "Message": message, "message": message,
                               **extra}).encode()
            self._send(status, body, "application/json", {
                "x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/coral/com.amazon.sagemaker/",
                "x-amzn-RequestId": "local",
            })

        def _body(self) -> bytes | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_PAYLOAD:
                self.rfile.read(length)
                return None
            return self.rfile.read(length) if length else b""

        def do_GET(self) -> None:
            if self.path == "/ping":
                if server.booster is None:
                    self._send(503, server.load_error.encode())
                else:
                    self._send(200)
            elif self.path == "/_local/stats" and server.control:
                self._send(200, json.dumps({**server.stats, "model_url": server.model_url,
                                            "variant": server.variant}).encode(), "application/json")
            else:
                self._send(404, b"not found")

        def do_POST(self) -> None:
            body = self._body()
            if self.path.startswith("/_local/") and server.control:
                self._control(body or b"{}")
                return
            match = _RUNTIME.match(self.path)
            if self.path == "/invocations":
                self._container(body)
            elif match:
                self._runtime(match.group(1), body)
            else:
                self._send(404, b"not found")

        def _faulted(self) -> bool:
            fault = server.faults.take()
            if fault is None:
                return False
            if fault["delay"]:
                time.sleep(fault["delay"])
            if fault["drop"]:
                self.close_connection = True
                self.connection.close()
                return True
            if fault["status"]:
                self._aws_error(fault["status"], f"injected fault: status {fault['status']}")
                return True
            if fault["model_status"]:
                self._model_error(fault["model_status"], "injected fault")
                return True
            return False  # only a delay: answer normally, late

        def _model_error(self, status: int, message: str) -> None:
            kind = "client" if status < 500 else "server"
            self._aws_error(
                424, f'Received {kind} error ({status}) from primary with message "{message}". '
                     f"See the endpoint's log for more information.",
                OriginalStatusCode=status, OriginalMessage=message,
                LogStreamArn=f"arn:aws:logs:local:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/"
                             f"{server.endpoint_name}",
            )

        def _container(self, body: bytes | None) -> None:
            if body is None:
                self._send(413, b"payload too large")
                return
            if not body:
                self._send(204)
                return
            try:
                answer, content_type = server.predict(body, self.headers.get("Content-Type", ""),
                                                      self.headers.get("Accept", ""))
            except ContainerError as exc:
                self._send(exc.status, exc.message.encode())
                return
            self._send(200, answer, content_type)

        def _runtime(self, name: str, body: bytes | None) -> None:
            if name != server.endpoint_name:
                self._aws_error(400, f"Endpoint {name} of account {ACCOUNT} not found.")
                return
            if body is None:
                self._aws_error(400, "Request payload is too large (the limit is 6 MB).")
                return
            if self._faulted():
                return
            headers = {"x-Amzn-Invoked-Production-Variant": server.variant}
            if not body:
                self._send(200, b"", "text/csv", headers)
                return
            try:
                answer, content_type = server.predict(body, self.headers.get("Content-Type", ""),
                                                      self.headers.get("Accept", ""))
            except ContainerError as exc:
                self._model_error(exc.status, exc.message)
                return
            self._send(200, answer, content_type, headers)

        def _control(self, body: bytes) -> None:
            try:
                payload = json.loads(body or b"{}")
            except ValueError:
                self._send(400, b"control requests are JSON")
                return
            if self.path == "/_local/faults":
                server.faults.set(**{k: payload.get(k) for k in
                                     ("status", "model_status", "delay", "drop", "count")})
            elif self.path == "/_local/model":
                server.load(payload["url"], payload.get("variant"))
                if server.booster is None:
                    self._send(500, server.load_error.encode())
                    return
            elif self.path == "/_local/reset":
                server.faults.heal()
                server.stats.update(invocations=0, rows=0, errors=0)
            else:
                self._send(404, b"unknown control")
                return
            self._send(200, b"{}", "application/json")

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A local SageMaker-compatible XGBoost endpoint.")
    parser.add_argument("--model", help="model.tar.gz: a path, file:// or s3:// URL, or a model folder")
    parser.add_argument("--endpoint-name", default="riskscore")
    parser.add_argument("--variant", default="AllTraffic")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    parser.add_argument("--control", action="store_true",
                        help="enable /_local/ model loading and fault injection (tests only)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = EndpointServer(model_url=args.model, endpoint_name=args.endpoint_name, variant=args.variant,
                            host=args.host, port=args.port, control=args.control)
    print(f"listening on {server.url} as endpoint {args.endpoint_name}", flush=True)
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
