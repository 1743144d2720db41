"""Checks answers against the application schema and returns them clean.

Every channel's answers come through here: JSON from the API, strings from forms, SMS and
the voice bot. Values are coerced from strings where that is unambiguous, and every problem
is reported per field in words an applicant understands, all at once, never one at a time.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone

from applicants.schema import ApplicationSchema, Field

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_PHONE = re.compile(r"^\+?[0-9 ()\-.]{7,20}$")
NON_FIELD = "__all__"


class ApplicationInvalid(Exception):
    """The answers break the schema. `errors` maps field name to human-readable messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


class _FieldError(Exception):
    pass


def validate_answers(
    schema: ApplicationSchema, answers: Any, *, today: dt.date | None = None
) -> dict[str, Any]:
    """Return the clean answers (JSON-ready: dates as ISO strings) or raise ApplicationInvalid."""
    if not isinstance(answers, Mapping):
        raise ApplicationInvalid({NON_FIELD: ["Answers must be an object of field names to values."]})
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    for name in answers:
        if name not in schema.by_name:
            errors.setdefault(str(name), []).append("This is not a field of the application.")

    for field in schema.fields:
        raw = answers.get(field.name)
        if _is_blank(raw):
            if field.required:
                errors.setdefault(field.name, []).append(f"{field.label} is required.")
            continue
        try:
            clean[field.name] = _coerce(field, raw, today)
        except _FieldError as exc:
            errors.setdefault(field.name, []).append(str(exc))

    # Rules are judged only when every input is present and valid.
    for name, messages in broken_rules(schema, clean).items():
        errors.setdefault(name, []).extend(messages)

    if errors:
        raise ApplicationInvalid(errors)
    return {name: _jsonable(value) for name, value in clean.items()}


class FieldInvalid(Exception):
    """One answer breaks the schema; the message is for the person who gave it."""


def clean_field(field: Field, raw: Any, *, today: dt.date | None = None) -> Any:
    """One answer, coerced and checked by the same rules as validate_answers, JSON-ready.
    A blank answer is None (the caller decides whether the field may stay empty)."""
    if _is_blank(raw):
        if field.required:
            raise FieldInvalid(f"{field.label} is required.")
        return None
    try:
        return _jsonable(_coerce(field, raw, today or timezone.localdate()))
    except _FieldError as exc:
        raise FieldInvalid(str(exc)) from exc


def broken_rules(schema: ApplicationSchema, clean: Mapping[str, Any]) -> dict[str, list[str]]:
    """Cross-field rules whose inputs are all present in `clean` and that fail, by the field
    each names; rules missing an input are not judged yet."""
    errors: dict[str, list[str]] = {}
    for rule in schema.rules:
        if rule.check.names - clean.keys():
            continue
        values = {name: float(clean[name]) for name in rule.check.names}
        if not bool(rule.check.evaluate(values)):
            errors.setdefault(rule.field, []).append(rule.message)
    return errors


def _is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _coerce(field: Field, raw: Any, today: dt.date) -> Any:
    return _COERCERS[field.type](field, raw, today)


def _string(field: Field, raw: Any, today: dt.date) -> str:
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        raise _FieldError(f"{field.label} must be text.")
    value = " ".join(str(raw).split())
    if field.min_length is not None and len(value) < field.min_length:
        raise _FieldError(f"{field.label} must be at least {field.min_length} characters.")
    if field.max_length is not None and len(value) > field.max_length:
        raise _FieldError(f"{field.label} must be at most {field.max_length} characters.")
    if field.pattern and not re.fullmatch(field.pattern, value):
        # The help is a sentence of its own; its full stop would double the message's.
        hint = f" ({field.help.rstrip('.')})" if field.help else ""
        raise _FieldError(f"{field.label} is not in the expected format{hint}.")
    return value


def _email(field: Field, raw: Any, today: dt.date) -> str:
    value = _string(field, raw, today).strip()
    try:
        validate_email(value)
    except DjangoValidationError as exc:
        raise _FieldError(f"{field.label} is not a valid email address.") from exc
    return value.lower()


def _phone(field: Field, raw: Any, today: dt.date) -> str:
    value = _string(field, raw, today)
    digits = re.sub(r"\D", "", value)
    if not _PHONE.match(value) or not 7 <= len(digits) <= 15:
        raise _FieldError(f"{field.label} is not a valid phone number.")
    return ("+" if value.startswith("+") else "") + digits


def _number(field: Field, raw: Any, today: dt.date) -> int | float:
    if isinstance(raw, bool):
        raise _FieldError(f"{field.label} must be a number.")
    if isinstance(raw, str):
        try:
            number = Decimal(raw.strip().replace(",", ""))
        except InvalidOperation as exc:
            raise _FieldError(f"{field.label} must be a number.") from exc
    elif isinstance(raw, (int, float)):
        number = Decimal(str(raw))
    else:
        raise _FieldError(f"{field.label} must be a number.")
    if not number.is_finite():
        raise _FieldError(f"{field.label} must be a number.")
    if field.type == "integer":
        if number != number.to_integral_value():
            raise _FieldError(f"{field.label} must be a whole number.")
        value: int | float = int(number)
    else:
        value = float(number)
        if not math.isfinite(value):
            raise _FieldError(f"{field.label} must be a number.")
    if field.min is not None and value < field.min:
        raise _FieldError(f"{field.label} must be at least {_fmt(field.min)}.")
    if field.max is not None and value > field.max:
        raise _FieldError(f"{field.label} must be at most {_fmt(field.max)}.")
    return value


def _date(field: Field, raw: Any, today: dt.date) -> dt.date:
    if isinstance(raw, dt.date):
        value = raw
    elif isinstance(raw, str):
        try:
            value = dt.date.fromisoformat(raw.strip())
        except ValueError as exc:
            raise _FieldError(f"{field.label} must be a date written YYYY-MM-DD.") from exc
    else:
        raise _FieldError(f"{field.label} must be a date written YYYY-MM-DD.")
    if value > today:
        raise _FieldError(f"{field.label} cannot be in the future.")
    age = age_on(value, today)
    if field.min_age is not None and age < field.min_age:
        raise _FieldError(f"The applicant must be at least {field.min_age} years old.")
    if field.max_age is not None and age > field.max_age:
        raise _FieldError(f"{field.label} gives an age over {field.max_age}; please check it.")
    return value


def _boolean(field: Field, raw: Any, today: dt.date) -> bool:
    if isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        value = raw.strip().lower() in _TRUE
    else:
        raise _FieldError(f"{field.label} must be yes or no.")
    if field.must_be_true and not value:
        raise _FieldError(f"{field.label} must be given to proceed.")
    return value


def _choice(field: Field, raw: Any, today: dt.date) -> str | int:
    lookup = {str(c.value).lower(): c.value for c in field.choices}
    lookup.update({c.label.lower(): c.value for c in field.choices})
    key = str(raw).strip().lower() if not isinstance(raw, bool) else None
    if key is None or key not in lookup:
        allowed = ", ".join(str(c.value) for c in field.choices)
        raise _FieldError(f"{field.label} must be one of: {allowed}.")
    return lookup[key]


_COERCERS = {
    "string": _string,
    "email": _email,
    "phone": _phone,
    "integer": _number,
    "number": _number,
    "date": _date,
    "boolean": _boolean,
    "choice": _choice,
}


def age_on(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _fmt(number: float) -> str:
    return f"{number:,.0f}" if float(number).is_integer() else f"{number:,}"
