"""Quality with late labels: model tier against the auditors' final tier, by week, channel
and model version, naive and weighted by the inverse of each decision's review probability.

Reviewed decisions are not a random sample: medium and high are always reviewed, low only
by the policy's random share. Weighting each label by 1 / P(reviewed) makes the labelled
decisions stand for all decisions (inverse probability weighting); the naive figure is the
labelled decisions as they are, and over-represents the tiers that are always reviewed.

P(reviewed) is the one recorded on the decision when it was routed (Decision.review_probability),
so a later change of the random share does not reweight old labels; decisions recorded before
that field existed fall back to their model version's current policy.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from django.db import transaction
from sklearn.metrics import roc_auc_score

from monitoring.models import ALL_CHANNELS, QualityWeekly
from scoring.models import TIERS, Decision, ModelVersion
from scoring.policy import review_probability

__all__ = ["probability_of", "quality_figures", "review_probability", "rollup_quality"]


def probability_of(recorded: float | None, tier: str, policy: dict[str, Any]) -> float:
    """P(reviewed) of one decision: as recorded at routing, else under its version's policy."""
    return recorded if recorded is not None else review_probability(tier, policy)


def quality_figures(
    tiers: list[str], finals: list[str], prob_high: list[float], probabilities: list[float]
) -> dict[str, Any]:
    """Naive and weighted figures over labelled decisions (final tier not empty)."""
    labelled = [i for i, f in enumerate(finals) if f and probabilities[i] > 0]
    out: dict[str, Any] = {
        "labels": len(labelled),
        "naive_accuracy": None,
        "weighted_accuracy": None,
        "naive_auc": None,
        "weighted_auc": None,
        "confusion": [],
        "calibration": [],
    }
    if not labelled:
        return out
    model = np.asarray([tiers[i] for i in labelled])
    final = np.asarray([finals[i] for i in labelled])
    score = np.asarray([prob_high[i] for i in labelled], dtype=np.float64)
    weight = 1.0 / np.asarray([probabilities[i] for i in labelled], dtype=np.float64)
    correct = (model == final).astype(np.float64)
    out["naive_accuracy"] = round(float(correct.mean()), 4)
    out["weighted_accuracy"] = round(float(np.average(correct, weights=weight)), 4)
    high = final == "high"
    if 0 < high.sum() < len(high):
        out["naive_auc"] = round(float(roc_auc_score(high, score)), 4)
        out["weighted_auc"] = round(float(roc_auc_score(high, score, sample_weight=weight)), 4)
    out["confusion"] = [[int(((model == m) & (final == f)).sum()) for f in TIERS] for m in TIERS]
    edges = np.linspace(0, 1, 6)[1:-1]
    which = np.searchsorted(edges, score, side="right")
    out["calibration"] = [
        {
            "predicted": round(float(np.average(score[which == b], weights=weight[which == b])), 4),
            "observed": round(float(np.average(high[which == b], weights=weight[which == b])), 4),
            "n": int((which == b).sum()),
        }
        for b in range(len(edges) + 1)
        if (which == b).any()
    ]
    return out


def rollup_quality(week: dt.date) -> int:
    """Recompute one week's rows (week = its Monday)."""
    rows = list(
        Decision.objects.filter(
            is_current=True, created_at__date__gte=week, created_at__date__lt=week + dt.timedelta(days=7)
        )
        .values_list(
            "model_version_id",
            "application__channel",
            "tier",
            "application__final_tier",
            "prob_high",
            "review_probability",
        )
        .iterator(chunk_size=5000)
    )
    policies = dict(
        ModelVersion.objects.filter(pk__in={r[0] for r in rows}).values_list("pk", "review_policy")
    )
    groups: dict[tuple[int, str], list[tuple]] = defaultdict(list)
    for row in rows:
        groups[(row[0], ALL_CHANNELS)].append(row)
        groups[(row[0], row[1])].append(row)
    out = []
    for (model_id, channel), group in groups.items():
        figures = quality_figures(
            [r[2] for r in group],
            [r[3] or "" for r in group],
            [r[4] for r in group],
            [probability_of(r[5], r[2], policies[model_id] or {}) for r in group],
        )
        out.append(
            QualityWeekly(
                week=week, model_version_id=model_id, channel=channel, decisions=len(group), **figures
            )
        )
    with transaction.atomic():
        QualityWeekly.objects.filter(week=week).delete()
        QualityWeekly.objects.bulk_create(out)
    return len(out)
