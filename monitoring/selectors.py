"""Reads for the pages and the alert rules: roll-ups only, never the decisions."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, cast

from django.conf import settings
from django.db.models import Subquery, Sum
from django.utils import timezone

from monitoring.agreement import cohen_kappa
from monitoring.models import (
    ALL_CHANNELS,
    SCORE,
    Alert,
    AlertStatus,
    AuditorDaily,
    DriftDaily,
    FairnessDaily,
    OperationsSnapshot,
    QualityWeekly,
    RaterPairDaily,
    VolumeDaily,
)
from scoring.models import TIERS, ModelStatus, ModelVersion

Z95 = 1.959964


def _rows(values: Iterable[Any]) -> Iterable[dict[str, Any]]:
    """Rows of .values(): dicts the code below adds keys to (the type checker's view of them
    is a TypedDict of the selected names only)."""
    return cast("Iterable[dict[str, Any]]", values)


def window(days: int, *, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return today - dt.timedelta(days=days - 1), today


TABLE_TAIL = ("low", "medium", "high", "routed")  # the volume table's columns after the channels


def volumes(start: dt.date, end: dt.date) -> dict[str, Any]:
    """Per day and channel: decisions and tier mix; the channels seen; totals."""
    rows = list(
        VolumeDaily.objects.filter(day__range=(start, end))
        .order_by("day", "channel")
        .values(
            "day",
            "channel",
            "decisions",
            "low",
            "medium",
            "high",
            "routed",
            "latency_p50_ms",
            "latency_p95_ms",
        )
    )
    channels = sorted({r["channel"] for r in rows})
    days: dict[dt.date, dict[str, Any]] = {}
    for r in rows:
        day = days.setdefault(
            r["day"],
            {
                "day": r["day"],
                "by_channel": {},
                "low": 0,
                "medium": 0,
                "high": 0,
                "decisions": 0,
                "routed": 0,
            },
        )
        day["by_channel"][r["channel"]] = r["decisions"]
        for key in ("low", "medium", "high", "decisions", "routed"):
            day[key] += r[key]
    # The table's rows, cells in the header's order: a year is thousands of cells, drawn by
    # monitoring_tags.table_rows rather than by nested template loops.
    table = [
        [d["day"], *(d["by_channel"].get(c, 0) for c in channels), *(d[k] for k in TABLE_TAIL)]
        for d in days.values()
    ]
    by_channel = dict.fromkeys(channels, 0)
    for r in rows:
        by_channel[r["channel"]] += r["decisions"]
    latency = [r["latency_p50_ms"] for r in rows if r["latency_p50_ms"] is not None]
    return {
        "channels": channels,
        "days": list(days.values()),
        "table": table,
        "total": sum(d["decisions"] for d in days.values()),
        "latency_p50_ms": sorted(latency)[len(latency) // 2] if latency else None,
        "by_channel": by_channel,
    }


WEEKS_BEYOND_DAYS = 120  # a longer period's heat map has a column per week, not per day


def drift_grid(start: dt.date, end: dt.date, *, channel: str = ALL_CHANNELS) -> dict[str, Any]:
    """Feature x day PSI of the model deciding each day (the score first); each feature's
    latest PSI and its highest in the period (the day it was reached). Over a period longer
    than WEEKS_BEYOND_DAYS the heat map's columns are weeks (`unit`), each cell the highest
    daily PSI of its week (a week is as bad as its worst day, as the alert rule reads it):
    a year of days is thousands of cells too narrow to read."""
    rows = (
        DriftDaily.objects.filter(day__range=(start, end), channel=channel)
        .order_by("day")
        .values_list("feature", "day", "psi")
    )
    cells: dict[str, dict[dt.date, float | None]] = defaultdict(dict)
    for feature, day, value in rows:
        cells[feature][day] = value
    features = sorted(cells, key=lambda f: (f != SCORE, f))
    days = sorted({d for per in cells.values() for d in per})
    latest = {
        f: next((cells[f][d] for d in reversed(days) if cells[f].get(d) is not None), None) for f in features
    }
    peak: dict[str, tuple[float, dt.date] | None] = {}
    for f in features:
        measured = [(v, d) for d, v in cells[f].items() if v is not None]
        peak[f] = max(measured, key=lambda m: (m[0], m[1])) if measured else None
    grid = {
        "features": features,
        "unit": "day",
        "days": days,
        "cells": cells,
        "latest": latest,
        "peak": peak,
        "watch": settings.MONITORING_PSI_WATCH,
        "act": settings.MONITORING_PSI_ACT,
        "flagged": drift_flagged(end),
    }
    if (end - start).days + 1 > WEEKS_BEYOND_DAYS:
        grid.update(unit="week", **by_week(cells))
    return grid


def by_week(cells: dict[str, dict[dt.date, float | None]]) -> dict[str, Any]:
    """Daily cells as weeks (Monday first): a week's cell is its highest daily PSI, None
    when none of its days had enough rows; `measured` counts the days that had."""
    weekly: dict[str, dict[dt.date, float | None]] = {}
    measured: dict[str, dict[dt.date, int]] = {}
    for feature, per_day in cells.items():
        out: dict[dt.date, float | None] = {}
        seen: dict[dt.date, int] = {}
        for day, value in per_day.items():
            week = day - dt.timedelta(days=day.weekday())
            before = out.get(week)
            if value is None:
                out.setdefault(week, None)
                continue
            out[week] = value if before is None else max(before, value)
            seen[week] = seen.get(week, 0) + 1
        weekly[feature], measured[feature] = out, seen
    weeks = sorted({w for per in weekly.values() for w in per})
    return {"days": weeks, "cells": weekly, "measured": measured}


def drift_flagged(end: dt.date) -> list[dict[str, Any]]:
    """On the latest measured day up to `end`: every channel and feature at watch or above
    (one query: the day is a subquery)."""
    latest = DriftDaily.objects.filter(day__lte=end, psi__isnull=False).order_by("-day").values("day")[:1]
    return list(
        _rows(
            DriftDaily.objects.filter(day=Subquery(latest), psi__gte=settings.MONITORING_PSI_WATCH)
            .order_by("-psi")
            .values("day", "channel", "feature", "psi")[:20]
        )
    )


def quality_series(start: dt.date, end: dt.date) -> dict[str, Any]:
    """Weekly naive and weighted accuracy and AUC (all channels) and the training reference."""
    rows = list(
        QualityWeekly.objects.filter(week__range=(start - dt.timedelta(days=6), end), channel=ALL_CHANNELS)
        .order_by("week", "model_version__version")
        .values(
            "week",
            "model_version__version",
            "labels",
            "decisions",
            "naive_accuracy",
            "weighted_accuracy",
            "naive_auc",
            "weighted_auc",
            "confusion",
            "calibration",
        )
    )
    active = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
    reference = {}
    if active is not None:
        reference = {
            "version": active.version,
            "accuracy": (active.metrics or {}).get("accuracy"),
            "auc": (active.metrics or {}).get("roc_auc_high_vs_rest"),
        }
    return {"weeks": rows, "reference": reference}


CALIBRATION_BINS = 5  # the roll-up's bins of P(high) (monitoring.services.quality)


def quality_period(weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """The weeks' confusion tables summed, and their calibration bins pooled: a bin's
    figures averaged over the weeks by their label counts (each week's own figures are
    weighted by 1 / review probability already). A bin is known by its mean prediction,
    which lies inside it."""
    confusion = [[0] * len(TIERS) for _ in TIERS]
    pooled: dict[int, list[float]] = {}
    for week in weeks:
        for r, row in enumerate(week.get("confusion") or []):
            for c, count in enumerate(row):
                confusion[r][c] += int(count)
        for point in week.get("calibration") or []:
            n = int(point["n"])
            b = min(int(float(point["predicted"]) * CALIBRATION_BINS), CALIBRATION_BINS - 1)
            acc = pooled.setdefault(b, [0.0, 0.0, 0])
            acc[0] += float(point["predicted"]) * n
            acc[1] += float(point["observed"]) * n
            acc[2] += n
    calibration = [
        {
            "low": b / CALIBRATION_BINS,
            "high": (b + 1) / CALIBRATION_BINS,
            "predicted": round(acc[0] / acc[2], 4),
            "observed": round(acc[1] / acc[2], 4),
            "n": int(acc[2]),
        }
        for b, acc in sorted(pooled.items())
        if acc[2]
    ]
    rows = [
        {
            "tier": TIERS[r],
            "counts": row,
            "total": sum(row),
            "agreed": row[r] / sum(row) if sum(row) else None,
        }
        for r, row in enumerate(confusion)
    ]
    labels = sum(sum(row) for row in confusion)
    agreed = sum(confusion[i][i] for i in range(len(TIERS)))
    return {
        "confusion": confusion,
        "confusion_rows": rows,
        "labels": labels,
        "agreement": agreed / labels if labels else None,
        "calibration": calibration,
    }


def impact_ratio(rate: float, n: int, ref_rate: float, ref_n: int) -> tuple[float, float, float] | None:
    """Ratio of favourable rates with a 95% interval (log of a ratio of proportions)."""
    if not (rate > 0 and ref_rate > 0 and n and ref_n):
        return None
    ratio = rate / ref_rate
    se = math.sqrt((1 - rate) / (n * rate) + (1 - ref_rate) / (ref_n * ref_rate))
    return ratio, ratio * math.exp(-Z95 * se), ratio * math.exp(Z95 * se)


def fairness(start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Per attribute, per group: size, tier mix, favourable and override rates, and the
    adverse impact ratio against the group with the highest favourable rate. Groups under
    MONITORING_FAIRNESS_MIN_GROUP are reported as too small, never as a rate."""
    sums = (
        FairnessDaily.objects.filter(day__range=(start, end))
        .values("attribute", "group")
        .annotate(
            n=Sum("decisions"),
            fav=Sum("favourable"),
            low=Sum("low"),
            medium=Sum("medium"),
            high=Sum("high"),
            reviewed=Sum("reviewed"),
            overridden=Sum("overridden"),
        )
        .order_by("attribute", "group")
    )
    minimum, floor = settings.MONITORING_FAIRNESS_MIN_GROUP, settings.MONITORING_IMPACT_RATIO_MIN
    by_attribute: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(sums):
        row["too_small"] = row["n"] < minimum
        row["rate"] = None if row["too_small"] else row["fav"] / row["n"]
        row["override_rate"] = (
            row["overridden"] / row["reviewed"] if row["reviewed"] and not row["too_small"] else None
        )
        by_attribute[row["attribute"]].append(row)
    out = []
    for attribute, groups in by_attribute.items():
        sized = [g for g in groups if not g["too_small"]]
        ref = max(sized, key=lambda g: g["rate"], default=None)
        for g in groups:
            g["reference"] = g is ref
            ratio = (
                None
                if g["too_small"] or ref is None
                else impact_ratio(g["rate"], g["n"], ref["rate"], ref["n"])
            )
            g["ratio"], g["ratio_low"], g["ratio_high"] = ratio or (None, None, None)
            g["adverse"] = g["ratio"] is not None and g["ratio"] < floor
        out.append({"attribute": attribute, "groups": groups})
    return out


