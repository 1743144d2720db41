"""Fairness per protected attribute: each group's tier mix, favourable-outcome rate and
override rate, counted per day (the counts add up over any window; see selectors for the
adverse impact ratio and its interval).

The groups are applicants.groups': age bands (MONITORING_AGE_BANDS) on the decision's day
and protected choices by their answer. Dates of birth are personal data, read decrypted
here and never stored: only the band is.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction

from applicants.groups import protected_groups
from applicants.models import Application
from applicants.schema import get_schema
from monitoring.models import FairnessDaily
from scoring.models import Decision


def rollup_fairness(day: dt.date) -> int:
    schema = get_schema()
    decisions = list(
        Decision.objects.filter(created_at__date=day, rescore_run__isnull=True, is_current=True).values_list(
            "application_id", "tier", "protected_groups"
        )
    )
    favourable = set(settings.MONITORING_FAVOURABLE_TIERS)
    counts: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    ids = [d[0] for d in decisions]
    tier_of = {d[0]: d[1] for d in decisions}
    stored = {d[0]: d[2] for d in decisions if d[2]}
    for start in range(0, len(ids), 2000):
        batch = ids[start : start + 2000]
        # Decisions made before groups were stored: the groups from the (decrypted) answers.
        unstored = {
            app.pk: protected_groups(schema, app.all_answers, day)
            for app in Application.objects.filter(pk__in=[i for i in batch if i not in stored]).only(
                "id", "answers", "pii"
            )
        }
        for pk, final_tier in Application.objects.filter(pk__in=batch).values_list("id", "final_tier"):
            tier = tier_of[pk]
            for attribute, group in (stored.get(pk) or unstored[pk]).items():
                c = counts[(attribute, group)]
                c["decisions"] += 1
                c[tier] += 1
                c["favourable"] += tier in favourable
                c["reviewed"] += bool(final_tier)
                c["overridden"] += bool(final_tier) and final_tier != tier
    rows = [FairnessDaily(day=day, attribute=a, group=g, **dict(c)) for (a, g), c in counts.items()]
    with transaction.atomic():
        FairnessDaily.objects.filter(day=day).delete()
        FairnessDaily.objects.bulk_create(rows)
    return len(rows)
