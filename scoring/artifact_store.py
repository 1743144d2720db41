"""Where model artifacts live: written once by training, read (and cached) by serving.

The format is scoring/artifacts.py's; the place is any object store URL (file:// or s3://).
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar, cast

import xgboost as xgb

from objectstore import store_for
from scoring.artifacts import ARCHIVE_FILE, METADATA_FILE, class_difference_booster, pack_model, unpack_model
from scoring.treeshap import ForestTables, forest_tables

T = TypeVar("T")


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
    once per process and model content; None where XGBoost must compute them
    (scoring.explain falls back)."""
    booster = load_risk_booster(artifact_uri)
    return _by_content(
        "tables", booster if booster is not None else load_booster(artifact_uri), forest_tables
    )


@functools.lru_cache(maxsize=4)
def load_risk_booster(artifact_uri: str) -> xgb.Booster | None:
    """For a multi-class artifact, the booster of its risk margin, margin(high) - margin(low)
    (scoring.artifacts.class_difference_booster: the highest class's trees minus the lowest's),
    built once per process and model content like load_shap_tables'; None for a binary model,
    whose own margin is the risk margin. Reasons computed with it skip the middle class's trees."""
    difference = _by_content(
        "risk",
        load_booster(artifact_uri),
        lambda booster: class_difference_booster(booster, plus=-1, minus=0),
    )
    if difference is not None:
        difference.set_param({"nthread": 1})
    return difference


_BUILT: OrderedDict[str, Any] = OrderedDict()


def _by_content(kind: str, booster: xgb.Booster, build: Callable[[xgb.Booster], T]) -> T:
    """What `build` makes of a booster, kept for its content (a few ms to hash) rather than
    its URL: the same model registered again (a re-registration, a rollback's copy, every
    test's fresh registration of one trained model) is not worked on again. The last 8."""
    key = f"{kind}:{hashlib.sha256(booster.save_raw('ubj')).hexdigest()}"
    if key in _BUILT:
        _BUILT.move_to_end(key)
        return cast(T, _BUILT[key])
    built = build(booster)
    _BUILT[key] = built
    while len(_BUILT) > 8:
        _BUILT.popitem(last=False)
    return built
