"""How a model version reads its choice fields: the step between the feature matrix and the booster.

The feature matrix (scoring/features.py, and the SQL projections of rescoring and replay)
writes a choice as its position in the schema's list of choices: a stable intermediate form
that pages decode (feature snapshots) and monitoring counts. What the *model* is given is a
property of the model version, stored on it (`params["encoding"]`, hence in the artifact's
metadata.json too) and applied by `model_input` wherever a booster is called:

- version 1 (no `encoding` stored; every model trained before): the positions themselves, as
  plain numbers. Such models keep scoring exactly as they were trained.
- version 2: a choice of text values is an XGBoost native categorical ('c'), coded by its
  place in the *sorted* list of the values seen in the training rows (kept on the version), so
  the order in which a schema lists its choices changes nothing. A choice of whole numbers (a
  term in months) is a quantity: its value, as a number ('q'). A value the model never saw
  (a choice added later, or one absent from the training rows) is missing (NaN), which the
  trees route down their learned default branch, identically in every XGBoost.

The codes are plain floats in a dense matrix, so the in-process scorer (`inplace_predict`),
the endpoint, and SageMaker's container (a DMatrix from CSV) all read them alike: a
categorical split is a property of the trees, not of how the rows arrive.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

import numpy as np

from applicants.schema import ApplicationSchema, Feature, get_schema

POSITIONS = 1
CATEGORICAL = 2
CURRENT = CATEGORICAL


def _is_quantity(feature: Feature) -> bool:
    return bool(feature.choices) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in feature.choices
    )


def encoding_for(schema: ApplicationSchema, matrix: np.ndarray) -> dict[str, Any]:
    """The version-2 encoding of a training matrix (built with `schema`, choices as positions):
    per text choice, the values present in the rows, sorted; the whole-number choices listed."""
    categories: dict[str, list[str]] = {}
    quantities: list[str] = []
    for column, feature in enumerate(schema.features):
        if feature.kind != "choice":
            continue
        if _is_quantity(feature):
            quantities.append(feature.name)
            continue
        positions = matrix[:, column]
        seen = np.unique(positions[~np.isnan(positions)]).astype(int)
        categories[feature.name] = sorted(
            {str(feature.choices[p]) for p in seen if 0 <= p < len(feature.choices)}
        )
    return {"version": CATEGORICAL, "categories": categories, "quantities": quantities}


def encoding_of(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """A version's stored encoding; version 1 (positions) for models trained before it was stored."""
    stored = (params or {}).get("encoding")
    return dict(stored) if stored else {"version": POSITIONS}


def feature_types(schema: ApplicationSchema, encoding: Mapping[str, Any]) -> list[str] | None:
    """XGBoost feature types for the model's columns ('c' categorical, 'q' numeric), or None
    when every column is numeric (version 1)."""
    if encoding.get("version", POSITIONS) < CATEGORICAL:
        return None
    categorical = set(encoding.get("categories", {}))
    return ["c" if f.name in categorical else "q" for f in schema.features]


@functools.lru_cache(maxsize=64)
def _lookups(
    choices: tuple[tuple[str, tuple[Any, ...]], ...],
    categories: tuple[tuple[str, tuple[str, ...]], ...],
    quantities: tuple[str, ...],
) -> dict[str, np.ndarray]:
    """Per choice feature, position in the schema's list → the model's code (NaN if unknown)."""
    known = dict(categories)
    tables: dict[str, np.ndarray] = {}
    for name, values in choices:
        if name in quantities:
            tables[name] = np.asarray([float(v) for v in values], dtype=np.float32)
        else:
            codes = {value: float(i) for i, value in enumerate(known.get(name, ()))}
            tables[name] = np.asarray([codes.get(str(v), np.nan) for v in values], dtype=np.float32)
    return tables


def encode(schema: ApplicationSchema, encoding: Mapping[str, Any], matrix: np.ndarray) -> np.ndarray:
    """The model's input from a feature matrix built with `schema` (choices as positions)."""
    if encoding.get("version", POSITIONS) < CATEGORICAL:
        return matrix
    columns = [(i, f) for i, f in enumerate(schema.features) if f.kind == "choice"]
    if not columns:
        return matrix
    tables = _lookups(
        tuple((f.name, tuple(f.choices)) for _, f in columns),
        tuple((name, tuple(values)) for name, values in sorted(encoding.get("categories", {}).items())),
        tuple(encoding.get("quantities", ())),
    )
    out = np.array(matrix, dtype=np.float32, copy=True)
    for column, feature in columns:
        table = tables[feature.name]
        positions = out[:, column]
        valid = ~np.isnan(positions)
        index = positions[valid].astype(np.int64)
        inside = (index >= 0) & (index < len(table))
        coded = np.full(index.shape, np.nan, dtype=np.float32)
        coded[inside] = table[index[inside]]
        positions[valid] = coded
    return out


def model_input(model: Any, matrix: np.ndarray, schema: ApplicationSchema | None = None) -> np.ndarray:
    """What `model` (a ModelVersion, or anything with `params`) is given for these rows.
    The schema defaults to the configured one, which scoring has checked the model matches."""
    encoding = encoding_of(getattr(model, "params", None))
    if encoding["version"] < CATEGORICAL:
        return matrix
    return encode(schema or get_schema(), encoding, matrix)


def describe(encoding: Mapping[str, Any]) -> str:
    """One line for reports and metadata readers."""
    if encoding.get("version", POSITIONS) < CATEGORICAL:
        return "choices as their position in the schema's list (encoding v1)"
    parts = [f"{name} ({len(values)} categories)" for name, values in encoding.get("categories", {}).items()]
    parts += [f"{name} (as a number)" for name in encoding.get("quantities", ())]
    return "native categoricals, codes by sorted value (encoding v2): " + (", ".join(parts) or "no choices")


def fits_schema(model: Any, schema: ApplicationSchema) -> bool:
    """Whether `model` (a ModelVersion) scores rows built with `schema` as it was trained to:
    the same columns, kinds, choices and derived features. A model with native categoricals
    reads a choice by its value, so the order a schema lists its choices in is not its
    concern; a model trained on positions (encoding v1) depends on it."""
    if model.feature_spec_hash == schema.feature_spec_hash:
        return True
    by_value = encoding_of(getattr(model, "params", None))["version"] >= CATEGORICAL
    return by_value and model.feature_spec_hash == schema.feature_spec_hash_any_order


def feature_spec_hash_for(params: Mapping[str, Any] | None, schema: ApplicationSchema) -> str:
    """The spec hash a new model version records: choices as a set when it reads them by value."""
    if encoding_of(params)["version"] >= CATEGORICAL:
        return schema.feature_spec_hash_any_order
    return schema.feature_spec_hash