def auditors(start: dt.date, end: dt.date) -> dict[str, Any]:
    rows = list(
        _rows(
            AuditorDaily.objects.filter(day__range=(start, end))
            .values("auditor_label")
            .annotate(
                reviews=Sum("reviews"),
                agreed=Sum("agreed"),
                overridden=Sum("overridden"),
                dwell=Sum("dwell_seconds"),
                short=Sum("short_dwell"),
                blind=Sum("blind"),
                blind_agreed=Sum("blind_agreed"),
            )
            .order_by("-reviews")
        )
    )
    for r in rows:
        n = r["reviews"]
        shown = n - r["blind"]
        r["agreement"] = r["agreed"] / n
        r["override_rate"] = r["overridden"] / n
        r["mean_dwell"] = r["dwell"] / n
        r["blind_agreement"] = r["blind_agreed"] / r["blind"] if r["blind"] else None
        r["shown_agreement"] = (r["agreed"] - r["blind_agreed"]) / shown if shown else None
        r["rubber_stamp"] = (
            r["short"] / n > 0.5 and r["agreement"] >= settings.MONITORING_RUBBER_STAMP_AGREEMENT
        )
    pairs: dict[tuple[str, str], list[list[int]]] = {}
    for a, b, table in RaterPairDaily.objects.filter(day__range=(start, end)).values_list(
        "first_label", "second_label", "table"
    ):
        total = pairs.setdefault((a, b), [[0] * 3 for _ in TIERS])
        for i in range(3):
            for j in range(3):
                total[i][j] += table[i][j]
    overall = [[sum(t[i][j] for t in pairs.values()) for j in range(3)] for i in range(3)]
    return {
        "auditors": rows,
        "pairs": [
            {"first": a, "second": b, "items": sum(map(sum, t)), "kappa": cohen_kappa(t)}
            for (a, b), t in sorted(pairs.items())
        ],
        "kappa": cohen_kappa(overall),
        "pair_items": sum(map(sum, overall)),
    }


def operations(start: dt.date, end: dt.date) -> dict[str, Any]:
    latest = OperationsSnapshot.objects.order_by("-taken_at").first()
    return {"latest": latest}


def open_alerts() -> list[Alert]:
    return list(Alert.objects.exclude(status=AlertStatus.RESOLVED).select_related("acknowledged_by"))


def recent_alerts(limit: int = 100) -> list[Alert]:
    return list(Alert.objects.select_related("acknowledged_by", "resolved_by")[:limit])
