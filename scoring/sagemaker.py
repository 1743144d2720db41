"""The SageMaker scorer: boto3 `sagemaker-runtime` invoke_endpoint with text/csv batches.

The same code talks to a real SageMaker endpoint and to the project's local endpoint
(`manage.py serve_endpoint`, SAGEMAKER_RUNTIME_URL). Errors say whether retrying can help:

- the container rejected the input (ModelError with a 4xx original status, ValidationError
  other than a missing endpoint, any other 4xx): permanent, the applications fail with the reason;
- the container failed (ModelError with a 5xx original status), the service failed (5xx,
  429 not ready / throttled), the endpoint does not exist (yet), time-outs, refused or
  dropped connections: transient. botocore's retry mode (config/aws.py) retries what it
  knows to be retryable inside the call; then the applications wait, their scoring requests
  backing off in the outbox until the re-drive offers them again. No loop of ours, no Celery
  retry on top. Nothing falls back to another scorer.

deploy_sagemaker names the production variant after the version ("v7"); when the endpoint
answers from another version's variant the call fails transiently, so the active model's
decisions are never made by the model it replaced.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import boto3
import numpy as np
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from django.conf import settings

from config.aws import aws_config
from scoring.artifacts import csv_lines
from scoring.encoding import model_input
from scoring.errors import ScoringError
from scoring.models import ModelVersion
from scoring.probabilities import finish_probabilities

_VARIANT = re.compile(r"^v(\d+)$")
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()


def runtime_client() -> Any:
    """One boto3 client per configuration (creating one costs ~50 ms); boto3 clients are
    thread-safe. Retries are botocore's (the platform's retry mode, config/aws.py, with
    SAGEMAKER_MAX_ATTEMPTS attempts): 5xx, throttling, time-outs and dropped connections."""
    key = (
        settings.SAGEMAKER_RUNTIME_URL,
        settings.SAGEMAKER_REGION,
        settings.SAGEMAKER_CONNECT_TIMEOUT,
        settings.SAGEMAKER_READ_TIMEOUT,
    )
    with _clients_lock:
        if key not in _clients:
            _clients[key] = boto3.client(
                "sagemaker-runtime",
                endpoint_url=settings.SAGEMAKER_RUNTIME_URL or None,
                region_name=settings.SAGEMAKER_REGION,
                config=aws_config(
                    max_attempts=settings.SAGEMAKER_MAX_ATTEMPTS,
                    connect_timeout=settings.SAGEMAKER_CONNECT_TIMEOUT,
                    read_timeout=settings.SAGEMAKER_READ_TIMEOUT,
                ),
            )
        return _clients[key]


def encode_csv(rows: np.ndarray) -> bytes:
    """One line per row, no header; a missing value is an empty field (NaN to XGBoost).

    Values are rounded to float32 first, as XGBoost rounds them in-process, and written with
    9 significant digits, which read back as exactly that float32. One %-format call over
    all values: a loop per value (np.savetxt) cost ~4 us per row of 15 features."""
    values = np.asarray(rows, dtype=np.float32)
    text = csv_lines(values.reshape(len(values), -1), "%.9g")  # 1-D: one value per line
    # "%.9g" writes NaN as "nan", and no number's text contains "nan" ("inf" does not either).
    return text.replace("nan", "").encode()


def parse_csv_predictions(body: bytes, n_rows: int) -> np.ndarray:
    """The container's text/csv answer as (rows, values).

    Accepts one row per line ("0.1,0.2,0.7"), the real-time XGBoost container's list form
    for multi-class ("[0.1, 0.2, 0.7],[...]"), and one value per row joined by commas.
    """
    text = body.decode().strip()
    if not text:
        raise ValueError("empty answer")
    if text.startswith("["):
        values = np.asarray(json.loads(f"[{text}]"), dtype=np.float64)
    elif "\n" in text:
        lines = [line for line in text.splitlines() if line.strip()]
        width = lines[0].count(",") + 1
        if any(line.count(",") + 1 != width for line in lines):
            raise ValueError("the answer's lines have different numbers of values")
        # One split and one map(float) over all values; float() reads the 17 digits the
        # endpoint writes (or a repr) back as exactly the number it computed.
        flat = np.fromiter(map(float, ",".join(lines).split(",")), dtype=np.float64)
        values = flat.reshape(len(lines), width)
    else:
        flat = np.fromiter(map(float, text.split(",")), dtype=np.float64)
        values = flat.reshape(n_rows, -1) if len(flat) % n_rows == 0 else flat
    values = values.reshape(len(values), -1) if values.ndim == 1 else values
    if n_rows > 1 and values.shape[0] == 1 and values.shape[1] == n_rows:
        values = values.reshape(n_rows, 1)
    if values.shape[0] != n_rows:
        raise ValueError(f"{values.shape[0]} predictions for {n_rows} rows")
    return values


def classify(exc: Exception) -> tuple[bool, str]:
    """(permanent, message) for an error of invoke_endpoint."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = error.get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        message = error.get("Message", "") or str(exc)
        if code == "ModelError":
            original = int(exc.response.get("OriginalStatusCode") or 0)
            detail = exc.response.get("OriginalMessage") or message
            return 400 <= original < 500, f"the model container answered {original}: {detail}"
        if code == "ValidationError" and "not found" in message.lower():
            return False, f"the endpoint is not there (deploy it?): {message}"
        if status == 429 or status >= 500:
            return False, f"SageMaker answered {status} {code}: {message}"
        return True, f"SageMaker refused the request ({status} {code}): {message}"
    if isinstance(exc, ReadTimeoutError | ConnectTimeoutError):
        return False, f"the endpoint timed out: {exc}"
    if isinstance(exc, EndpointConnectionError | ConnectionClosedError):
        return False, f"the endpoint is unreachable: {exc}"
    return False, f"calling the endpoint failed: {exc}"


