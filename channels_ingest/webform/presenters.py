"""What the web form's templates show, built from the schema, a draft and an application.

The form is drawn from the schema: one step per section, one input per field. A field's
widget follows its type and the schema's optional hint (radios for short choice lists,
selects for long ones). Consent fields (booleans that must be true) are asked on the review
page, not in a step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from applicants import display
from applicants.outcome import ApplicantView, applicant_view, main_reasons  # noqa: F401 (re-exported)
from applicants.reading import date_example
from applicants.schema import ApplicationSchema, Field, Section

RADIO_MAX_CHOICES = 5  # more choices than this render as a select
# Where a draft's owner is once past the last step (the review page), as the draft records
# it in current_section: not a possible section name (those are lower_snake_case), so a
# schema may name a section `review`.
REVIEW = ":review"
# The query parameter value of a step opened from the review page's Change links.
RETURN_TO_REVIEW = "review"


@dataclass(frozen=True)
class Step:
    name: str
    title: str
    help: str
    fields: tuple[Field, ...]
    number: int


@dataclass
class FieldView:
    spec: Field
    value: str = ""  # what the input shows (raw text after an error, else the clean value)
    error: str = ""
    autofocus: bool = False

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def id(self) -> str:
        return f"f-{self.spec.name}"

    @property
    def error_id(self) -> str:
        return f"error-{self.spec.name}"

    @property
    def help_id(self) -> str:
        return f"help-{self.spec.name}"

    @property
    def hint(self) -> str:
        if self.spec.type == "date":
            return f"For example {date_example()}"
        return ""

    @property
    def describedby(self) -> str:
        ids = []
        if self.spec.help or self.hint:
            ids.append(self.help_id)
        if self.error:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def kind(self) -> str:
        spec = self.spec
        if spec.widget:
            return spec.widget
        if spec.type == "boolean":
            return "checkbox" if spec.must_be_true else "radio"
        if spec.type == "choice":
            return "radio" if len(spec.choices) <= RADIO_MAX_CHOICES else "select"
        return "text"

    @property
    def input_type(self) -> str:
        return {"email": "email", "phone": "tel"}.get(self.spec.type, "text")

    @property
    def inputmode(self) -> str:
        return {"integer": "numeric", "number": "decimal", "phone": "tel", "email": "email"}.get(
            self.spec.type, ""
        )

    @property
    def autocomplete(self) -> str:
        return {"email": "email", "phone": "tel"}.get(self.spec.type, "")

    @property
    def options(self) -> list[dict[str, Any]]:
        if self.spec.type == "boolean":
            pairs = [("yes", "Yes"), ("no", "No")]
        else:
            pairs = [(str(c.value), c.label) for c in self.spec.choices]
        return [
            {"value": value, "label": label, "id": f"{self.id}-{index}", "checked": value == self.value}
            for index, (value, label) in enumerate(pairs)
        ]

    @property
    def checked(self) -> bool:
        return self.value in ("yes", "on", "true", "True")


def steps(schema: ApplicationSchema) -> list[Step]:
    result: list[Step] = []
    for section in schema.sections:
        asked = tuple(f for f in section.fields if not f.must_be_true)
        if asked:
            result.append(_step(section, asked, len(result) + 1))
    return result


def _step(section: Section, fields: tuple[Field, ...], number: int) -> Step:
    return Step(name=section.name, title=section.title, help=section.help, fields=fields, number=number)


def consent_fields(schema: ApplicationSchema) -> list[Field]:
    return [f for f in schema.fields if f.must_be_true]


def step_get(schema: ApplicationSchema, name: str) -> Step | None:
    return next((s for s in steps(schema) if s.name == name), None)


def step_after(schema: ApplicationSchema, name: str) -> str:
    names = [s.name for s in steps(schema)]
    index = names.index(name)
    return names[index + 1] if index + 1 < len(names) else REVIEW


def step_before(schema: ApplicationSchema, name: str) -> str | None:
    names = [s.name for s in steps(schema)]
    index = names.index(name)
    return names[index - 1] if index > 0 else None


def rule_neighbours(schema: ApplicationSchema, name: str) -> list[Field]:
    """Questions of the same section that share a cross-field rule with `name`: answering
    one may change what the rule says about the other."""
    section = schema.section_of(name)
    return [
        f
        for f in schema.fields
        if f.name != name
        and schema.section_of(f.name) == section
        and any({name, f.name} <= (r.check.names | {r.field}) for r in schema.rules)
    ]


def field_views(
    fields: tuple[Field, ...] | list[Field],
    answers: Mapping[str, Any],
    *,
    raw: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[FieldView]:
    """Inputs for these fields: the stored answer, or what was typed where it was refused;
    autofocus on the first error (focus moves there, JavaScript or not)."""
    errors = errors or {}
    views = []
    for spec in fields:
        error = errors.get(spec.name, "")
        if raw is not None and (error or spec.name not in answers):
            value = str(raw.get(spec.name, "") or "")
        else:
            value = input_value(spec, answers.get(spec.name))
        views.append(FieldView(spec=spec, value=value, error=error))
    first_error = next((v for v in views if v.error), None)
    if first_error:
        first_error.autofocus = True
    return views


def input_value(spec: Field, value: Any) -> str:
    """A clean answer as the input shows it again."""
    if value is None:
        return ""
    if spec.type == "boolean":
        return "yes" if value else "no"
    if spec.type == "date":
        return format_date(str(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def display_value(spec: Field, value: Any) -> str:
    """A clean answer as the review page reads it out."""
    if value is None or value == "":
        return "Not given"
    if spec.type == "boolean":
        return "Yes" if value else "No"
    if spec.type == "choice":
        return next((c.label for c in spec.choices if c.value == value), str(value))
    if spec.type == "date":
        return format_date(str(value))
    if spec.display:  # money in the schema's currency, ratios as percentages (applicants.display)
        return display.answer(value, spec.name)
    if spec.type in ("integer", "number") and isinstance(value, (int, float)):
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def format_date(iso: str) -> str:
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return iso
    d, m, y = f"{day.day:02d}", f"{day.month:02d}", f"{day.year:04d}"
    return {"DMY": f"{d}/{m}/{y}", "MDY": f"{m}/{d}/{y}", "YMD": f"{y}-{m}-{d}"}[settings.ANSWER_DATE_ORDER]


def review_sections(
    schema: ApplicationSchema, answers: Mapping[str, Any], errors: Mapping[str, list[str]] | None = None
) -> list[dict[str, Any]]:
    errors = errors or {}
    return [
        {
            "step": step,
            "rows": [
                {
                    "label": f.label,
                    "value": display_value(f, answers.get(f.name)),
                    "missing": f.required and f.name not in answers,
                    "errors": errors.get(f.name, []),
                    "name": f.name,
                }
                for f in step.fields
            ],
        }
        for step in steps(schema)
    ]


def steps_done(schema: ApplicationSchema, answers: Mapping[str, Any]) -> int:
    """Steps whose required questions are all answered (for the progress shown in lists)."""
    return sum(all(f.name in answers for f in s.fields if f.required) for s in steps(schema))


# --- the status page ---------------------------------------------------------------------------
# One selector tells an applicant where an application stands, on every channel (the API too).
Progress = ApplicantView
application_progress = applicant_view


def step_errors(current: Step, results: dict[str, Any]) -> dict[str, str]:
    """One message per field of this step from a step's answers: the field's own error, else
    the first cross-field rule naming it (every channel that keys by section shows these)."""
    errors = {name: r.error for name, r in results.items() if r.error}
    names = {f.name for f in current.fields}
    rule_errors = next(iter(results.values())).rule_errors if results else {}
    for name, texts in rule_errors.items():
        if name in names and name not in errors:
            errors[name] = texts[0]
    return errors
