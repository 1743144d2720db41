"""The model artifact contract, shared by training, in-process serving and the endpoint.

`model.tar.gz` holds one file, `xgboost-model` (XGBoost's UBJSON format), so the same file
deploys to a SageMaker endpoint unchanged; `metadata.json` beside it holds what the
container does not need but we do (features, thresholds, metrics, lineage).

Django-free on purpose (stdlib and XGBoost only): the `endpoint` package imports this module
and nothing else of the apps. Storing and fetching artifacts lives in scoring/artifact_store.py.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import tempfile
from pathlib import Path

import xgboost as xgb

MODEL_FILE = "xgboost-model"
ARCHIVE_FILE = "model.tar.gz"
METADATA_FILE = "metadata.json"


def booster_bytes(booster: xgb.Booster) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.ubj"
        booster.save_model(path)
        return path.read_bytes()


def pack_model(booster: xgb.Booster) -> bytes:
    """model.tar.gz bytes, deterministic for the same booster (fixed mtime and owner)."""
    raw = booster_bytes(booster)
    buffer = io.BytesIO()
    # gzip stamps the current time in its header unless told otherwise.
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped, tarfile.open(
        fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT
    ) as archive:
        info = tarfile.TarInfo(MODEL_FILE)
        info.size, info.mtime, info.mode = len(raw), 0, 0o644
        archive.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def unpack_model(data: bytes, *, threads: int | None = None) -> xgb.Booster:
    """A booster from model.tar.gz bytes, or from the bare `xgboost-model` file's bytes
    (what SageMaker's container finds in /opt/ml/model)."""
    raw = data
    if data[:2] == b"\x1f\x8b":
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            try:
                member = archive.extractfile(MODEL_FILE)
            except KeyError:
                member = None
            if member is None:
                raise ValueError(f"{ARCHIVE_FILE} has no {MODEL_FILE}")
            raw = member.read()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    if threads is not None:
        booster.set_param({"nthread": threads})
    return booster