class SageMakerScorer:
    name = "sagemaker"

    def __init__(self, *, endpoint_name: str | None = None):
        self.endpoint_name = endpoint_name or settings.SAGEMAKER_ENDPOINT_NAME
        self.last_source = f"sagemaker:{self.endpoint_name}"

    def predict_proba(self, model: ModelVersion, rows: np.ndarray) -> np.ndarray:
        step = settings.SAGEMAKER_ROWS_PER_REQUEST
        rows = model_input(model, rows)  # the codes the artifact was trained on
        parts = [self._invoke(model, rows[start : start + step]) for start in range(0, len(rows), step)]
        raw = np.concatenate(parts) if parts else np.empty((0, 1))
        return finish_probabilities(model, raw, len(rows))

    def _invoke(self, model: ModelVersion, rows: np.ndarray) -> np.ndarray:
        try:
            response = runtime_client().invoke_endpoint(
                EndpointName=self.endpoint_name,
                ContentType="text/csv",
                Accept="text/csv",
                Body=encode_csv(rows),
            )
            answer = response["Body"].read()
        except Exception as exc:  # classified below; anything unknown counts as transient
            permanent, message = classify(exc)
            raise ScoringError(f"{message} (endpoint {self.endpoint_name})", permanent=permanent) from exc
        variant = response.get("InvokedProductionVariant") or ""
        self._check_variant(model, variant)
        self.last_source = (
            f"sagemaker:{self.endpoint_name}/{variant}" if variant else f"sagemaker:{self.endpoint_name}"
        )
        try:
            return parse_csv_predictions(answer, len(rows))
        except ValueError as exc:
            raise ScoringError(f"the endpoint's answer cannot be read: {exc}", permanent=False) from exc

    def _check_variant(self, model: ModelVersion, variant: str) -> None:
        match = _VARIANT.match(variant)
        if match and int(match.group(1)) != model.version:
            raise ScoringError(
                f"endpoint {self.endpoint_name} serves v{match.group(1)} but v{model.version} is "
                f"active; deploy it (manage.py deploy_sagemaker {model.version})",
                permanent=False,
            )
