"""Protected groups: which group of each protected attribute an applicant is in, for fairness.

Protected attributes come from the schema, never from the features: ages (a protected
derived value with `age_of`) are put in bands (MONITORING_AGE_BANDS) as on a given day;
protected choice fields by their answer. A decision stores its applicant's groups on the
day the application is scored (a rescored decision keeps them: a new model changes no
one's group), so monitoring and replay count groups without decrypting dates of birth;
the date itself is never stored outside the encrypted answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from applicants.schema import ApplicationSchema
from applicants.validation import age_on

UNKNOWN = "unknown"


def age_band(age: int | None, bands: list[int]) -> str:
    if age is None:
        return UNKNOWN
    lower = [b for b in bands if b <= age]
    if not lower:
        return f"under {bands[0]}"
    start = lower[-1]
    following = [b for b in bands if b > start]
    return f"{start}-{following[0] - 1}" if following else f"{start}+"


def protected_attributes(schema: ApplicationSchema) -> list[str]:
    """The schema's protected attributes, in the order groups are reported."""
    ages = [d.name for d in schema.derived if d.protected and d.age_of]
    return ages + [f.name for f in schema.by_name.values() if f.protected and f.type in ("choice", "boolean")]


def protected_sources(schema: ApplicationSchema) -> tuple[bool, list[str]]:
    """Whether the protected attributes need the personal answers, and which clear ones."""
    needed = [d.age_of for d in schema.derived if d.protected and d.age_of]
    needed += [f.name for f in schema.by_name.values() if f.protected and f.type in ("choice", "boolean")]
    return any(schema.by_name[n].pii for n in needed), [n for n in needed if not schema.by_name[n].pii]


def protected_groups(schema: ApplicationSchema, answers: dict[str, Any], on: dt.date) -> dict[str, str]:
    """{attribute: group} for one application's answers (personal ones included)."""
    groups: dict[str, str] = {}
    for derived in schema.derived:
        if derived.protected and derived.age_of:
            born = answers.get(derived.age_of)
            try:
                age = age_on(dt.date.fromisoformat(born), on) if born else None
            except (TypeError, ValueError):
                age = None
            groups[derived.name] = age_band(age, settings.MONITORING_AGE_BANDS)
    for field in schema.by_name.values():
        if field.protected and field.type in ("choice", "boolean"):
            value = answers.get(field.name)
            groups[field.name] = UNKNOWN if value is None else str(value)
    return groups
