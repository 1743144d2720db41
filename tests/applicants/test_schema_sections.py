"""What forms need from the schema, and nothing web-specific: sections (titles, order) and
optional widget hints, checked strictly when the schema loads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from applicants.schema import SchemaError, load_schema
from tests.conftest import CAR_SCHEMA, DEFAULT_SCHEMA


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "schema.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def base(**extra) -> dict:
    return {
        "name": "tiny",
        "fields": [
            {"name": "size", "type": "integer", "feature": True, "section": "later"},
            {"name": "colour", "type": "choice", "choices": ["red", "blue"], "section": "first"},
            {"name": "note", "type": "string"},
        ],
        **extra,
    }


def test_sections_follow_the_declared_order_then_first_use(tmp_path):
    schema = load_schema(
        write(tmp_path, base(sections=[{"name": "first", "title": "First things", "help": "Start here."}]))
    )
    assert [(s.name, s.title, s.help) for s in schema.sections] == [
        ("first", "First things", "Start here."),
        ("later", "Later", ""),
        ("application", "tiny", ""),
    ]
    assert [f.name for f in schema.sections[0].fields] == ["colour"]
    assert schema.public_description()["sections"][1] == {
        "name": "later",
        "title": "Later",
        "help": "",
        "fields": ["size"],
    }


def test_the_default_schema_declares_its_steps():
    schema = load_schema(DEFAULT_SCHEMA)
    assert [s.title for s in schema.sections] == [
        "About you",
        "How to reach you",
        "Your work",
        "Income and outgoings",
        "Your credit history",
        "The loan",
        "Consent",
    ]
    assert schema.by_name["address"].widget == "textarea"


def test_a_schema_without_sections_is_one_group():
    schema = load_schema(CAR_SCHEMA)
    assert [(s.name, len(s.fields)) for s in schema.sections] == [("application", 9)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sections": [{"name": "first"}, {"name": "first"}]}, "section names must be unique"),
        ({"sections": [{"name": "First"}]}, "lower_snake_case"),
        ({"sections": [{"name": "first", "colour": "red"}]}, "unknown keys: colour"),
        ({"sections": ["first"]}, "every section must be a mapping"),
    ],
)
def test_bad_sections_are_refused_at_load(tmp_path, change, message):
    with pytest.raises(SchemaError, match=message):
        load_schema(write(tmp_path, base(**change)))


@pytest.mark.parametrize(
    ("widget", "field_type", "message"),
    [
        ("slider", "integer", "widget 'slider' is not one of"),
        ("radio", "string", "a radio widget needs a choice or boolean field"),
    ],
)
def test_bad_widget_hints_are_refused_at_load(tmp_path, widget, field_type, message):
    data = base()
    data["fields"][2] = {"name": "note", "type": field_type, "widget": widget}
    with pytest.raises(SchemaError, match=message):
        load_schema(write(tmp_path, data))


@pytest.mark.parametrize("section", ["Loan details", "loan-details", "2nd"])
def test_a_field_section_that_cannot_be_a_name_is_refused_at_load(tmp_path, section):
    """Fields name their section too (it need not be declared): the same rule applies, since
    a step's URL and a conversation's topic address a section by its name."""
    data = base()
    data["fields"][2] = {"name": "note", "type": "string", "section": section}
    with pytest.raises(SchemaError, match=rf"field 'note': section '{section}' must be a lower_snake_case"):
        load_schema(write(tmp_path, data))
