"""The calibration curve and the confusion heat map of the quality panel: pooled from the
weekly roll-ups with known answers, drawn as SVG with a title, an aria-label and a table."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

import charts
from monitoring import selectors
from monitoring.models import ALL_CHANNELS, QualityWeekly

WEEK_1: dict[str, Any] = {
    "confusion": [[8, 2, 0], [1, 5, 4], [0, 1, 9]],
    "calibration": [
        {"predicted": 0.1, "observed": 0.0, "n": 10},
        {"predicted": 0.7, "observed": 0.6, "n": 10},
    ],
}
WEEK_2: dict[str, Any] = {
    "confusion": [[2, 0, 0], [0, 5, 0], [0, 0, 1]],
    "calibration": [
        {"predicted": 0.14, "observed": 0.2, "n": 30},
        {"predicted": 0.9, "observed": 1.0, "n": 5},
    ],
}


def test_the_weeks_pool_into_one_table_and_one_curve() -> None:
    period = selectors.quality_period([WEEK_1, WEEK_2])
    assert period["confusion"] == [[10, 2, 0], [1, 10, 4], [0, 1, 10]]
    assert period["labels"] == 38 and period["agreement"] == pytest.approx(30 / 38)
    assert [r["total"] for r in period["confusion_rows"]] == [12, 15, 11]
    first, second, third = period["calibration"]
    # 0.1 and 0.14 share the first band; averaged by their label counts
    assert (first["low"], first["high"], first["n"]) == (0.0, 0.2, 40)
    assert first["predicted"] == pytest.approx((0.1 * 10 + 0.14 * 30) / 40, abs=1e-4)
    assert first["observed"] == pytest.approx((0.0 * 10 + 0.2 * 30) / 40, abs=1e-4)
    assert (second["low"], second["n"], third["low"], third["n"]) == (0.6, 10, 0.8, 5)
    empty = selectors.quality_period([])
    assert empty["labels"] == 0 and empty["agreement"] is None and empty["calibration"] == []


def test_the_confusion_heat_map_shades_by_row_share_and_outlines_agreement() -> None:
    svg = str(
        charts.confusion_heatmap(
            [[10, 0, 0], [5, 5, 0], [0, 0, 0]],
            rows=["low", "medium", "high"],
            columns=["low", "medium", "high"],
            label="Tiers <v2>",
        )
    )
    assert 'role="img" aria-label="Tiers &lt;v2&gt;"' in svg and "<title>Tiers &lt;v2&gt;</title>" in svg
    assert svg.count("<rect") == 9 and svg.count("conf-diag") == 3
    assert 'class="conf-4 conf-diag"' in svg  # low row: all kept
    assert svg.count('class="conf-2') == 2  # medium row: half and half
    assert svg.count('class="conf-none') == 6  # empty cells: two in low, one in medium, the empty high row
    assert "model medium, final low: 5 (50% of the row)" in svg
    assert "style=" not in svg and "<script" not in svg


def test_the_calibration_curve_puts_each_band_where_it_belongs() -> None:
    points = [{"predicted": 0.0, "observed": 0.0, "n": 4}, {"predicted": 1.0, "observed": 0.5, "n": 16}]
    svg = str(charts.calibration_curve(points, label="Calibration", size=300))
    circles = re.findall(r'<circle class="line-weighted" cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"', svg)
    (x0, y0, r0), (x1, y1, r1) = [tuple(map(float, c)) for c in circles]
    plot = 300 - charts.LEFT - charts.RIGHT
    assert (x0, y0) == (charts.LEFT, charts.TOP + plot)  # (0, 0): bottom left
    assert (x1, y1) == pytest.approx((charts.LEFT + plot, charts.TOP + plot / 2), abs=0.1)
    assert r1 > r0  # more labels, a larger dot
    assert 'class="reference"' in svg and "predicted 1.00, observed 0.50, 16 labels" in svg
    assert "<polyline" in svg and 'aria-label="Calibration"' in svg


@pytest.mark.django_db
def test_the_dashboard_shows_both_charts_with_their_tables(active_model, make_user) -> None:
    from accounts.roles import Role

    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday() + 7)
    for i, week in enumerate((WEEK_1, WEEK_2)):
        QualityWeekly.objects.create(
            week=monday - dt.timedelta(days=7 * i),
            model_version=active_model,
            channel=ALL_CHANNELS,
            decisions=100,
            labels=sum(sum(row) for row in week["confusion"]),
            naive_accuracy=0.8,
            weighted_accuracy=0.85,
            confusion=week["confusion"],
            calibration=week["calibration"],
        )
    client = Client()
    client.force_login(make_user("ann", Role.ANALYST))
    html = client.get("/monitoring/?days=30").content.decode()
    calibration = html[html.index('id="calibration"') : html.index('id="confusion"')]
    confusion = html[html.index('id="confusion"') : html.index('id="fairness"')]
    assert f"Calibration of P(high), model v{active_model.version}" in calibration
    assert "<table>" in calibration and "0.0 to 0.2" in calibration and "<td>40</td>" in calibration
    assert "38 labels" in confusion and 'class="conf-3 conf-diag"' in confusion  # medium: 10 of 15 kept
    assert "<td>10</td><td>2</td><td>0</td><td>12</td>" in confusion
    assert "78.9%" in confusion  # kept for 30 of 38 labels, said in words
    assert "style=" not in html
