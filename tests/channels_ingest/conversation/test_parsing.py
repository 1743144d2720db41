"""Reading free text: numbers, dates, yes/no, choices, in the forms people use."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from applicants.schema import get_schema
from channels_ingest.conversation.parsing import (
    is_skip,
    parse_amount,
    parse_choice,
    parse_date,
    parse_yes_no,
    raw_for_field,
    strip_lead_in,
)

FIELDS = get_schema().by_name


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("45000", 45000),
        ("45,000", 45000),
        ("£45,000", 45000),
        ("$45,000.50", Decimal("45000.50")),
        ("45k", 45000),
        ("£45k", 45000),
        ("45 K", 45000),
        ("1.5m", 1_500_000),
        ("10 grand", 10000),
        ("forty five thousand", 45000),
        ("forty-five thousand pounds", 45000),
        ("about 52 thousand a year", 52000),
        ("I earn 38,500", 38500),
        ("1 100", 1100),
        ("twelve", 12),
        ("zero", 0),
        ("€ 2.000", 2),
        ("three hundred and fifty", 350),
    ],
)
def test_amounts_as_people_write_them(said: str, value: Decimal) -> None:
    assert parse_amount(said) == Decimal(value)


@pytest.mark.parametrize("said", ["none", "a lot", "", "not telling"])
def test_no_amount(said: str) -> None:
    assert parse_amount(said) is None


def test_decimal_comma_locale(settings) -> None:
    settings.ANSWER_DECIMAL_MARK = ","
    assert parse_amount("1.234,50") == Decimal("1234.50")
    assert parse_amount("€ 2.000") == Decimal(2000)


@pytest.mark.parametrize(
    ("said", "day"),
    [
        ("23rd April 1986", dt.date(1986, 4, 23)),
        ("23 April 1986", dt.date(1986, 4, 23)),
        ("April 23, 1986", dt.date(1986, 4, 23)),
        ("23/04/1986", dt.date(1986, 4, 23)),
        ("1986-04-23", dt.date(1986, 4, 23)),
        ("23.04.1986", dt.date(1986, 4, 23)),
        ("the 5th of May 1990", dt.date(1990, 5, 5)),
        ("5 may 90", dt.date(1990, 5, 5)),
    ],
)
def test_dates_day_first(said: str, day: dt.date) -> None:
    assert parse_date(said) == day


def test_dates_by_locale(settings) -> None:
    settings.ANSWER_DATE_ORDER = "MDY"
    assert parse_date("04/23/1986") == dt.date(1986, 4, 23)
    assert parse_date("05/04/1990") == dt.date(1990, 5, 4)
    settings.ANSWER_DATE_ORDER = "DMY"
    assert parse_date("05/04/1990") == dt.date(1990, 4, 5)


@pytest.mark.parametrize("said", ["April 1986", "hello", "", "31 February 1990 and more words x"])
def test_not_a_whole_date(said: str) -> None:
    assert parse_date(said) is None


@pytest.mark.parametrize(
    "said",
    [
        "yes",
        "Yes!",
        "y",
        "yeah",
        "yep",
        "sure",
        "OK",
        "I agree",
        "of course",
        "absolutely",
        "yes please",
        "that's right",
    ],
)
def test_yes(said: str) -> None:
    assert parse_yes_no(said) is True


@pytest.mark.parametrize(
    "said", ["no", "No.", "n", "nope", "nah", "no thanks", "I don't", "never", "not really"]
)
def test_no(said: str) -> None:
    assert parse_yes_no(said) is False


@pytest.mark.parametrize("said", ["maybe", "45k", "what?"])
def test_neither_yes_nor_no(said: str) -> None:
    assert parse_yes_no(said) is None


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("employed_full_time", "employed_full_time"),
        ("Employed full-time", "employed_full_time"),
        ("1", "employed_full_time"),
        ("number 3", "self_employed"),
        ("self employed", "self_employed"),
        ("selfemployed", "self_employed"),
        ("retird", "retired"),
        ("I'm retired", "retired"),
        ("student", "student"),
        ("contracter", "contractor"),
    ],
)
def test_employment_choice(said: str, value: str) -> None:
    assert parse_choice(FIELDS["employment_status"], strip_lead_in(said)) == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("36", 36),
        ("36 months", 36),
        ("3 years", 36),
        ("three years", 36),
        ("thirty six", 36),
        ("5 years", 60),
        ("12 months", 12),
    ],
)
def test_term_in_months(said: str, value: int) -> None:
    assert parse_choice(FIELDS["term_months"], said, unit="months") == value


@pytest.mark.parametrize(
    ("said", "value"),
    [
        ("home improvement", "home_improvement"),
        ("holiday", "vacation"),
        ("a car", "car"),
        ("debt consolidation", "debt_consolidation"),
        ("weding", "wedding"),
    ],
)
def test_purpose_choice(said: str, value: str) -> None:
    assert parse_choice(FIELDS["loan_purpose"], said) == value


def test_unknown_choice_is_none() -> None:
    assert parse_choice(FIELDS["loan_purpose"], "zzzz qqqq") is None


@pytest.mark.parametrize("said", ["skip", "Skip.", "none", "n/a", "not sure", "don't know"])
def test_skip(said: str) -> None:
    assert is_skip(said)


def test_raw_for_field_hands_the_service_what_it_reads() -> None:
    assert raw_for_field(FIELDS["annual_income"], "forty five thousand") == "45000"
    assert raw_for_field(FIELDS["date_of_birth"], "23rd April 1986") == "1986-04-23"
    assert raw_for_field(FIELDS["consent"], "yes I do") == "yes"
    assert raw_for_field(FIELDS["full_name"], "my name is Jane Example") == "Jane Example"
    assert raw_for_field(FIELDS["term_months"], "3 years", unit="months") == 36
    # unreadable text is passed on as said: the one-field service explains what is wrong
    assert raw_for_field(FIELDS["annual_income"], "lots") == "lots"
