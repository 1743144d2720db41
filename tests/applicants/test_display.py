"""Readable values (applicants.display, the `readable` template filters): choice codes as
the schema's labels, money in the schema's currency, ratios as percentages, booleans as
Yes/No; and the schema's `display` and `currency` keys checked when it loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.template import Context, Template

from applicants import display
from applicants.schema import SchemaError, get_schema
from applicants.schema.loading import load_schema


def test_the_default_schema_names_its_currency_money_fields_and_ratios():
    schema = get_schema()
    assert schema.currency == "GBP"
    assert schema.by_name["annual_income"].display == "money"
    assert next(d for d in schema.derived if d.name == "debt_to_income").display == "percent"


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("employment_status", "employed_full_time", "Employed full-time"),
        ("loan_purpose", "home_improvement", "Home improvement"),
        ("annual_income", 54000, "£54,000"),
        ("monthly_housing_cost", 1100.5, "£1,100.50"),
        ("debt_to_income", 0.514286, "51.4%"),
        ("loan_to_income", 0.25, "25%"),
        ("consent", True, "Yes"),
        ("consent", False, "No"),
        ("delinquencies_2y", 0, "0"),
        ("existing_credit_lines", 12000, "12,000"),
        ("annual_income", None, "—"),
        ("not_a_field", {"a_b": 1.5}, "a b: 1.5"),
    ],
)
def test_an_answer_reads_as_the_schema_says(name, value, shown):
    assert display.answer(value, name) == shown


def test_money_percent_and_channel_on_their_own():
    assert display.money(-12.5, "EUR") == "-€12.50"
    assert display.money(1200, "CHF") == "CHF 1,200"
    assert display.money("not a number") == "not a number"
    assert display.percent(0.0000354) == "0.0%" and display.percent(1.5) == "150%"
    assert display.percent("nan") == "nan"
    assert display.channel("phone_agent") == "Call-centre agent" and display.channel("pigeon") == "pigeon"


def test_the_filters_render_in_a_template():
    template = Template(
        '{% load readable %}{{ a|answer:"employment_status" }}|{{ m|money }}|{{ r|percent }}|{{ b|yes_no }}'
        "|{{ c|channel }}|{% for k, v in d|pairs %}{{ k }}={{ v }}{% endfor %}"
    )
    context = Context(
        {"a": "employed_full_time", "m": 12000, "r": 0.5, "b": True, "c": "api", "d": {"x_y": True}}
    )
    assert template.render(context) == "Employed full-time|£12,000|50%|Yes|Mobile / REST API|x y=Yes"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("    type: number\n    display: money", "    type: number\n    display: pounds"),
            "display 'pounds'",
        ),
        (("    type: string\n", "    type: string\n    display: money\n"), "needs a number"),
        (("currency: GBP", "currency: pounds"), "ISO 4217"),
    ],
)
def test_a_bad_display_or_currency_is_refused_when_the_schema_loads(tmp_path: Path, change, message):
    text = get_schema().path.read_text()
    old, new = change
    assert old in text
    path = tmp_path / "schema.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(SchemaError, match=message):
        load_schema(path)
