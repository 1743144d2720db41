"""A year on the dashboard: the drift heat map's columns become weeks (each the week's highest
daily PSI, with the days measured), the volume table keeps a row per day with every channel
in the header's order; a short period keeps a column per day."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

import charts
from accounts.roles import Role
from monitoring import selectors
from monitoring.models import ALL_CHANNELS, SCORE, DriftDaily, VolumeDaily

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)
# Two weeks of one feature's daily PSI (None: too few rows that day), then a week of nothing.
X = {
    MONDAY: 0.05,
    MONDAY + dt.timedelta(days=1): None,
    MONDAY + dt.timedelta(days=2): 0.31,
    MONDAY + dt.timedelta(days=6): 0.12,
    MONDAY + dt.timedelta(days=7): 0.02,  # the next Monday
    MONDAY + dt.timedelta(days=9): 0.08,
    MONDAY + dt.timedelta(days=14): None,
    MONDAY + dt.timedelta(days=15): None,
}


def _drift(model, feature: str, values: dict[dt.date, float | None], channel: str = ALL_CHANNELS) -> None:
    DriftDaily.objects.bulk_create(
        DriftDaily(day=d, model_version=model, channel=channel, feature=feature, psi=v, rows=100)
        for d, v in values.items()
    )


def test_a_long_period_has_a_column_per_week_holding_its_highest_daily_psi(active_model) -> None:
    _drift(active_model, "x", X)
    _drift(active_model, SCORE, {MONDAY + dt.timedelta(days=3): 0.01})
    _drift(active_model, "x", {MONDAY: 0.9}, channel="web")  # another channel: not in this grid
    end = MONDAY + dt.timedelta(days=20)
    grid = selectors.drift_grid(end - dt.timedelta(days=364), end)
    assert grid["unit"] == "week" and grid["features"] == [SCORE, "x"]
    weeks = [MONDAY, MONDAY + dt.timedelta(days=7), MONDAY + dt.timedelta(days=14)]
    assert grid["days"] == weeks
    assert grid["cells"]["x"] == {weeks[0]: 0.31, weeks[1]: 0.08, weeks[2]: None}
    assert grid["measured"]["x"] == {weeks[0]: 3, weeks[1]: 2}
    assert grid["cells"][SCORE] == {weeks[0]: 0.01}
    # the table beside it: the latest measured day, and the highest day of the period
    assert grid["latest"]["x"] == 0.08 and grid["peak"]["x"] == (0.31, MONDAY + dt.timedelta(days=2))

    svg = str(charts.heatmap(grid, label="Drift per week", shown_as={SCORE: "score"}))
    assert svg.count("<rect") == 2 * 3
    assert "<title>x week of 2026-03-02: highest daily PSI 0.310 (3 days measured)</title>" in svg
    assert "<title>x week of 2026-03-16: too few rows</title>" in svg
    assert "<title>score week of 2026-03-09: too few rows</title>" in svg  # no row that week
    assert svg.count('class="psi-act"') == 1 and svg.count('class="psi-watch"') == 0


def test_a_short_period_keeps_a_column_per_day(active_model) -> None:
    _drift(active_model, "x", X)
    end = MONDAY + dt.timedelta(days=20)
    grid = selectors.drift_grid(end - dt.timedelta(days=selectors.WEEKS_BEYOND_DAYS - 1), end)
    assert grid["unit"] == "day" and grid["days"] == sorted(X)
    assert grid["cells"]["x"][MONDAY + dt.timedelta(days=2)] == 0.31
    svg = str(charts.heatmap(grid, label="Drift per day"))
    assert svg.count("<rect") == len(X) and "<title>x 2026-03-04: PSI 0.310</title>" in svg


def test_the_year_page_draws_weeks_and_keeps_its_tables(active_model, make_user) -> None:
    today = timezone.localdate()
    days = [today - dt.timedelta(days=n) for n in range(365)]
    _drift(active_model, "x", {d: 0.3 if d == today else 0.01 for d in days})
    VolumeDaily.objects.bulk_create(
        [VolumeDaily(day=d, channel="web", decisions=5, low=3, medium=1, high=1, routed=2) for d in days]
        + [VolumeDaily(day=today, channel="api", decisions=4, low=4)]
    )
    client = Client()
    client.force_login(make_user("ann", Role.ANALYST))

    page = client.get("/monitoring/", {"days": "365"})
    assert page.status_code == 200
    html = page.content.decode()
    drift = html[html.index('id="drift"') : html.index('id="quality"')]
    weeks = len({d - dt.timedelta(days=d.weekday()) for d in days})
    assert drift.count("<rect") == weeks
    assert "Drift (PSI) per feature and week, each cell the week&#x27;s highest daily PSI" in drift
    assert "Each column is a week" in drift and "each cell is the week's highest daily PSI" in drift
    assert f"<td>0.300 on {today:%Y-%m-%d}</td>" in drift  # the highest of the period, in words
    volume = html[html.index('id="volume"') : html.index('id="drift"')]
    assert re.search(r"<th>api</th><th>web</th><th>low</th>", volume)
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td>((?:<td>\d+</td>)+)</tr>", volume)
    assert len(rows) == 365 and rows[0][0] == f"{days[-1]:%Y-%m-%d}"
    assert rows[0][1] == "<td>0</td><td>5</td><td>3</td><td>1</td><td>1</td><td>2</td>"  # no api row: 0
    assert rows[-1][1] == "<td>4</td><td>5</td><td>7</td><td>1</td><td>1</td><td>2</td>"

    month = client.get("/monitoring/", {"days": "30"}).content.decode()
    drift = month[month.index('id="drift"') : month.index('id="quality"')]
    assert drift.count("<rect") == 30 and "Each column is a week" not in drift
