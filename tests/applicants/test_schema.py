from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from applicants.expressions import Expression, ExpressionError
from applicants.schema import SchemaError, get_schema, load_schema
from tests.conftest import CAR_SCHEMA, DEFAULT_SCHEMA


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(text)
    return path


MINIMAL = """
name: tiny
fields:
  - {name: income, type: number, required: true, feature: true}
  - {name: born, type: date, protected: true}
"""


def test_default_schema_declares_the_consumer_credit_application():
    schema = load_schema(DEFAULT_SCHEMA)
    names = {f.name for f in schema.fields}
    assert {
        "full_name",
        "date_of_birth",
        "national_id",
        "email",
        "phone",
        "address",
        "postcode",
        "employment_status",
        "employer",
        "years_employed",
        "annual_income",
        "monthly_housing_cost",
        "monthly_debt_payments",
        "existing_credit_lines",
        "delinquencies_2y",
        "credit_history_years",
        "requested_amount",
        "term_months",
        "loan_purpose",
        "consent",
    } <= names
    assert schema.identity_field == "national_id"
    assert "debt_to_income" in schema.feature_names


def test_protected_attributes_and_personal_data_are_never_features():
    schema = load_schema(DEFAULT_SCHEMA)
    protected = {f.name for f in schema.fields if f.protected}
    protected |= {d.name for d in schema.derived if d.protected}
    assert {"date_of_birth", "age_years"} <= protected
    assert not protected & set(schema.feature_names)
    assert not schema.pii_fields & set(schema.feature_names)


def test_a_protected_field_marked_as_feature_is_refused(tmp_path: Path):
    path = write(tmp_path, MINIMAL.replace("protected: true", "protected: true, feature: true"))
    with pytest.raises(SchemaError, match="protected attribute and can never be a model feature"):
        load_schema(path)


def test_a_value_derived_from_a_protected_field_is_protected_too(tmp_path: Path):
    path = write(
        tmp_path,
        MINIMAL
        + """
derived:
  - {name: age, age_of: born, feature: true}
""",
    )
    with pytest.raises(SchemaError, match="derived from a protected attribute"):
        load_schema(path)


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("  - {name: x, type: colour}\n", "type 'colour' is not one of"),
        ("  - {name: x, type: choice}\n", "a choice field needs 'choices'"),
        ("  - {name: x, type: number, maxi: 3}\n", "unknown keys: maxi"),
        ("  - {name: Bad-Name, type: number}\n", "lower_snake_case"),
        ("  - {name: income, type: number}\n", "repeated: income"),
        ("  - {name: x, type: string, feature: true}\n", "cannot be a feature directly"),
    ],
)
def test_schema_mistakes_are_reported_with_the_field(tmp_path: Path, snippet: str, message: str):
    with pytest.raises(SchemaError, match=message) as error:
        load_schema(write(tmp_path, MINIMAL + snippet))
    assert str(tmp_path) in str(error.value)


def test_expressions_cannot_run_code(tmp_path: Path):
    with pytest.raises(ExpressionError, match="only numbers, field names"):
        Expression("__import__('os').system('true')", allowed_names={"income"})
    with pytest.raises(ExpressionError, match="not a numeric field"):
        Expression("secret / 2", allowed_names={"income"})


def test_expressions_work_on_scalars_and_columns_and_give_nan_for_missing_or_zero():
    ratio = Expression("debt * 12 / income", allowed_names={"debt", "income"})
    assert ratio.evaluate({"debt": 100, "income": 2400}) == pytest.approx(0.5)
    assert np.isnan(ratio.evaluate({"debt": 100, "income": 0}))
    assert np.isnan(ratio.evaluate({"debt": None, "income": 100}))
    column = ratio.evaluate({"debt": np.array([100.0, 50.0]), "income": np.array([2400.0, 0.0])})
    assert column[0] == pytest.approx(0.5) and np.isnan(column[1])


def test_the_schema_comes_from_settings(settings):
    settings.APPLICATION_SCHEMA = CAR_SCHEMA
    assert get_schema().name == "car_insurance_claim"
    settings.APPLICATION_SCHEMA = DEFAULT_SCHEMA
    assert get_schema().name == "consumer_credit"


def test_feature_spec_hash_ignores_wording_but_not_encoding(tmp_path: Path):
    base = load_schema(write(tmp_path, MINIMAL))
    reworded = load_schema(write(tmp_path, MINIMAL.replace("required: true", "required: true, help: hi")))
    assert reworded.feature_spec_hash == base.feature_spec_hash
    assert reworded.source_hash != base.source_hash
    more = load_schema(write(tmp_path, MINIMAL + "  - {name: debts, type: number, feature: true}\n"))
    assert more.feature_spec_hash != base.feature_spec_hash
