"""Choices as XGBoost native categoricals (scoring/encoding.py, issue 14): the order a schema
lists its choices changes nothing; codes are the model version's own; unknown values are
missing; the artifact scores alike in-process and through the endpoint; reasons read as before;
models trained on positions keep scoring."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
import xgboost as xgb
import yaml

from applicants.schema import get_schema, load_schema
from demo import synthetic
from modelops.registry import model_version_register
from modelops.training import TrainedModel, fit
from objectstore import store_for
from scoring.artifact_store import load_booster
from scoring.encoding import CATEGORICAL, POSITIONS, encode, encoding_of, fits_schema, model_input
from scoring.explain import risk_contributions, top_reasons
from scoring.features import build_matrix, feature_snapshot
from scoring.sagemaker import SageMakerScorer, encode_csv, parse_csv_predictions
from scoring.scorers import InProcessScorer
from tests.conftest import DEFAULT_SCHEMA

ROWS = 1500


def _reordered_schema(tmp: Path) -> Path:
    """The default schema with every choice list shuffled (same fields, same values): odd
    places first. (Reversed lists would not do: a tree splits reversed positions alike.)"""
    raw = yaml.safe_load(DEFAULT_SCHEMA.read_text())
    for spec in raw["fields"]:
        if spec.get("choices"):
            spec["choices"] = spec["choices"][1::2] + spec["choices"][0::2]
    path = tmp / "reordered.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def _fit(built_with: Any, answers: list[dict[str, Any]], tiers: list[int], **kwargs: Any) -> TrainedModel:
    return fit(
        build_matrix(built_with, answers),
        np.asarray(tiers),
        feature_names=list(built_with.feature_names),
        seed=3,
        nthread=2,
        **kwargs,
    )


@pytest.fixture(scope="module")
def data() -> tuple[list[dict[str, Any]], list[int]]:
    schema = load_schema(DEFAULT_SCHEMA)
    answers, tiers = synthetic.generate(schema, ROWS, seed=21)
    return answers, list(tiers)


@pytest.fixture(scope="module")
def trained_categorical(data: Any) -> TrainedModel:
    return _fit(load_schema(DEFAULT_SCHEMA), *data, schema=load_schema(DEFAULT_SCHEMA))


def test_the_order_of_a_schemas_choices_does_not_change_the_model(
    data: Any, trained_categorical: TrainedModel, tmp_path_factory: Any
) -> None:
    answers, tiers = data
    schema = load_schema(DEFAULT_SCHEMA)
    reordered = load_schema(_reordered_schema(tmp_path_factory.mktemp("schema")))
    choice = next(f for f in schema.features if f.name == "employment_status")
    assert reordered.by_name["employment_status"].choice_values == choice.choices[1::2] + choice.choices[0::2]

    other = _fit(reordered, answers, tiers, schema=reordered)
    assert other.params["encoding"] == trained_categorical.params["encoding"]
    first = trained_categorical.booster.inplace_predict(
        encode(schema, trained_categorical.params["encoding"], build_matrix(schema, answers))
    )
    second = other.booster.inplace_predict(
        encode(reordered, other.params["encoding"], build_matrix(reordered, answers))
    )
    assert np.array_equal(first, second)  # bit for bit
    assert trained_categorical.metrics == other.metrics

    # The positions of encoding v1 are what made the order matter: proof the test can fail.
    legacy = _fit(schema, answers, tiers).booster.inplace_predict(build_matrix(schema, answers))
    legacy_reordered = _fit(reordered, answers, tiers).booster.inplace_predict(
        build_matrix(reordered, answers)
    )
    assert not np.array_equal(legacy, legacy_reordered)


def test_text_choices_are_native_categoricals_and_whole_number_choices_quantities(
    trained_categorical: TrainedModel,
) -> None:
    schema = load_schema(DEFAULT_SCHEMA)
    encoding = trained_categorical.params["encoding"]
    assert encoding["version"] == CATEGORICAL
    assert encoding["categories"]["employment_status"] == sorted(
        str(v) for v in schema.by_name["employment_status"].choice_values
    )
    assert encoding["quantities"] == ["term_months"]
    types = dict(
        zip(
            trained_categorical.booster.feature_names or [],
            trained_categorical.booster.feature_types or [],
            strict=True,
        )
    )
    assert types["employment_status"] == "c" and types["loan_purpose"] == "c"
    assert types["term_months"] == "q" and types["annual_income"] == "q"
    term = schema.feature_names.index("term_months")
    matrix = build_matrix(schema, [{"term_months": 36}])
    assert encode(schema, encoding, matrix)[0, term] == 36.0


def test_a_value_the_model_never_saw_is_missing(trained_categorical: TrainedModel, data: Any) -> None:
    schema = load_schema(DEFAULT_SCHEMA)
    encoding = dict(trained_categorical.params["encoding"])
    encoding["categories"] = {
        **encoding["categories"],
        "loan_purpose": [v for v in encoding["categories"]["loan_purpose"] if v != "wedding"],
    }
    answers = [dict(data[0][0], loan_purpose="wedding"), dict(data[0][0], loan_purpose=None)]
    rows = encode(schema, encoding, build_matrix(schema, answers))
    column = schema.feature_names.index("loan_purpose")
    assert np.isnan(rows[:, column]).all()
    predictions = trained_categorical.booster.inplace_predict(rows)
    assert np.array_equal(predictions[0], predictions[1])


@pytest.fixture
def categorical_model(db: Any, trained_categorical: TrainedModel) -> Any:
    return model_version_register(trained=trained_categorical, schema=get_schema(), training_source="tests")


@pytest.fixture
def positions_model(db: Any, data: Any) -> Any:
    """A version as trained before encodings were recorded: no schema given to fit."""
    trained = _fit(load_schema(DEFAULT_SCHEMA), *data)
    return model_version_register(trained=trained, schema=get_schema(), training_source="tests")


@pytest.fixture
def rows(data: Any) -> np.ndarray:
    return build_matrix(get_schema(), data[0][:60])


def test_the_version_and_its_artifact_say_which_encoding(
    categorical_model: Any, positions_model: Any
) -> None:
    import json

    assert encoding_of(categorical_model.params)["version"] == CATEGORICAL
    folder = categorical_model.artifact_uri.rsplit("/", 1)[0]
    metadata = json.loads(store_for(folder).get(f"{folder}/metadata.json"))
    assert metadata["feature_encoding"] == categorical_model.params["encoding"]
    # Models trained before carry no encoding: positions, given to the booster unchanged.
    assert encoding_of(positions_model.params) == {"version": POSITIONS}


def test_reordering_a_schemas_choices_keeps_a_categorical_model_usable_but_not_a_positions_one(
    categorical_model: Any, positions_model: Any, tmp_path: Path
) -> None:
    schema = get_schema()
    reordered = load_schema(_reordered_schema(tmp_path))
    assert reordered.feature_spec_hash != schema.feature_spec_hash
    assert reordered.feature_spec_hash_any_order == schema.feature_spec_hash_any_order
    # A categorical model reads choices by value: the order is not its concern.
    assert categorical_model.feature_spec_hash == schema.feature_spec_hash_any_order
    assert fits_schema(categorical_model, schema) and fits_schema(categorical_model, reordered)
    # Positions are what the order means to a model trained before: it must be retrained.
    assert fits_schema(positions_model, schema) and not fits_schema(positions_model, reordered)
    # A version registered before this hash existed recorded the ordered one: it still fits.
    categorical_model.feature_spec_hash = schema.feature_spec_hash
    assert fits_schema(categorical_model, schema)


def test_a_model_trained_on_positions_keeps_scoring_as_before(positions_model: Any, rows: np.ndarray) -> None:
    assert model_input(positions_model, rows) is rows
    np.testing.assert_array_equal(
        InProcessScorer().predict_proba(positions_model, rows),
        load_booster(positions_model.artifact_uri).inplace_predict(rows),
    )


@pytest.mark.django_db
def test_the_endpoint_scores_the_categorical_artifact_as_in_process(
    local_endpoint: Any, categorical_model: Any, rows: np.ndarray
) -> None:
    local_endpoint.serve(categorical_model)
    in_process = InProcessScorer().predict_proba(categorical_model, rows)
    # The scorer sends the model's codes through boto3, the container predicts on them.
    np.testing.assert_allclose(
        SageMakerScorer().predict_proba(categorical_model, rows), in_process, rtol=1e-6
    )
    runtime = boto3.client("sagemaker-runtime", endpoint_url=local_endpoint.url, region_name="us-east-1")
    response = runtime.invoke_endpoint(
        EndpointName=local_endpoint.endpoint_name,
        ContentType="text/csv",
        Accept="text/csv",
        Body=encode_csv(model_input(categorical_model, rows)),
    )
    served = parse_csv_predictions(response["Body"].read(), len(rows))
    np.testing.assert_allclose(served, in_process, rtol=1e-6)
    # A DMatrix without feature types (what SageMaker's container builds from CSV) agrees too.
    booster = load_booster(categorical_model.artifact_uri)
    plain = booster.predict(xgb.DMatrix(model_input(categorical_model, rows)), validate_features=False)
    np.testing.assert_allclose(plain, in_process, rtol=1e-6)


def test_reasons_for_a_categorical_read_as_the_fields_statement_beside_the_chosen_value(
    categorical_model: Any, data: Any
) -> None:
    schema = get_schema()
    field = schema.by_name["employment_status"]
    assert field.reason is not None
    answers = [
        dict(a, employment_status=v) for a in data[0][:40] for v in ("unemployed", "employed_full_time")
    ]
    matrix = build_matrix(schema, answers)
    contributions = risk_contributions(categorical_model, matrix)
    column = schema.feature_names.index("employment_status")
    statements = {field.reason.increases_risk, field.reason.decreases_risk}
    seen = set()
    for i, answer in enumerate(answers):
        reasons = top_reasons(
            schema, contributions[i], feature_snapshot(schema, matrix[i]), limit=len(schema.features)
        )
        mine = next((r for r in reasons if r["feature"] == "employment_status"), None)
        if mine is None:
            continue
        assert mine["value"] == answer["employment_status"]  # the choice, never a code
        assert mine["statement"] in statements
        seen.add((answer["employment_status"], mine["direction"]))
    # Unemployment raises the risk and full-time employment lowers it, for the same applicants.
    assert ("unemployed", "increases_risk") in seen
    assert ("employed_full_time", "decreases_risk") in seen
    assert (contributions[0::2, column] > contributions[1::2, column]).mean() > 0.9
