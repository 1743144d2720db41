"""ETL: answers → the model's feature matrix. One place, used by training and serving alike.

Columns follow schema.features. Numbers are used as given, booleans as 0/1, choices as
their position in the schema's list of choices, derived values by their expression.
A missing or unknown answer is NaN, which XGBoost routes down its learned default branch:
an optional field left empty is a value the model handles, not an error.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from applicants.expressions import Expression
from applicants.schema import ApplicationSchema, Feature, is_numeric
from applicants.validation import age_on

NAN = float("nan")


def _number(value: Any) -> float:
    if value is None or isinstance(value, str):
        return NAN
    return float(value)


def _field_values(schema: ApplicationSchema, answers: Sequence[Mapping[str, Any]], name: str) -> np.ndarray:
    return np.fromiter((_number(a.get(name)) for a in answers), dtype=np.float64, count=len(answers))


def build_matrix(schema: ApplicationSchema, answers: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Feature matrix (float32, one row per application) in the order of schema.features."""
    n = len(answers)

    def numeric(name: str) -> np.ndarray:
        return _field_values(schema, answers, name)

    def choice(feature: Feature) -> np.ndarray:
        codes = {str(value): float(i) for i, value in enumerate(feature.choices)}
        return np.fromiter(
            (
                codes.get(str(a.get(feature.name)), NAN) if a.get(feature.name) is not None else NAN
                for a in answers
            ),
            dtype=np.float64,
            count=n,
        )

    return assemble_matrix(schema, n, numeric=numeric, choice=choice)


def assemble_matrix(
    schema: ApplicationSchema,
    n: int,
    *,
    numeric: Callable[[str], np.ndarray],
    choice: Callable[[Feature], np.ndarray],
) -> np.ndarray:
    """The matrix from column sources: `numeric(name)` gives a field's values as numbers,
    `choice(feature)` a choice's codes. Derived values are computed here, for every source
    (answers in Python, or columns projected in SQL by batch rescoring)."""
    matrix = np.empty((n, len(schema.features)), dtype=np.float32)
    numeric_inputs: dict[str, np.ndarray] = {}

    def numeric_column(name: str) -> np.ndarray:
        if name not in numeric_inputs:
            numeric_inputs[name] = numeric(name)
        return numeric_inputs[name]

    for column, feature in enumerate(schema.features):
        if feature.kind == "choice":
            matrix[:, column] = choice(feature)
        elif feature.kind == "derived":
            derived = next(d for d in schema.derived if d.name == feature.name)
            assert derived.expression is not None  # a feature is never a protected age
            inputs = {name: numeric_column(name) for name in derived.expression.names}
            matrix[:, column] = derived.expression.evaluate(inputs) if n else []
        else:  # numeric and boolean
            matrix[:, column] = numeric_column(feature.name)
    return matrix


def _expression_of(schema: ApplicationSchema, name: str) -> Expression:
    """A derived feature's expression (the other kind, an age, is of a date of birth, which is
    protected, so never a feature)."""
    expression = next(d for d in schema.derived if d.name == name).expression
    assert expression is not None
    return expression


def numeric_inputs(schema: ApplicationSchema) -> list[str]:
    """Fields whose numeric value the matrix needs (plain numeric features and the inputs
    of derived features), in a stable order."""
    names: list[str] = []
    for feature in schema.features:
        wanted = (
            [feature.name]
            if feature.kind in ("numeric", "boolean")
            else sorted(_expression_of(schema, feature.name).names)
            if feature.kind == "derived"
            else []
        )
        names += [name for name in wanted if name not in names]
    return names


# A decision's model input row as stored (Decision.feature_row): float32, big-endian as
# PostgreSQL's float4send writes it, so SQL can build the same bytes from a snapshot.
FEATURE_ROW_DTYPE = np.dtype(">f4")


def feature_row_tag(schema: ApplicationSchema) -> bytes:
    """What a stored row starts with: its schema's exact feature spec (columns, order, choices
    in order; 8 bytes of the hash). A row is read as it is only under the same spec: a
    choice's number is its position in the order of the schema that built the row."""
    return bytes.fromhex(schema.feature_spec_hash[:16])


