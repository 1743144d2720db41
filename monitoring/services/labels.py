"""Label quality per auditor, counted per day: volume, agreement with the model, overrides,
dwell, and agreement on blind items (model hidden) beside the rest (model shown); and the
tiers two auditors gave the same item independently, for Cohen's kappa."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import transaction

from auditing.models import Outcome, Review, ReviewStatus
from monitoring.models import AuditorDaily, RaterPairDaily
from scoring.models import TIERS

COUNTED = (ReviewStatus.EFFECTIVE, ReviewStatus.REJECTED)


def rollup_labels(day: dt.date) -> int:
    reviews = list(
        Review.objects.filter(created_at__date=day, status__in=COUNTED).values_list(
            "item_id",
            "auditor_id",
            "auditor_label",
            "model_tier",
            "final_tier",
            "outcome",
            "seconds_open",
            "blind",
        )
    )
    short = settings.MONITORING_SHORT_DWELL_SECONDS
    by_auditor: dict[str, dict] = defaultdict(lambda: defaultdict(float))
    for _item, auditor_id, label, model_tier, final_tier, outcome, seconds, blind in reviews:
        row = by_auditor[label]
        row["auditor_id"] = auditor_id
        agreed = final_tier == model_tier
        row["reviews"] += 1
        row["agreed"] += agreed
        row["overridden"] += outcome == Outcome.OVERRIDDEN
        row["dwell_seconds"] += seconds
        row["short_dwell"] += seconds < short
        row["blind"] += blind
        row["blind_agreed"] += blind and agreed
    auditors = [
        AuditorDaily(
            day=day,
            auditor_id=row.pop("auditor_id"),
            auditor_label=label,
            **{k: (v if k == "dwell_seconds" else int(v)) for k, v in row.items()},
        )
        for label, row in by_auditor.items()
    ]
    pairs = _rater_pairs(day, {r[0] for r in reviews})
    with transaction.atomic():
        AuditorDaily.objects.filter(day=day).delete()
        AuditorDaily.objects.bulk_create(auditors)
        RaterPairDaily.objects.filter(day=day).delete()
        RaterPairDaily.objects.bulk_create(pairs)
    return len(auditors)


def _rater_pairs(day: dt.date, item_ids: set[int]) -> list[RaterPairDaily]:
    """Items whose second independent label (another auditor's) was given on this day."""
    by_item: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        Review.objects.filter(item_id__in=item_ids, status__in=COUNTED)
        .order_by("created_at", "id")
        .values_list("item_id", "auditor_label", "final_tier", "created_at", "status", "independent")
    ):
        by_item[row[0]].append(row)
    tables: dict[tuple[str, str], list[list[int]]] = {}
    for labels in by_item.values():
        first, second = _pair(labels)
        if (
            first is None
            or second is None
            or second[3].date() != day
            or first[2] not in TIERS
            or second[2] not in TIERS
        ):
            continue
        a, b = sorted([first, second], key=lambda r: r[1])
        table = tables.setdefault((a[1], b[1]), [[0] * 3 for _ in TIERS])
        table[TIERS.index(a[2])][TIERS.index(b[2])] += 1
    return [RaterPairDaily(day=day, first_label=a, second_label=b, table=t) for (a, b), t in tables.items()]


def _pair(labels: list[tuple]) -> tuple[tuple | None, tuple | None]:
    """The two labels of an item to compare: the label that took effect and the independent
    second label, where the item was in the independent share (auditing); otherwise the first
    label and the next one another auditor gave (e.g. after four eyes refused the first)."""
    independent = next((r for r in labels if r[5]), None)
    if independent is not None:
        effective = next((r for r in labels if r[4] == ReviewStatus.EFFECTIVE and not r[5]), None)
        return effective, independent
    first = labels[0]
    return first, next((r for r in labels[1:] if r[1] != first[1]), None)
