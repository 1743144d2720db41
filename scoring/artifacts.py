"""The model artifact contract, shared by training, in-process serving and the endpoint.

`model.tar.gz` holds one file, `xgboost-model` (XGBoost's UBJSON format), so the same file
deploys to a SageMaker endpoint unchanged; `metadata.json` beside it holds what the
container does not need but we do (features, thresholds, metrics, lineage).

Django-free on purpose (stdlib and XGBoost only): the `endpoint` package imports this module
and nothing else of the apps. Storing and fetching artifacts lives in scoring/artifact_store.py.

Which XGBoost reproduces an artifact's predictions (`reproduction_problem`): XGBoost 3.1 and
later store the intercept (`base_score`) as one value per class and read it back; earlier
versions (the sagemaker-xgboost 1.7-1 and 3.0-5 images among them) expect one number, and on
finding a list silently use their default, 0.5, instead. Training therefore fixes
`base_score` at that default (PORTABLE_BASE_SCORE): a binary model's intercept is then 0.5
under every version, and a multi-class model's equal intercepts cancel in the softmax.
"""

from __future__ import annotations

import gzip
import io
import json
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import xgboost as xgb

MODEL_FILE = "xgboost-model"
ARCHIVE_FILE = "model.tar.gz"
METADATA_FILE = "metadata.json"

# The intercept every XGBoost reads alike: what versions before 3.1 fall back to.
PORTABLE_BASE_SCORE = 0.5
# The first XGBoost versions that read UBJSON models, and per-class intercepts.
UBJSON_SINCE = (1, 6)
PER_CLASS_INTERCEPT_SINCE = (3, 1)


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
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as zipped,
        tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
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


def _version_tuple(version: str) -> tuple[int, int]:
    parts = version.split(".")
    try:
        return int(parts[0]), int("".join(ch for ch in parts[1] if ch.isdigit()) or 0)
    except (IndexError, ValueError):
        raise ValueError(f"not an XGBoost version: {version!r}") from None


def intercepts(booster: xgb.Booster) -> list[float]:
    """The booster's base_score: one value, or one per class (XGBoost >= 3.1)."""
    params = json.loads(booster.save_config())["learner"]["learner_model_param"]
    return [float(value) for value in params["base_score"].strip("[]").split(",")]


def reproduction_problem(booster: xgb.Booster, xgboost_version: str) -> str | None:
    """Why XGBoost `xgboost_version`, loading this booster's saved file, would not predict
    what this process predicts; None when it would."""
    version = _version_tuple(xgboost_version)
    if version < UBJSON_SINCE:
        return (
            f"XGBoost {xgboost_version} cannot read the model file (UBJSON needs XGBoost "
            f"{'.'.join(map(str, UBJSON_SINCE))} or later)"
        )
    if version >= PER_CLASS_INTERCEPT_SINCE:
        return None
    values = intercepts(booster)
    classes = int(json.loads(booster.save_config())["learner"]["learner_model_param"]["num_class"])
    if classes > 1 and len(set(values)) == 1:
        return None  # the same intercept for every class cancels in the softmax
    if all(value == PORTABLE_BASE_SCORE for value in values):
        return None
    shown = ", ".join(f"{value:.6g}" for value in values)
    return (
        f"the model stores the intercept [{shown}], which XGBoost {xgboost_version} "
        f"ignores (it reads {PORTABLE_BASE_SCORE} instead), so its probabilities and tiers "
        "would differ from the platform's. The model was trained before base_score was fixed "
        f"at {PORTABLE_BASE_SCORE}: retrain it (manage.py train), or serve it from an image "
        "with XGBoost 3.1 or later"
    )


def class_difference_booster(booster: xgb.Booster, *, plus: int, minus: int) -> xgb.Booster | None:
    """A single-output booster whose margin is class `plus`'s margin minus class `minus`'s
    (intercepts aside), for a multi-class booster; None when the booster is not one this can
    be done for (binary, dart, gblinear, vector-leaf trees). Classes count from the end when
    negative, as in Python (plus=-1: the last class).

    It holds the trees of class `plus` as they are and those of class `minus` with their
    leaf values negated; every split, default direction, category set and hessian (the
    cover TreeSHAP weighs paths by) is kept. TreeSHAP and XGBoost's approximate
    contributions are sums over trees, each linear in its leaf values, so this booster's
    `pred_contribs` equal contribs[plus] - contribs[minus] of the original without computing
    any other class's (the bias column differs only by the intercepts, which are 0 here).

    In the JSON model (doc/model.schema), a tree's leaf value is its `split_conditions` entry
    at a node with no children (`left_children` -1), and `base_weights` holds every node's
    weight: both are negated. `tree_info` names each tree's class.
    """
    model = json.loads(booster.save_raw("json"))
    learner = model["learner"]
    params = learner["learner_model_param"]
    gbm = learner["gradient_booster"]
    classes = int(params.get("num_class", 0))
    if gbm.get("name") != "gbtree" or classes < 2:
        return None
    plus, minus = plus % classes, minus % classes
    forest = gbm["model"]
    trees = []
    for tree, group in zip(forest["trees"], forest["tree_info"], strict=True):
        if int(tree["tree_param"].get("size_leaf_vector", "1")) > 1:
            return None  # one tree for all classes (multi_strategy=multi_output_tree)
        if group == plus:
            trees.append(tree)
        elif group == minus:
            leaf = [child == -1 for child in tree["left_children"]]
            tree["split_conditions"] = [
                -value if is_leaf else value
                for value, is_leaf in zip(tree["split_conditions"], leaf, strict=True)
            ]
            tree["base_weights"] = [-weight for weight in tree["base_weights"]]
            trees.append(tree)
    for number, tree in enumerate(trees):
        tree["id"] = number
    # One tree per round: a regression model of len(trees) rounds, as XGBoost writes one.
    forest["trees"] = trees
    forest["tree_info"] = [0] * len(trees)
    if "iteration_indptr" in forest:  # XGBoost >= 2.0
        forest["iteration_indptr"] = list(range(len(trees) + 1))
    forest["gbtree_model_param"].update(num_trees=str(len(trees)), num_parallel_tree="1")
    per_class_intercept = str(params.get("base_score", "")).startswith("[")
    params.update(
        base_score="[0E0]" if per_class_intercept else "0E0",
        boost_from_average="0",
        num_class="0",
        num_target="1",
    )
    learner["objective"] = {"name": "reg:squarederror", "reg_loss_param": {"scale_pos_weight": "1"}}
    difference = xgb.Booster()
    difference.load_model(bytearray(json.dumps(model).encode()))
    return difference


def csv_lines(values: np.ndarray, field: str) -> str:
    """A 2-D array as the text/csv both sides of the endpoint speak: one line per row, every
    value formatted by `field` (a %-format), in one formatting call over all values rather
    than a Python loop per value."""
    n_rows, width = values.shape
    return ((",".join([field] * width) + "\n") * n_rows) % tuple(values.ravel().tolist())
