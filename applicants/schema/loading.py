"""Loading a schema from YAML, checked strictly: an unknown key, a bad name, a wrong type, an
expression naming a missing field, a protected attribute used as a feature... raises
SchemaError naming the file and the field, at start-up."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from applicants.expressions import Expression, ExpressionError
from applicants.schema.application import ApplicationSchema
from applicants.schema.elements import (
    DISPLAYS,
    FEATURE_TYPES,
    FIELD_TYPES,
    WIDGETS,
    Choice,
    Derived,
    Field,
    ReasonText,
    Rule,
    SchemaError,
    is_numeric,
)
from applicants.schema.sections import default_title

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

_FIELD_KEYS = {
    "name",
    "label",
    "type",
    "required",
    "help",
    "prompt",
    "section",
    "pii",
    "protected",
    "feature",
    "min",
    "max",
    "min_length",
    "max_length",
    "pattern",
    "choices",
    "min_age",
    "max_age",
    "must_be_true",
    "reason",
    "synthetic",
    "example",
    "widget",
    "display",
}
_DERIVED_KEYS = {
    "name",
    "label",
    "expression",
    "age_of",
    "feature",
    "protected",
    "reason",
    "help",
    "display",
}
_RULE_KEYS = {"name", "check", "field", "message"}
_SCHEMA_KEYS = {
    "name",
    "title",
    "version",
    "description",
    "identity_field",
    "fields",
    "derived",
    "rules",
    "sections",
    "currency",
}
_SECTION_KEYS = {"name", "title", "help"}


def load_schema(path: Path | str) -> ApplicationSchema:
    path = Path(path)
    try:
        raw_text = path.read_text()
    except OSError as exc:
        raise SchemaError(f"Application schema {path} cannot be read: {exc}") from exc
    try:
        data = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        raise SchemaError(f"Application schema {path} is not valid YAML: {exc}") from exc
    try:
        return _build(data, path)
    except (SchemaError, ExpressionError, TypeError, ValueError) as exc:
        raise SchemaError(f"Application schema {path}: {exc}") from exc


def _build(data: Any, path: Path) -> ApplicationSchema:
    if not isinstance(data, dict):
        raise SchemaError("the file must hold a mapping with 'name' and 'fields'")
    _reject_unknown(data, _SCHEMA_KEYS, "the schema")
    name = _require(data, "name", "the schema")
    if not _NAME.match(str(name)):
        raise SchemaError(f"schema name {name!r} must be lower_snake_case")
    raw_fields = data.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise SchemaError("'fields' must be a non-empty list")

    fields = tuple(_build_field(raw) for raw in raw_fields)
    names = [f.name for f in fields]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SchemaError(f"field names must be unique; repeated: {', '.join(sorted(duplicates))}")
    by_name = {f.name: f for f in fields}

    numeric = {f.name for f in fields if is_numeric(f)}
    derived = tuple(_build_derived(raw, by_name, numeric, set(names)) for raw in data.get("derived") or [])
    derived_names = [d.name for d in derived]
    clash = set(derived_names) & set(names) | {n for n in derived_names if derived_names.count(n) > 1}
    if clash:
        raise SchemaError(f"derived names must be unique and differ from fields: {sorted(clash)}")
    rules = tuple(_build_rule(raw, by_name, numeric) for raw in data.get("rules") or [])

    identity = data.get("identity_field")
    if identity is not None and identity not in by_name:
        raise SchemaError(f"identity_field {identity!r} is not a field")
    if not any(f.feature for f in fields) and not any(d.feature for d in derived):
        raise SchemaError("at least one field or derived value must be a model feature")

    section_titles = tuple(_build_section(raw) for raw in data.get("sections") or [])
    section_names = [name for name, _, _ in section_titles]
    if len(set(section_names)) != len(section_names):
        raise SchemaError("section names must be unique")

    canonical = json.dumps(data, sort_keys=True, default=str).encode()
    return ApplicationSchema(
        name=name,
        title=str(data.get("title") or name),
        version=int(data.get("version") or 1),
        description=str(data.get("description") or ""),
        identity_field=identity,
        fields=fields,
        derived=derived,
        rules=rules,
        source_hash=hashlib.sha256(canonical).hexdigest(),
        path=path,
        section_titles=section_titles,
        currency=_currency(data.get("currency")),
    )


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _currency(raw: Any) -> str:
    if raw in (None, ""):
        return ""
    if not _CURRENCY.match(str(raw)):
        raise SchemaError(f"currency {raw!r} must be an ISO 4217 code such as GBP, EUR or USD")
    return str(raw)


def _display(raw: dict[str, Any], where: str, *, numeric: bool) -> str:
    display = str(raw.get("display") or "")
    if display and display not in DISPLAYS:
        raise SchemaError(f"{where}: display {display!r} is not one of {', '.join(DISPLAYS)}")
    if display and not numeric:
        raise SchemaError(f"{where}: display {display!r} needs a number")
    return display


def _build_section(raw: Any) -> tuple[str, str, str]:
    if not isinstance(raw, dict):
        raise SchemaError(f"every section must be a mapping with 'name' and 'title', got {raw!r}")
    name = _require(raw, "name", "a section")
    _reject_unknown(raw, _SECTION_KEYS, f"section {name!r}")
    if not _NAME.match(str(name)):
        raise SchemaError(f"section {name!r}: names must be lower_snake_case identifiers")
    return str(name), str(raw.get("title") or default_title(name)), str(raw.get("help") or "")


def _build_field(raw: Any) -> Field:
    if not isinstance(raw, dict):
        raise SchemaError(f"every field must be a mapping, got {raw!r}")
    name = _require(raw, "name", "a field")
    where = f"field {name!r}"
    _reject_unknown(raw, _FIELD_KEYS, where)
    if not _NAME.match(str(name)):
        raise SchemaError(f"{where}: names must be lower_snake_case identifiers")
    type_ = _require(raw, "type", where)
    if type_ not in FIELD_TYPES:
        raise SchemaError(f"{where}: type {type_!r} is not one of {', '.join(FIELD_TYPES)}")
    choices = tuple(_build_choice(item, where) for item in raw.get("choices") or [])
    if type_ == "choice" and not choices:
        raise SchemaError(f"{where}: a choice field needs 'choices'")
    if choices and type_ != "choice":
        raise SchemaError(f"{where}: only choice fields take 'choices'")
    values = [c.value for c in choices]
    if len(set(map(str, values))) != len(values):
        raise SchemaError(f"{where}: choice values must be unique")
    protected = bool(raw.get("protected", False))
    feature = bool(raw.get("feature", False))
    if protected and feature:
        raise SchemaError(f"{where} is a protected attribute and can never be a model feature")
    if feature and type_ not in FEATURE_TYPES:
        raise SchemaError(f"{where}: a {type_} field cannot be a feature directly; derive a numeric value")
    if (raw.get("min_age") is not None or raw.get("max_age") is not None) and type_ != "date":
        raise SchemaError(f"{where}: min_age and max_age apply to date fields")
    if raw.get("must_be_true") and type_ != "boolean":
        raise SchemaError(f"{where}: must_be_true applies to boolean fields")
    widget = str(raw.get("widget") or "")
    if widget and widget not in WIDGETS:
        raise SchemaError(f"{where}: widget {widget!r} is not one of {', '.join(WIDGETS)}")
    if widget in ("radio", "select") and type_ not in ("choice", "boolean"):
        raise SchemaError(f"{where}: a {widget} widget needs a choice or boolean field")
    section = str(raw.get("section") or "")
    if section and not _NAME.match(section):
        # A section is addressed by name (a form step's URL, a conversation's topic).
        raise SchemaError(f"{where}: section {section!r} must be a lower_snake_case name")
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise SchemaError(f"{where}: pattern is not a valid regular expression: {exc}") from exc
    return Field(
        name=name,
        label=str(raw.get("label") or name.replace("_", " ").capitalize()),
        type=type_,
        required=bool(raw.get("required", False)),
        help=str(raw.get("help") or ""),
        prompt=str(raw.get("prompt") or raw.get("label") or name),
        section=section,
        pii=bool(raw.get("pii", False)),
        protected=protected,
        feature=feature,
        min=_number(raw, "min", where),
        max=_number(raw, "max", where),
        min_length=_number(raw, "min_length", where),
        max_length=_number(raw, "max_length", where),
        pattern=pattern,
        choices=choices,
        min_age=_number(raw, "min_age", where),
        max_age=_number(raw, "max_age", where),
        must_be_true=bool(raw.get("must_be_true", False)),
        reason=_build_reason(raw.get("reason"), where),
        synthetic=dict(raw.get("synthetic") or {}),
        example=raw.get("example"),
        widget=widget,
        display=_display(raw, where, numeric=type_ in ("integer", "number")),
    )


def _build_choice(item: Any, where: str) -> Choice:
    if isinstance(item, dict):
        if "value" not in item:
            raise SchemaError(f"{where}: every choice needs a 'value'")
        value = item["value"]
        label = str(item.get("label") or value)
    else:
        value, label = item, str(item)
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise SchemaError(f"{where}: choice values must be strings or integers, got {value!r}")
    return Choice(value=value, label=label)


def _build_derived(raw: Any, by_name: dict[str, Field], numeric: set[str], names: set[str]) -> Derived:
    if not isinstance(raw, dict):
        raise SchemaError(f"every derived value must be a mapping, got {raw!r}")
    name = _require(raw, "name", "a derived value")
    where = f"derived value {name!r}"
    _reject_unknown(raw, _DERIVED_KEYS, where)
    if not _NAME.match(str(name)):
        raise SchemaError(f"{where}: names must be lower_snake_case identifiers")
    has_expression, age_of = "expression" in raw, raw.get("age_of")
    if has_expression == bool(age_of):
        raise SchemaError(f"{where} needs exactly one of 'expression' or 'age_of'")
    expression = None
    if has_expression:
        expression = Expression(str(raw["expression"]), allowed_names=numeric)
        inputs = expression.names
    else:
        if age_of not in by_name or by_name[age_of].type != "date":
            raise SchemaError(f"{where}: age_of must name a date field")
        inputs = frozenset({age_of})
    # Protection is contagious: a value computed from a protected attribute is protected.
    protected = bool(raw.get("protected", False)) or any(by_name[n].protected for n in inputs)
    feature = bool(raw.get("feature", False))
    if protected and feature:
        raise SchemaError(f"{where} is derived from a protected attribute and can never be a model feature")
    return Derived(
        name=name,
        label=str(raw.get("label") or name.replace("_", " ").capitalize()),
        expression=expression,
        age_of=age_of,
        feature=feature,
        protected=protected,
        reason=_build_reason(raw.get("reason"), where),
        help=str(raw.get("help") or ""),
        display=_display(raw, where, numeric=True),
    )


def _build_rule(raw: Any, by_name: dict[str, Field], numeric: set[str]) -> Rule:
    if not isinstance(raw, dict):
        raise SchemaError(f"every rule must be a mapping, got {raw!r}")
    name = _require(raw, "name", "a rule")
    where = f"rule {name!r}"
    _reject_unknown(raw, _RULE_KEYS, where)
    check = Expression(str(_require(raw, "check", where)), allowed_names=numeric, comparison=True)
    target = raw.get("field") or sorted(check.names)[0]
    if target not in by_name:
        raise SchemaError(f"{where}: field {target!r} is not a field")
    return Rule(name=name, check=check, field=target, message=str(_require(raw, "message", where)))


def _build_reason(raw: Any, where: str) -> ReasonText | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not {"increases_risk", "decreases_risk"} <= raw.keys():
        raise SchemaError(f"{where}: 'reason' needs 'increases_risk' and 'decreases_risk' texts")
    return ReasonText(str(raw["increases_risk"]), str(raw["decreases_risk"]))


def _require(raw: dict[str, Any], key: str, where: str) -> Any:
    if raw.get(key) in (None, ""):
        raise SchemaError(f"{where} needs '{key}'")
    return raw[key]


def _number(raw: dict[str, Any], key: str, where: str) -> Any:
    value = raw.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise SchemaError(f"{where}: {key} must be a number, got {value!r}")
    return value


def _reject_unknown(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise SchemaError(f"{where} has unknown keys: {', '.join(sorted(unknown))}")
