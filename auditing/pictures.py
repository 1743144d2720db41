"""The label-quality page's charts over time (issue #15): server-side SVG from charts/, one
picture per figure of the table (reviews, agreement with the model shown and blind, override
rate, time open), for everyone or one auditor. Each comes with a sentence; the page keeps a
table of every period beside them as the text alternative."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from django.utils.safestring import SafeString

import charts

PerPeriod = list[tuple[dt.date, float | None]]


def _when(start: dt.date, unit: str) -> str:
    if unit == "month":
        return f"{start:%b %Y}"
    return f"week of {start:%b %d}" if unit == "week" else f"{start:%b %d}"


def _nice_top(values: Sequence[float | None], least: float) -> float:
    """The axis' top: the largest value rounded up to 1, 2, 2.5 or 5 times a power of ten."""
    largest = max((v for v in values if v is not None), default=0.0)
    if largest <= least:
        return least
    power = 10 ** math.floor(math.log10(largest))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= largest)


def _said(name: str, series: PerPeriod, unit: str, fmt: str) -> str:
    """One series in words: first and last value, lowest and highest, and when."""
    known = [(start, v) for start, v in series if v is not None]
    if not known:
        return f"{name}: none"
    (first_at, first), (last_at, last) = known[0], known[-1]
    if len(known) == 1:
        return f"{name} {fmt.format(first)} ({_when(first_at, unit)})"
    low_at, low = min(known, key=lambda p: p[1])
    high_at, high = max(known, key=lambda p: p[1])
    return (
        f"{name} from {fmt.format(first)} ({_when(first_at, unit)}) to {fmt.format(last)} "
        f"({_when(last_at, unit)}), lowest {fmt.format(low)} ({_when(low_at, unit)}), "
        f"highest {fmt.format(high)} ({_when(high_at, unit)})"
    )


def _picture(svg: SafeString, alt: str, legend: list[tuple[str, str]]) -> dict[str, Any]:
    return {"svg": svg, "alt": alt, "legend": legend}


TITLES = {
    "volume": "Reviews",
    "agreement": "Agreement with the model: overall, with its tier shown, blind",
    "overrides": "Override rate",
    "dwell": "Time open: median and mean",
}


def _lines(
    series: dict[str, PerPeriod],
    classes: dict[str, str],
    *,
    title: str,
    unit: str,
    fmt: str,
    top: float,
) -> dict[str, Any]:
    said = "; ".join(_said(name, points, unit, fmt) for name, points in series.items())
    label = f"{title} per {unit}: {said}"
    svg = charts.lines(series, classes=classes, reference=None, label=label, top=top, fmt=fmt)
    return _picture(svg, label + ".", [(classes[name], name) for name in series])


def quality_pictures(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The charts of auditing.quality.label_quality_series, each with its key, title, SVG,
    sentence and legend; none when nothing was reviewed."""
    if not found["reviews"]:
        return []
    unit, periods = found["unit"], found["periods"]
    who = found["auditor"] or "all auditors"

    def per(key: str) -> PerPeriod:
        return [(p["start"], p[key]) for p in periods]

    auditors = found["auditors"]
    classes = [f"series-{i % 6}" for i in range(len(auditors))]
    busiest = max(periods, key=lambda p: p["reviews"])
    by_auditor = ", ".join(
        f"{label} {sum(v['by_auditor'][label] for v in found['volume']):,}" for label in auditors
    )
    volume_label = (
        f"Reviews per {unit}, {who}: {found['reviews']:,} in {len(periods)} {unit}s, most in the "
        f"{_when(busiest['start'], unit)} ({busiest['reviews']:,})"
        + (f"; by auditor: {by_auditor}" if len(auditors) > 1 else "")
    )
    volume = charts.stacked_bars(
        found["volume"],
        auditors,
        classes=classes,
        value=lambda d, k: d["by_auditor"][k],
        label=volume_label,
    )
    drawn = {
        "volume": _picture(volume, volume_label + ".", list(zip(classes, auditors, strict=True))),
        "agreement": _lines(
            {
                "overall": per("agreement"),
                "model shown": per("shown_agreement"),
                "blind": per("blind_agreement"),
            },
            {"overall": "q-all", "model shown": "q-shown", "blind": "q-blind"},
            title=f"Agreement with the model, {who},",
            unit=unit,
            fmt="{:.0%}",
            top=1.0,
        ),
        "overrides": _lines(
            {"override rate": per("override_rate")},
            {"override rate": "q-override"},
            title=f"Override rate, {who},",
            unit=unit,
            fmt="{:.0%}",
            top=_nice_top([p["override_rate"] for p in periods], 0.1),
        ),
        "dwell": _lines(
            {"median": per("median_seconds"), "mean": per("mean_seconds")},
            {"median": "q-median", "mean": "q-mean"},
            title=f"Time an item was open (seconds), {who},",
            unit=unit,
            fmt="{:,.0f} s",
            top=_nice_top([p["mean_seconds"] for p in periods] + [p["median_seconds"] for p in periods], 10),
        ),
    }
    return [{"key": key, "title": title, **drawn[key]} for key, title in TITLES.items()]
