"""The label-quality page over time (issue #15): the table's figures per day, week or month,
for everyone or one auditor, read from the reviews in PostgreSQL and drawn as SVG charts,
each with its sentence, the table of every period as their text alternative."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from auditing.quality import label_quality_series, quality_periods, quality_unit
from tests.monitoring.conftest import make_decisions, make_review  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

CHARTS = ("volume", "agreement", "overrides", "dwell")


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def labelled(
    active_model: Any,
    make_decisions: Any,  # noqa: F811
    make_review: Any,  # noqa: F811
) -> dict[str, dt.date]:
    """Three weeks of reviews by ann and bob, every figure known:
    20 days ago, ann: one confirmed (40 s), one overridden (100 s), both with the model shown;
    13 days ago, bob: blind confirmed (10 s), shown confirmed (20 s), blind overridden (90 s);
    6 days ago, ann: one confirmed (30 s)."""
    today = timezone.localdate()
    days = {"first": today - dt.timedelta(days=20), "second": today - dt.timedelta(days=13)}
    days["third"] = today - dt.timedelta(days=6)
    reviews = [
        ("first", "ann", "medium", 40, False),
        ("first", "ann", "high", 100, False),
        ("second", "bob", "medium", 10, True),
        ("second", "bob", "medium", 20, False),
        ("second", "bob", "low", 90, True),
        ("third", "ann", "medium", 30, False),
    ]
    decisions = make_decisions(active_model, [{"day": days[r[0]], "tier": "medium"} for r in reviews])
    for decision, (when, who, final, seconds, blind) in zip(decisions, reviews, strict=True):
        make_review(decision, who, final, seconds=seconds, blind=blind, day=days[when])
    return days


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def test_a_point_per_day_up_to_a_month_per_week_up_to_two_years_then_per_month() -> None:
    assert [quality_unit(d) for d in (1, 31, 32, 730, 731, 3650)] == ["day", "day"] + ["week"] * 2 + [
        "month"
    ] * 2
    assert quality_periods(dt.date(2026, 1, 30), dt.date(2026, 3, 2), "month") == [
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]
    weeks = quality_periods(dt.date(2026, 11, 4), dt.date(2026, 11, 23), "week")  # a Wednesday to a Monday
    assert weeks == [dt.date(2026, 11, 2), dt.date(2026, 11, 9), dt.date(2026, 11, 16), dt.date(2026, 11, 23)]
    assert len(quality_periods(dt.date(2026, 11, 1), dt.date(2026, 11, 30), "day")) == 30


def test_the_weeks_carry_the_tables_figures_and_the_median(labelled: dict[str, dt.date]) -> None:
    since = timezone.now() - dt.timedelta(days=60)
    found = label_quality_series(since=since, unit="week")
    by_start = {p["start"]: p for p in found["periods"]}
    assert found["reviews"] == 6 and len(found["periods"]) >= 9  # every week of the period, empty ones too
    first, second, third = (by_start[monday(labelled[k])] for k in ("first", "second", "third"))
    assert (first["reviews"], first["agreement"], first["override_rate"]) == (2, 0.5, 0.5)
    assert (first["shown_agreement"], first["blind_agreement"]) == (0.5, None)
    assert (first["median_seconds"], first["mean_seconds"]) == (70, 70)
    assert second["reviews"] == 3 and second["agreement"] == pytest.approx(2 / 3)
    assert (second["shown_agreement"], second["blind_agreement"]) == (1.0, 0.5)
    assert second["median_seconds"] == 20 and second["mean_seconds"] == pytest.approx(40)
    assert (third["reviews"], third["agreement"], third["override_rate"]) == (1, 1.0, 0.0)
    empty = next(p for p in found["periods"] if not p["reviews"])
    assert empty["agreement"] is None and empty["median_seconds"] is None
    assert found["auditors"] == ["ann", "bob"]  # the busiest first
    volume = {v["day"]: v["by_auditor"] for v in found["volume"]}
    assert volume[monday(labelled["second"])] == {"ann": 0, "bob": 3}

    bob = label_quality_series(since=since, unit="day", auditor="bob")
    assert bob["reviews"] == 3 and bob["auditors"] == ["bob"]
    (day,) = [p for p in bob["periods"] if p["reviews"]]
    assert day["start"] == labelled["second"] and day["median_seconds"] == 20


def test_more_than_five_auditors_share_the_sixth_colour_as_others(
    active_model: Any,
    make_decisions: Any,  # noqa: F811
    make_review: Any,  # noqa: F811
) -> None:
    today = timezone.localdate()
    names = ["a1", "a2", "a2", "a3", "a4", "a5", "a6", "a7"]
    decisions = make_decisions(active_model, [{"day": today, "tier": "low"} for _ in names])
    for decision, name in zip(decisions, names, strict=True):
        make_review(decision, name, "low", day=today, hour=0)
    found = label_quality_series(since=timezone.now() - dt.timedelta(days=7), unit="day")
    assert found["auditors"] == ["a2", "a1", "a3", "a4", "a5", "others"]
    assert found["volume"][-1]["by_auditor"]["others"] == 2


def test_the_page_draws_every_chart_with_its_sentence_and_a_table(labelled: Any, grace: Any) -> None:
    response = client_for(grace).get("/review/quality/", {"days": "60"})
    assert response.status_code == 200
    html = response.content.decode()
    section = html.split('id="quality-over-time"', 1)[1].split("</section>", 1)[0]
    charts = section.split('id="quality-charts"', 1)[1].split("</div>", 1)[0]
    for key in CHARTS:
        assert f'id="chart-{key}"' in charts, key
    assert charts.count('<svg class="chart"') == len(CHARTS) and charts.count('role="img"') == len(CHARTS)
    assert charts.count('class="muted chart-alt"') == len(CHARTS)
    agreement = charts.split('id="chart-agreement"', 1)[1].split("</figure>", 1)[0]
    for line in ("q-all", "q-shown", "q-blind"):
        assert f'<polyline class="{line}"' in agreement or f'<circle class="{line}"' in agreement, line
    assert ">100%</text>" in agreement  # shares on the axis, not 1.00
    assert "overall from 50% (week of" in agreement and "blind 50% (week of" in agreement
    volume = charts.split('id="chart-volume"', 1)[1].split("</figure>", 1)[0]
    assert "6 in" in volume and "by auditor: ann 3, bob 3" in volume
    assert '<span class="key series-0">ann</span>' in volume
    dwell = charts.split('id="chart-dwell"', 1)[1].split("</figure>", 1)[0]
    assert "median from 70 s" in dwell and ">100 s</text>" in dwell
    table = section.split('id="quality-over-time-table"', 1)[1].split("</details>", 1)[0]
    assert f"<td>{monday(labelled['first']):%Y-%m-%d}</td><td>2</td><td>50%</td>" in table
    assert "<td>70 s</td>" in table
    assert 'href="?days=60&amp;auditor=bob#quality-over-time"' in html  # the table's auditors lead here
    assert "style=" not in section and "<script" not in section


def test_one_auditors_charts_and_an_auditor_without_reviews(labelled: Any, grace: Any) -> None:
    client = client_for(grace)
    html = client.get("/review/quality/", {"days": "30", "auditor": "bob"}).content.decode()
    assert "reviews by bob" in html and "Reviews per day, bob: 3 in 31 days" in html
    assert '<option value="bob" selected>' in html
    assert html.count('<svg class="chart"') == len(CHARTS)
    nobody = client.get("/review/quality/", {"days": "30", "auditor": "nobody"})
    assert (
        nobody.status_code == 200 and "No reviews by nobody in the last 30 days." in nobody.content.decode()
    )
    assert '<svg class="chart"' not in nobody.content.decode()


def test_a_refused_auditor_or_period_says_so_and_draws_the_rest(labelled: Any, grace: Any) -> None:
    client = client_for(grace)
    long = client.get("/review/quality/", {"days": "30", "auditor": "x" * 151})
    page = long.content.decode()
    assert (
        long.status_code == 400
        and "No auditor has a name that long" in page
        and "Showing all auditors." in page
    )
    assert page.count('<svg class="chart"') == len(CHARTS)
    bad_days = client.get("/review/quality/", {"days": "99999999999", "auditor": "ann"})
    assert bad_days.status_code == 400 and "reviews by ann" in bad_days.content.decode()


def test_nothing_reviewed_is_a_sentence_not_empty_charts(grace: Any) -> None:
    html = client_for(grace).get("/review/quality/").content.decode()
    assert "No reviews in the last 30 days." in html and '<svg class="chart"' not in html
