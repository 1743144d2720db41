"""The daily roll-ups: drift and volumes (here), quality, fairness, label quality (their own
modules). Each day is recomputed whole and replaced, so a re-run is harmless."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitoring import psi
from monitoring.models import ALL_CHANNELS, SCORE, DriftDaily, VolumeDaily
from monitoring.services.baselines import baseline_for
from scoring.models import Decision, ModelVersion


def _day_decisions(day: dt.date) -> list[tuple]:
    """Live decisions of one day (rescoring runs are not traffic)."""
    return list(
        Decision.objects.filter(created_at__date=day, rescore_run__isnull=True)
        .values_list(
            "model_version_id",
            "application__channel",
            "feature_snapshot",
            "prob_high",
            "tier",
            "routed_to_review",
            "latency_ms",
        )
        .iterator(chunk_size=5000)
    )


def _feature_counts(spec: dict, values: list[Any]) -> list[int]:
    if spec["kind"] == "choice":
        return psi.choice_counts(values, spec["categories"])
    numbers = np.fromiter(
        (np.nan if v is None or isinstance(v, str) else float(v) for v in values),
        dtype=np.float64,
        count=len(values),
    )
    return psi.numeric_counts(numbers, spec["edges"])


def _earlier_counts(day: dt.date, model: ModelVersion) -> dict[tuple[str, str], tuple[int, list[int]]]:
    """Rows and bin counts of the window's earlier days, per (channel, feature)."""
    window = settings.MONITORING_PSI_WINDOW_DAYS
    found: dict[tuple[str, str], tuple[int, list[int]]] = {}
    for channel, feature, rows, counts in DriftDaily.objects.filter(
        model_version=model,
        day__gte=day - dt.timedelta(days=window - 1),
        day__lt=day,
    ).values_list("channel", "feature", "rows", "counts"):
        n, total = found.get((channel, feature), (0, [0] * len(counts)))
        if len(total) == len(counts):
            found[(channel, feature)] = (n + rows, [a + b for a, b in zip(total, counts, strict=True)])
    return found


def drift_rows(
    day: dt.date, model: ModelVersion, rows: list[tuple], bins: dict[str, dict]
) -> list[DriftDaily]:
    """Each day's bin counts per feature and score, overall and per channel; its PSI is over
    the MONITORING_PSI_WINDOW_DAYS ending that day (the counts add up), so a quiet channel's
    few rows a day do not read as drift: PSI's noise grows as bins / rows."""
    earlier = _earlier_counts(day, model)
    by_channel: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_channel[row[1]].append(row)
    groups = {ALL_CHANNELS: rows, **by_channel}
    out = []
    for channel, group in groups.items():
        for feature, spec in bins.items():
            if feature == SCORE:
                values: list[Any] = [r[3] for r in group]
            else:
                values = [(r[2] or {}).get(feature) for r in group]
            counts = _feature_counts(spec, values)
            before_rows, before = earlier.get((channel, feature), (0, [0] * len(counts)))
            window = (
                [a + b for a, b in zip(counts, before, strict=True)] if len(before) == len(counts) else counts
            )
            enough = len(group) + before_rows >= settings.MONITORING_PSI_MIN_ROWS
            out.append(
                DriftDaily(
                    day=day,
                    model_version=model,
                    channel=channel,
                    feature=feature,
                    rows=len(group),
                    counts=counts,
                    psi=round(psi.psi(spec["shares"], window), 6) if enough else None,
                )
            )
    return out


def volume_rows(day: dt.date, rows: list[tuple]) -> list[VolumeDaily]:
    by_channel: dict[str, list[tuple]] = defaultdict(list)
    for row in rows:
        by_channel[row[1]].append(row)
    out = []
    for channel, group in sorted(by_channel.items()):
        tiers = [r[4] for r in group]
        latency = np.asarray([r[6] for r in group if r[6] is not None], dtype=np.float64)
        out.append(
            VolumeDaily(
                day=day,
                channel=channel,
                decisions=len(group),
                low=tiers.count("low"),
                medium=tiers.count("medium"),
                high=tiers.count("high"),
                routed=sum(1 for r in group if r[5]),
                latency_p50_ms=float(np.percentile(latency, 50)) if len(latency) else None,
                latency_p95_ms=float(np.percentile(latency, 95)) if len(latency) else None,
            )
        )
    return out


def rollup_drift_and_volume(day: dt.date) -> dict[str, int]:
    rows = _day_decisions(day)
    by_model: dict[int, list[tuple]] = defaultdict(list)
    for row in rows:
        by_model[row[0]].append(row)
    drift: list[DriftDaily] = []
    for model in ModelVersion.objects.filter(pk__in=list(by_model)):
        baseline = baseline_for(model, bins=settings.MONITORING_PSI_BINS)
        if baseline is not None:
            drift += drift_rows(day, model, by_model[model.pk], baseline.bins)
    volumes = volume_rows(day, rows)
    with transaction.atomic():
        DriftDaily.objects.filter(day=day).delete()
        DriftDaily.objects.bulk_create(drift)
        VolumeDaily.objects.filter(day=day).delete()
        VolumeDaily.objects.bulk_create(volumes)
    return {"decisions": len(rows), "drift_rows": len(drift)}


def rollup_days(days: list[dt.date]) -> dict[str, Any]:
    """Every roll-up for each day (and the weeks they fall in)."""
    from monitoring.services.fairness import rollup_fairness
    from monitoring.services.labels import rollup_labels
    from monitoring.services.quality import rollup_quality

    totals: dict[str, Any] = defaultdict(int)
    for day in sorted(set(days)):
        for key, value in rollup_drift_and_volume(day).items():
            totals[key] += value
        rollup_fairness(day)
        rollup_labels(day)
    for week in sorted({d - dt.timedelta(days=d.weekday()) for d in days}):
        rollup_quality(week)
    totals["days"] = len(set(days))
    return dict(totals)


def recent_days(today: dt.date | None = None) -> list[dt.date]:
    today = today or timezone.localdate()
    return [today - dt.timedelta(days=n) for n in range(settings.MONITORING_RECOMPUTE_DAYS + 1)]
