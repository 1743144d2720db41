from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from applicants.schema import load_schema
from applicants.validation import ApplicationInvalid, validate_answers
from tests.conftest import DEFAULT_SCHEMA

SCHEMA = load_schema(DEFAULT_SCHEMA)
TODAY = dt.date(2026, 11, 23)


def errors_for(answers: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(ApplicationInvalid) as raised:
        validate_answers(SCHEMA, answers, today=TODAY)
    return raised.value.errors


def test_valid_answers_come_back_clean(answers):
    clean = validate_answers(SCHEMA, answers, today=TODAY)
    assert clean["annual_income"] == 54000.0
    assert clean["term_months"] == 36
    assert clean["phone"] == "+442079460000"
    assert clean["date_of_birth"] == "1986-04-23"


def test_every_problem_is_reported_per_field_at_once(answers):
    answers.update(annual_income="lots", term_months=30, email="not-an-email", consent=False)
    del answers["full_name"]
    errors = errors_for(answers)
    assert errors["full_name"] == ["Full name is required."]
    assert errors["annual_income"] == ["Annual income must be a number."]
    assert "must be one of: 12, 24, 36" in errors["term_months"][0]
    assert errors["email"] == ["Email address is not a valid email address."]
    assert errors["consent"] == [
        "Consent to a credit check and to processing of this application must be given to proceed."
    ]


def test_ranges_are_checked_with_readable_limits(answers):
    answers["requested_amount"] = 250
    assert errors_for(answers)["requested_amount"] == ["Amount requested must be at least 500."]


def test_debt_payments_cannot_exceed_income(answers):
    answers.update(annual_income=14000, monthly_debt_payments=1500)
    assert errors_for(answers) == {
        "monthly_debt_payments": ["Monthly debt payments cannot exceed monthly income."]
    }


def test_applicant_must_be_an_adult(answers):
    answers["date_of_birth"] = "2010-01-01"
    assert errors_for(answers) == {"date_of_birth": ["The applicant must be at least 18 years old."]}


def test_optional_fields_may_be_missing(answers):
    for optional in ("employer", "years_employed", "credit_history_years"):
        del answers[optional]
    clean = validate_answers(SCHEMA, answers, today=TODAY)
    assert "years_employed" not in clean


def test_strings_from_forms_sms_and_voice_are_coerced(answers):
    answers.update(
        annual_income="54,000",
        consent="yes",
        term_months="36",
        employment_status="Employed full-time",
        existing_credit_lines="3",
    )
    clean = validate_answers(SCHEMA, answers, today=TODAY)
    assert (clean["annual_income"], clean["consent"], clean["term_months"]) == (54000.0, True, 36)
    assert clean["employment_status"] == "employed_full_time"


def test_unknown_fields_and_non_objects_are_refused(answers):
    answers["favourite_colour"] = "blue"
    assert errors_for(answers) == {"favourite_colour": ["This is not a field of the application."]}
    with pytest.raises(ApplicationInvalid):
        validate_answers(SCHEMA, ["not", "an", "object"])


def test_whole_numbers_and_booleans_are_strict(answers):
    answers.update(existing_credit_lines=2.5, delinquencies_2y=True)
    errors = errors_for(answers)
    assert errors["existing_credit_lines"] == ["Open credit lines must be a whole number."]
    assert errors["delinquencies_2y"] == ["Late payments in the last 2 years must be a number."]