def feature_row_bytes(schema: ApplicationSchema, row: np.ndarray) -> bytes:
    return feature_row_tag(schema) + np.asarray(row, dtype=FEATURE_ROW_DTYPE).tobytes()


def feature_snapshot(schema: ApplicationSchema, row: np.ndarray) -> dict[str, Any]:
    """The inputs the model saw, readable: choices decoded, NaN as None."""
    snapshot: dict[str, Any] = {}
    for feature, value in zip(schema.features, row.tolist(), strict=True):
        snapshot[feature.name] = _snapshot_value(feature, value)
    return snapshot


def _snapshot_value(feature: Feature, value: float) -> Any:
    if math.isnan(value):
        return None
    if feature.kind == "choice":
        return feature.choices[int(value)]
    return round(float(value), 6)


def _json_text(value: Any) -> str:
    # json.dumps writes a finite float as float.__repr__: the same text, a fifth of the time.
    return float.__repr__(value) if type(value) is float and math.isfinite(value) else json.dumps(value)


@dataclass(frozen=True)
class SnapshotTexts:
    """The feature_snapshot values of many rows as JSON text (what json.dumps writes for each),
    worked out once per distinct value of a column: a batch rescoring chunk encodes thousands
    of snapshots, whose columns repeat their values (choices, counts, years)."""

    distinct: list[np.ndarray]  # per feature, the texts of its distinct values (object array)
    inverse: list[np.ndarray]  # per feature, each row's index into them

    def column(self, feature: int) -> np.ndarray:
        """Each row's text of one feature (object array)."""
        return self.distinct[feature][self.inverse[feature]]


def snapshot_texts(schema: ApplicationSchema, rows: np.ndarray) -> SnapshotTexts:
    distinct, inverse = [], []
    for column, feature in enumerate(schema.features):
        values, where = np.unique(rows[:, column], return_inverse=True)
        if feature.kind == "choice" or np.isinf(values).any():
            texts = [_json_text(_snapshot_value(feature, value)) for value in values.tolist()]
        else:  # numbers, the most and most varied values: _snapshot_value and _json_text inline
            texts = [
                "null" if value != value else float.__repr__(round(value, 6)) for value in values.tolist()
            ]
        distinct.append(np.asarray(texts, dtype=object))
        inverse.append(where.reshape(-1))
    return SnapshotTexts(distinct, inverse)


def feature_snapshots_json(schema: ApplicationSchema, texts: SnapshotTexts) -> list[str]:
    """json.dumps(feature_snapshot(schema, row)) of each row: the same text (keys in the
    schema's order, json.dumps's separators), each "key: value" joined once per distinct value."""
    columns = []
    for column, feature in enumerate(schema.features):
        key = json.dumps(feature.name) + ": "
        pairs = np.asarray([key + text for text in texts.distinct[column]], dtype=object)
        columns.append(pairs[texts.inverse[column]])
    return ["{" + ", ".join(parts) + "}" for parts in zip(*columns, strict=True)]


def feature_rows_bytes(schema: ApplicationSchema, rows: np.ndarray) -> list[bytes]:
    """feature_row_bytes of each row, converted together."""
    tag = feature_row_tag(schema)
    data = np.ascontiguousarray(rows, dtype=FEATURE_ROW_DTYPE)
    width = data.shape[1] * data.itemsize
    flat = data.tobytes()
    return [tag + flat[start : start + width] for start in range(0, len(flat), width)]


def protected_values(
    schema: ApplicationSchema, answers: Mapping[str, Any], *, today: dt.date | None = None
) -> dict[str, Any]:
    """Protected derived values (e.g. age) for fairness monitoring; never model inputs."""
    today = today or dt.date.today()
    values: dict[str, Any] = {}
    for derived in schema.derived:
        if not derived.protected:
            continue
        if derived.age_of:
            born = answers.get(derived.age_of)
            values[derived.name] = age_on(dt.date.fromisoformat(born), today) if born else None
        elif derived.expression is not None:
            inputs = {
                name: _number(answers.get(name))
                for name in derived.expression.names
                if is_numeric(schema.by_name[name])
            }
            result = derived.expression.evaluate(inputs)
            values[derived.name] = None if math.isnan(result) else result
    return values
