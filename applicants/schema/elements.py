"""What a schema is made of: fields and their types, choices, derived values, cross-field
rules, model features and the reason texts shown to applicants. Plain frozen values; the
loader (loading.py) builds and checks them, applicants.validation coerces answers to them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from applicants.expressions import Expression

FIELD_TYPES = ("string", "integer", "number", "date", "boolean", "choice", "email", "phone")
NUMERIC_TYPES = ("integer", "number")
# Types a model can use directly; text, dates and contact details need a derived feature.
FEATURE_TYPES = ("integer", "number", "boolean", "choice")
# Optional hints for channels that draw a form; a channel without forms ignores them.
WIDGETS = ("radio", "select", "text", "textarea")
# How pages show a number (applicants/templatetags/readable.py): an amount of the schema's
# currency, or a ratio as a percentage. Display only: never part of validation or features.
DISPLAYS = ("money", "percent")


class SchemaError(ImproperlyConfigured):
    pass


@dataclass(frozen=True)
class Choice:
    value: str | int
    label: str


@dataclass(frozen=True)
class ReasonText:
    increases_risk: str
    decreases_risk: str


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str
    required: bool = False
    help: str = ""
    prompt: str = ""
    section: str = ""
    pii: bool = False
    protected: bool = False
    feature: bool = False
    min: float | None = None
    max: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    choices: tuple[Choice, ...] = ()
    min_age: int | None = None
    max_age: int | None = None
    must_be_true: bool = False
    reason: ReasonText | None = None
    synthetic: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    example: Any = None
    widget: str = ""
    display: str = ""  # "", or one of DISPLAYS

    @property
    def choice_values(self) -> tuple[str | int, ...]:
        return tuple(choice.value for choice in self.choices)


@dataclass(frozen=True)
class Derived:
    """A value computed from answers: an arithmetic expression, or an age from a date."""

    name: str
    label: str
    expression: Expression | None
    age_of: str | None
    feature: bool
    protected: bool
    reason: ReasonText | None
    help: str = ""
    display: str = ""  # "", or one of DISPLAYS

    @property
    def inputs(self) -> frozenset[str]:
        if self.expression is not None:
            return self.expression.names
        return frozenset({self.age_of}) if self.age_of else frozenset()


@dataclass(frozen=True)
class Rule:
    name: str
    check: Expression
    field: str
    message: str


@dataclass(frozen=True)
class Feature:
    """One column of the model's input, in order. `kind` says how the ETL encodes it."""

    name: str
    label: str
    kind: str  # numeric | boolean | choice | derived
    reason: ReasonText
    choices: tuple[str | int, ...] = ()


def is_numeric(f: Field) -> bool:
    """Whether expressions may use the field's value as a number (integer choices count)."""
    if f.type == "choice":
        return all(isinstance(c.value, int) for c in f.choices)
    return f.type in NUMERIC_TYPES or f.type == "boolean"


def default_reason(label: str) -> ReasonText:
    return ReasonText(
        increases_risk=f"{label} increases the assessed risk",
        decreases_risk=f"{label} lowers the assessed risk",
    )
