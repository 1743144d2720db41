"""The endpoint's WSGI app, with SageMaker's two faces:

- the container contract of the built-in XGBoost image: GET /ping, POST /invocations with
  text/csv (one row per line, no header, empty field = missing) or application/json
  ({"instances": [[...], ...]} or [{"features": [...]}]);
- the runtime API boto3's `sagemaker-runtime` client calls, POST /endpoints/{name}/invocations,
  answering with `x-Amzn-Invoked-Production-Variant`, and errors the way SageMaker sends them:
  a JSON body and `x-amzn-ErrorType`, which botocore turns into ValidationError, ModelError
  (with OriginalStatusCode / OriginalMessage), InternalFailure, ServiceUnavailable...

Configured by arguments or the environment (ENDPOINT_MODEL_URL, ENDPOINT_MODEL_POINTER,
ENDPOINT_NAME, ENDPOINT_VARIANT), so gunicorn can build it with `endpoint.app:create_app()`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import MethodNotAllowed

from endpoint.container import MAX_PAYLOAD, ContainerError, ModelSlot

ACCOUNT = "000000000000"
RUNTIME_PATH = re.compile(r"^/endpoints/([A-Za-z0-9](?:-*[A-Za-z0-9])*)/invocations$")
_ERROR_TYPES = {
    400: "ValidationError",
    411: "ValidationError",
    413: "ValidationError",
    424: "ModelError",
    429: "ModelNotReadyException",
    500: "InternalFailure",
    503: "ServiceUnavailable",
}


class BodyRefused(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, refused from its headers alone when it cannot be read safely:
    411 without a length, 400 for a length that is not a number, 413 past SageMaker's 6 MB,
    before any of it is read. (gunicorn itself answers 400 to a malformed Content-Length.)"""
    stream = environ["wsgi.input"]
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
        body = stream.read(MAX_PAYLOAD + 1)
        if len(body) > MAX_PAYLOAD:
            raise BodyRefused(413, "Request payload is too large (the limit is 6 MB).")
        return body
    raw = environ.get("CONTENT_LENGTH", "")
    if raw == "":
        raise BodyRefused(411, "Content-Length is required.")
    if not raw.isdigit():
        raise BodyRefused(400, f"Content-Length {raw!r} is not a number of bytes.")
    length = int(raw)
    if length > MAX_PAYLOAD:
        raise BodyRefused(413, "Request payload is too large (the limit is 6 MB).")
    return stream.read(length) if length else b""


def aws_error(status: int, message: str, **extra: Any) -> Response:
    """An error as SageMaker's runtime API sends it."""
    error_type = _ERROR_TYPES.get(status, "InternalFailure")
    body = json.dumps({"ErrorCode": error_type, "Message": message, "message": message, **extra})
    return Response(
        body,
        status=status,
        mimetype="application/json",
        headers={
            "x-amzn-ErrorType": f"{error_type}:http://internal.amazon.com/coral/com.amazon.sagemaker/",
            "x-amzn-RequestId": "local",
        },
    )


def model_error(status: int, message: str, endpoint_name: str) -> Response:
    """The container failed: the runtime API wraps its answer in a 424 ModelError."""
    kind = "client" if status < 500 else "server"
    return aws_error(
        424,
        f'Received {kind} error ({status}) from primary with message "{message}". '
        f"See the endpoint's log for more information.",
        OriginalStatusCode=status,
        OriginalMessage=message,
        LogStreamArn=f"arn:aws:logs:local:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/{endpoint_name}",
    )


def _text(status: int, message: str = "") -> Response:
    return Response(message, status=status, mimetype="text/plain")


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
INVOCATION_PATH = re.compile(r"^/(?:endpoints/([^/]+)/)?invocations$")


class Invocations:
    """The two invocation routes as plain WSGI, in front of Flask (installed as the Flask
    app's `wsgi_app`): they are the endpoint's whole traffic, and Flask's request and
    response objects cost ~0.2 ms a call, as much as parsing 200 rows. Everything else
    (/ping, 404) is Flask's; errors still go out as werkzeug Responses."""

    def __init__(self, app: WSGIApp, *, slot: ModelSlot, endpoint_name: str):
        self.app, self.slot, self.endpoint_name = app, slot, endpoint_name

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = INVOCATION_PATH.match(environ.get("PATH_INFO", ""))
        if match is None:
            return self.app(environ, start_response)
        if environ.get("REQUEST_METHOD") != "POST":
            return MethodNotAllowed(valid_methods=["POST"])(environ, start_response)
        self.slot.refresh()  # follow the pointer file, as every Flask request does
        name = match.group(1)
        answer = self.container(environ) if name is None else self.runtime(environ, name)
        if isinstance(answer, Response):
            return answer(environ, start_response)
        body, headers = answer
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def container(self, environ: dict[str, Any]) -> Response | tuple[bytes, list[tuple[str, str]]]:
        """POST /invocations, the container contract: errors as plain text with its status."""
        try:
            body = read_body(environ)
        except BodyRefused as exc:
            return _text(exc.status, exc.message)
        if not body:
            return _text(204)
        try:
            answer, content_type = self.slot.predict(
                body, environ.get("CONTENT_TYPE", ""), environ.get("HTTP_ACCEPT", "")
            )
        except ContainerError as exc:
            return _text(exc.status, exc.message)
        return answer, [("Content-Type", content_type)]

    def runtime(self, environ: dict[str, Any], name: str) -> Response | tuple[bytes, list[tuple[str, str]]]:
        """POST /endpoints/{name}/invocations, the runtime API: errors as SageMaker sends them."""
        if not RUNTIME_PATH.match(environ["PATH_INFO"]) or name != self.endpoint_name:
            return aws_error(400, f"Endpoint {name} of account {ACCOUNT} not found.")
        try:
            body = read_body(environ)
        except BodyRefused as exc:
            return aws_error(exc.status, exc.message)
        variant = ("x-Amzn-Invoked-Production-Variant", self.slot.variant)
        if not body:
            return b"", [("Content-Type", "text/csv"), variant]
        try:
            answer, content_type = self.slot.predict(
                body, environ.get("CONTENT_TYPE", ""), environ.get("HTTP_ACCEPT", "")
            )
        except ContainerError as exc:
            return model_error(exc.status, exc.message, self.endpoint_name)
        return answer, [("Content-Type", content_type), variant]


def create_app(
    *,
    model_url: str | None = None,
    endpoint_name: str | None = None,
    variant: str | None = None,
    pointer: str | None = None,
) -> Flask:
    env = os.environ.get
    endpoint_name = endpoint_name or env("ENDPOINT_NAME", "riskscore")
    slot = ModelSlot(
        model_url=model_url or env("ENDPOINT_MODEL_URL", ""),
        variant=variant or env("ENDPOINT_VARIANT", "AllTraffic"),
        pointer=pointer or env("ENDPOINT_MODEL_POINTER", ""),
    )
    app = Flask("endpoint")
    app.config.update(ENDPOINT_NAME=endpoint_name)
    app.extensions["model_slot"] = slot
    app.wsgi_app = Invocations(app.wsgi_app, slot=slot, endpoint_name=endpoint_name)  # type: ignore[method-assign]

    @app.before_request
    def follow_the_pointer() -> None:
        slot.refresh()

    @app.get("/ping")
    def ping() -> Response:
        return _text(200) if slot.booster is not None else _text(503, slot.load_error)

    return app


def model_slot(app: Flask) -> ModelSlot:
    slot: ModelSlot = app.extensions["model_slot"]
    return slot
