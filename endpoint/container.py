"""What SageMaker's built-in XGBoost container does with a request: load `model.tar.gz`,
parse text/csv or JSON rows, predict, and encode the answer, with the container's status codes
(204 empty, 415 bad content type, 406 bad accept, 400 bad input, 500 no model)."""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import xgboost as xgb

from scoring.artifacts import MODEL_FILE, csv_lines, unpack_model

logger = logging.getLogger("endpoint")

MAX_PAYLOAD = 6 * 1024 * 1024  # SageMaker's limit for a real-time request
FORMATS = ("text/csv", "application/json")


class ContainerError(Exception):
    def __init__(self, status: int, message: str):
        self.status, self.message = status, message
        super().__init__(message)


def read_model_bytes(url: str) -> bytes:
    """model.tar.gz (or a folder laid out like /opt/ml/model) from a path, file:// or s3:// URL."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        import boto3

        body = boto3.client("s3").get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))["Body"]
        return body.read()
    path = Path(parsed.path if parsed.scheme == "file" else url)
    if path.is_dir():
        return (path / MODEL_FILE).read_bytes()
    return path.read_bytes()


def predict_threads() -> int:
    """XGBoost threads per prediction (ENDPOINT_PREDICT_THREADS, default 1). One: gunicorn's
    threads and workers already predict side by side, and more threads than cores there only
    wait for each other."""
    raw = os.environ.get("ENDPOINT_PREDICT_THREADS", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"ENDPOINT_PREDICT_THREADS must be a whole number from 1, not {raw!r}")
    return int(raw)


def load_model(url: str) -> xgb.Booster:
    return unpack_model(read_model_bytes(url), threads=predict_threads())


def parse_csv_rows(text: str) -> list[list[float]] | np.ndarray:
    """text/csv rows as the container reads them: one row per line, blank lines skipped, an
    empty field missing (NaN). The common case goes through one `str.split` and one
    `map(float)` over all values (~10x fewer Python steps than a loop per value); anything that
    path cannot read (a blank-looking field, a bad number, rows of different widths) is read
    again value by value, so the answer and the error message are the same either way."""
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        width = lines[0].count(",")
        if all(line.count(",") == width for line in lines):
            # Fields are delimited by commas; an empty one becomes "nan" (twice: ",,," overlaps).
            joined = ("," + ",".join(lines) + ",").replace(",,", ",nan,").replace(",,", ",nan,")
            try:
                values = np.fromiter(map(float, joined[1:-1].split(",")), dtype=np.float64)
            except ValueError:
                pass
            else:
                return values.reshape(len(lines), width + 1)
    return [[float(v) if v.strip() else math.nan for v in line.split(",")] for line in lines]


def parse_rows(body: bytes, content_type: str) -> np.ndarray:
    kind = content_type.split(";")[0].strip().lower()
    rows: list[list[float]] | np.ndarray
    if kind == "text/csv":
        try:
            rows = parse_csv_rows(body.decode("utf-8").strip())
        except (UnicodeDecodeError, ValueError) as exc:
            raise ContainerError(415, f"Loading csv data failed: {exc}") from exc
    elif kind == "application/json":
        try:
            payload = json.loads(body)
            instances = payload["instances"] if isinstance(payload, dict) else payload
            rows = [
                [
                    math.nan if v is None else float(v)
                    for v in (item["features"] if isinstance(item, dict) else item)
                ]
                for item in instances
            ]
        except (ValueError, KeyError, TypeError) as exc:
            raise ContainerError(415, f"Loading json data failed: {exc}") from exc
    else:
        raise ContainerError(
            415, f"Content type {content_type or '(none)'} is not supported; use text/csv or application/json"
        )
    if len(rows) == 0:  # blank lines only, or {"instances": []}: nothing to score is no row
        raise ContainerError(415, f"Loading {kind.split('/')[-1]} data failed: the payload holds no rows")
    if isinstance(rows, list) and len({len(r) for r in rows}) > 1:
        raise ContainerError(415, "rows have different numbers of values")
    # float64 first, then float32: the rounding XGBoost applies to a float64 row in-process.
    return np.asarray(rows, dtype=np.float32)


def encode_predictions(preds: np.ndarray, accept: str) -> tuple[bytes, str]:
    preds = np.asarray(preds, dtype=np.float64)
    if accept == "application/json":
        if preds.ndim == 1:
            items: list[dict[str, Any]] = [{"score": float(p)} for p in preds]
        else:
            items = [
                {"predicted_label": int(np.argmax(p)), "probabilities": [float(x) for x in p]} for p in preds
            ]
        return json.dumps({"predictions": items}).encode(), "application/json"
    # 17 significant digits read back as exactly this float64 (repr's shortest form does too,
    # at 1.6x the cost); the client gets the very numbers XGBoost computed.
    return csv_lines(preds.reshape(len(preds), -1), "%.17g").encode(), "text/csv"


def accepted_format(accept: str) -> str:
    accept = (accept or "").split(";")[0].strip().lower()
    if accept in ("", "*/*"):
        return "text/csv"
    if accept not in FORMATS:
        raise ContainerError(406, f"Accept type {accept} is not supported; use text/csv or application/json")
    return accept


class ModelSlot:
    """The model one worker process serves, swapped in place like UpdateEndpoint.

    `pointer` (optional) is a JSON file {"url": ..., "variant": ...} written by
    `manage.py serve_endpoint` when another model is activated; every worker re-reads it when
    it changes (checked at most once a second), so all gunicorn workers follow.
    """

    def __init__(self, *, model_url: str = "", variant: str = "AllTraffic", pointer: str = ""):
        self.variant, self.pointer = variant, pointer
        self.booster: xgb.Booster | None = None
        self.load_error = "no model loaded"
        self.model_url = ""
        self.lock = threading.Lock()
        self.stats = {"invocations": 0, "rows": 0}
        self._pointer_seen: int | None = None
        self._pointer_checked = 0.0
        if model_url:
            self.load(model_url, variant)
        self.refresh()

    def load(self, model_url: str, variant: str | None = None) -> None:
        try:
            booster = load_model(model_url)
        except Exception as exc:  # the container answers 500 until a model loads
            with self.lock:
                self.booster, self.load_error = None, f"Unable to load model: {exc}"
            logger.error("cannot load %s: %s", model_url, exc)
            return
        with self.lock:
            self.booster, self.load_error, self.model_url = booster, "", model_url
            self.variant = variant or self.variant
        logger.info("serving %s as variant %s", model_url, self.variant)

    def refresh(self) -> None:
        """Load the model the pointer file names, if it changed since the last look."""
        now = time.monotonic()
        if not self.pointer or now - self._pointer_checked < 1.0:
            return
        self._pointer_checked = now
        try:
            stamp = os.stat(self.pointer).st_mtime_ns
        except OSError:
            return
        if stamp == self._pointer_seen:
            return
        self._pointer_seen = stamp
        try:
            wanted = json.loads(Path(self.pointer).read_text())
        except (OSError, ValueError) as exc:
            logger.error("cannot read %s: %s", self.pointer, exc)
            return
        if wanted.get("url") and wanted["url"] != self.model_url:
            self.load(wanted["url"], wanted.get("variant"))

    def predict(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        """The container's /invocations; raises ContainerError with its status code."""
        accept = accepted_format(accept)
        rows = parse_rows(body, content_type)
        with self.lock:  # the model this request gets, even if another one is swapped in now
            booster, load_error = self.booster, self.load_error
        if booster is None:
            raise ContainerError(500, load_error)
        if rows.shape[1] != booster.num_features():
            raise ContainerError(
                400,
                f"Feature size of inference data {rows.shape[1]} is not "
                f"consistent with feature size of trained model "
                f"{booster.num_features()}",
            )
        # Outside the lock: XGBoost's prediction is thread-safe and releases the GIL, so the
        # worker's threads predict side by side (on one core each, nthread=1).
        try:
            preds = booster.inplace_predict(rows, validate_features=False)
        except xgb.core.XGBoostError as exc:
            raise ContainerError(400, f"Unable to evaluate payload provided: {exc}") from exc
        with self.lock:
            self.stats["invocations"] += 1
            self.stats["rows"] += len(rows)
        return encode_predictions(preds, accept)
