"""Answers read the way people write them, where the locale settings say how."""

from __future__ import annotations

import pytest

from applicants.reading import Unreadable, read_answer
from applicants.schema import Field

DATE = Field(name="born", label="Date of birth", type="date")
AMOUNT = Field(name="amount", label="Amount", type="number")


@pytest.mark.parametrize(
    ("order", "text", "iso"),
    [
        ("DMY", "01/02/1990", "1990-02-01"),
        ("MDY", "01/02/1990", "1990-01-02"),
        ("YMD", "1990/02/01", "1990-02-01"),
        ("MDY", "April 23, 1986", "1986-04-23"),
        ("DMY", "23rd Apr 1986", "1986-04-23"),
        ("DMY", "23.04.1986", "1986-04-23"),
    ],
)
def test_dates_follow_the_configured_order(settings, order, text, iso):
    settings.ANSWER_DATE_ORDER = order
    assert read_answer(DATE, text) == iso


def test_a_two_digit_year_is_refused_with_an_example(settings):
    settings.ANSWER_DATE_ORDER = "DMY"
    with pytest.raises(Unreadable, match="write the year in full, for example 23/04/1986"):
        read_answer(DATE, "23/04/86")


@pytest.mark.parametrize(
    ("mark", "text", "number"),
    [
        (".", "£1,234.50", "1234.50"),
        (".", "USD 12 000", "12000"),
        (".", "54000 €", "54000"),
        (",", "1.234,50 EUR", "1234.50"),
        (",", "€ 12 000,00", "12000.00"),
    ],
)
def test_amounts_lose_currency_and_grouping(settings, mark, text, number):
    settings.ANSWER_DECIMAL_MARK = mark
    assert read_answer(AMOUNT, text) == number


def test_what_is_not_text_passes_unchanged():
    assert read_answer(AMOUNT, 12.5) == 12.5 and read_answer(DATE, None) is None
