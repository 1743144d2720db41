"""Label quality over time (issue #15): the figures of the label-quality table per day, week
or month, for everyone or one auditor. Reads only (a selector module beside selectors.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Aggregate, Avg, Count, DateField, FloatField, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from auditing.models import Outcome, Review, ReviewStatus

# Over time: the same figures per day, week or month, so a lead sees a drift (auditors who
# start to follow the model, or to hurry) rather than one number for the period. Read from the
# reviews themselves, as the table is: the monitoring roll-ups (AuditorDaily) count rejected
# proposals too, define agreement by tier rather than outcome, keep no median, and monitoring
# sits above this app.
QUALITY_OTHERS = "others"
QUALITY_MAX_AUDITORS = 5  # the most active auditors get a colour each in the volume chart
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


class _Median(Aggregate):
    """PostgreSQL's median of a column (Django has no median aggregate)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def quality_unit(days: int) -> str:
    """A point per day up to a month, per week up to two years, per month beyond."""
    return "day" if days <= 31 else "week" if days <= 730 else "month"


def quality_periods(first: dt.date, last: dt.date, unit: str) -> list[dt.date]:
    """The start of every day, week (its Monday) or month from `first` to `last`."""
    if unit == "week":
        first -= dt.timedelta(days=first.weekday())
    elif unit == "month":
        first = first.replace(day=1)
    out = []
    while first <= last:
        out.append(first)
        if unit == "month":
            first = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        else:
            first += dt.timedelta(days=7 if unit == "week" else 1)
    return out


def label_quality_series(*, since: dt.datetime, unit: str, auditor: str = "") -> dict[str, Any]:
    """Per period (day, week or month, in the site's time zone), for everyone or one auditor:
    reviews, agreement with the model (overall, shown, blind), override rate and the median
    and mean time open, with the figures of label_quality; periods without reviews are there
    with 0 reviews and no rates. And the reviews per period of the most active auditors (the
    rest as "others"), for the volume chart."""
    reviews = Review.objects.filter(status=ReviewStatus.EFFECTIVE, created_at__gte=since).annotate(
        period=_TRUNC[unit]("created_at", output_field=DateField())
    )
    mine = reviews.filter(auditor_label=auditor) if auditor else reviews
    agree = Q(outcome=Outcome.CONFIRMED)
    found: dict[dt.date, dict[str, Any]] = {
        row["period"]: dict(row)
        for row in mine.values("period").annotate(
            n=Count("pk"),  # names unlike the fields': an annotation "blind" would hide the column
            n_agreed=Count("pk", filter=agree),
            n_overridden=Count("pk", filter=Q(outcome=Outcome.OVERRIDDEN)),
            n_shown=Count("pk", filter=Q(blind=False)),
            n_shown_agreed=Count("pk", filter=Q(blind=False) & agree),
            n_blind=Count("pk", filter=Q(blind=True)),
            n_blind_agreed=Count("pk", filter=Q(blind=True) & agree),
            mean_seconds=Avg("seconds_open"),
            median_seconds=_Median("seconds_open"),
        )
    }
    starts = quality_periods(timezone.localdate(since), timezone.localdate(), unit)
    periods = []
    for start in starts:
        row: dict[str, Any] = found.get(start) or {}
        n, shown, blind = row.get("n", 0), row.get("n_shown", 0), row.get("n_blind", 0)
        periods.append(
            {
                "start": start,
                "reviews": n,
                "overrides": row.get("n_overridden", 0),
                "shown": shown,
                "blind": blind,
                "agreement": row["n_agreed"] / n if n else None,
                "override_rate": row["n_overridden"] / n if n else None,
                "shown_agreement": row["n_shown_agreed"] / shown if shown else None,
                "blind_agreement": row["n_blind_agreed"] / blind if blind else None,
                "median_seconds": row.get("median_seconds"),
                "mean_seconds": row.get("mean_seconds"),
            }
        )
    counts: dict[str, dict[dt.date, int]] = {}
    for period, label, n in mine.values_list("period", "auditor_label").annotate(n=Count("pk")):
        counts.setdefault(label, {})[period] = n
    ranked = sorted(counts, key=lambda label: (-sum(counts[label].values()), label))
    shown_auditors = ranked[:QUALITY_MAX_AUDITORS]
    if len(ranked) > QUALITY_MAX_AUDITORS:
        rest: dict[dt.date, int] = {}
        for label in ranked[QUALITY_MAX_AUDITORS:]:
            for start, n in counts[label].items():
                rest[start] = rest.get(start, 0) + n
        counts[QUALITY_OTHERS] = rest
        shown_auditors.append(QUALITY_OTHERS)
    return {
        "unit": unit,
        "auditor": auditor,
        "periods": periods,
        "reviews": sum(p["reviews"] for p in periods),
        "auditors": shown_auditors,
        "volume": [
            {"day": start, "by_auditor": {label: counts[label].get(start, 0) for label in shown_auditors}}
            for start in starts
        ],
    }
