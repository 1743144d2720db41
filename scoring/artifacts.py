"""Model artifacts in the format SageMaker's built-in XGBoost container loads.

`model.tar.gz` holds one file, `xgboost-model` (XGBoost's UBJSON format), so the same file
deploys to a SageMaker endpoint unchanged. `metadata.json` beside it holds what the
container does not need but we do: features, thresholds, metrics, lineage.
"""

from __future__ import annotations

import functools
import gzip
import io
import json
import tarfile
import tempfile
import uuid
from pathlib import Path
from typing import Any

import xgboost as xgb

from objectstore import store_for

MODEL_FILE = "xgboost-model"


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


def unpack_model(archive_bytes: bytes) -> xgb.Booster:
    with tarfile.open(fileobj=io.BytesIO(archive_bytes), mode="r:gz") as archive:
        member = archive.extractfile(MODEL_FILE)
        if member is None:
            raise ValueError(f"model.tar.gz has no {MODEL_FILE}")
        raw = member.read()
    booster = xgb.Booster()
    booster.load_model(bytearray(raw))
    return booster


def save_artifacts(*, base_url: str, version: int, booster: xgb.Booster,
                   metadata: dict[str, Any]) -> str:
    """Store model.tar.gz and metadata.json under v<version>-<random>/; return the model's URL.

    The random part means an artifact URL is never reused, so a process that cached a
    booster by URL can never serve a different model under it.
    """
    store = store_for(base_url)
    folder = f"v{version}-{uuid.uuid4().hex[:8]}"
    model_url = store.put(f"{folder}/model.tar.gz", pack_model(booster))
    store.put(f"{folder}/metadata.json", json.dumps(metadata, indent=2, default=str).encode())
    return model_url


@functools.lru_cache(maxsize=4)
def load_booster(artifact_uri: str) -> xgb.Booster:
    """The booster behind an artifact URL, loaded once per process (artifacts never change)."""
    booster = unpack_model(store_for(artifact_uri).get(artifact_uri))
    booster.set_param({"nthread": 1})  # one application at a time: threads cost more than help
    return booster
