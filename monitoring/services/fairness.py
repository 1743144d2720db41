"""Fairness per protected attribute: each group's tier mix, favourable-outcome rate and
override rate, counted per day (the counts add up over any window; see selectors for the
adverse impact ratio and its interval).

Protected attributes come from the schema, never from the features: ages (a protected
derived value with `age_of`) are put in bands (MONITORING_AGE_BANDS); protected choice
fields by their answer. Dates of birth are personal data, read decrypted here and never
stored: only the band is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction

from applicants.models import Application
from applicants.schema import ApplicationSchema, get_schema
from applicants.validation import age_on
from monitoring.models import FairnessDaily
from scoring.models import Decision

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


def protected_groups(schema: ApplicationSchema, answers: dict, on: dt.date) -> dict[str, str]:
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


def rollup_fairness(day: dt.date) -> int:
    schema = get_schema()
    decisions = list(
        Decision.objects.filter(created_at__date=day, rescore_run__isnull=True, is_current=True).values_list(
            "application_id", "tier"
        )
    )
    favourable = set(settings.MONITORING_FAVOURABLE_TIERS)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ids = [d[0] for d in decisions]
    tier_of = dict(decisions)
    for start in range(0, len(ids), 2000):
        for app in Application.objects.filter(pk__in=ids[start : start + 2000]).only(
            "id", "answers", "pii", "final_tier"
        ):
            tier = tier_of[app.pk]
            for attribute, group in protected_groups(schema, app.all_answers, day).items():
                c = counts[(attribute, group)]
                c["decisions"] += 1
                c[tier] += 1
                c["favourable"] += tier in favourable
                c["reviewed"] += bool(app.final_tier)
                c["overridden"] += bool(app.final_tier) and app.final_tier != tier
    rows = [FairnessDaily(day=day, attribute=a, group=g, **dict(c)) for (a, g), c in counts.items()]
    with transaction.atomic():
        FairnessDaily.objects.filter(day=day).delete()
        FairnessDaily.objects.bulk_create(rows)
    return len(rows)
