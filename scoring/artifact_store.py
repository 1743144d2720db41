"""Where model artifacts live: written once by training, read (and cached) by serving.

The format is scoring/artifacts.py's; the place is any object store URL (file:// or s3://).
"""

from __future__ import annotations

import functools
import json
import uuid
from typing import Any

import xgboost as xgb

from objectstore import store_for
from scoring.artifacts import ARCHIVE_FILE, METADATA_FILE, class_difference_booster, pack_model, unpack_model
from scoring.treeshap import ForestTables, forest_tables


def save_artifacts(*, base_url: str, version: int, booster: xgb.Booster, metadata: dict[str, Any]) -> str:
    """Store model.tar.gz and metadata.json under v<version>-<random>/; return the model's URL.

    The random part means an artifact URL is never reused, so a process that cached a
    booster by URL can never serve a different model under it.
    """
    store = store_for(base_url)
    folder = f"v{version}-{uuid.uuid4().hex[:8]}"
    model_url = store.put(f"{folder}/{ARCHIVE_FILE}", pack_model(booster))
    store.put(f"{folder}/{METADATA_FILE}", json.dumps(metadata, indent=2, default=str).encode())
    return model_url


@functools.lru_cache(maxsize=4)
def load_booster(artifact_uri: str) -> xgb.Booster:
    """The booster behind an artifact URL, loaded once per process (artifacts never change).
    One thread: one application at a time, where threads cost more than they help."""
    return unpack_model(store_for(artifact_uri).get(artifact_uri), threads=1)


@functools.lru_cache(maxsize=4)
def load_shap_tables(artifact_uri: str) -> ForestTables | None:
    """The exact-contribution tables of the artifact's risk margin (scoring.treeshap), built
    once per process; None where XGBoost must compute them (scoring.explain falls back)."""
    booster = load_risk_booster(artifact_uri)
    return forest_tables(booster if booster is not None else load_booster(artifact_uri))


@functools.lru_cache(maxsize=4)
def load_risk_booster(artifact_uri: str) -> xgb.Booster | None:
    """For a multi-class artifact, the booster of its risk margin, margin(high) - margin(low)
    (scoring.artifacts.class_difference_booster: the highest class's trees minus the lowest's),
    built once per process like load_booster's; None for a binary model, whose own margin is
    the risk margin. Reasons computed with it skip the middle class's trees."""
    difference = class_difference_booster(load_booster(artifact_uri), plus=-1, minus=0)
    if difference is not None:
        difference.set_param({"nthread": 1})
    return difference
