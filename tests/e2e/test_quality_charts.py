"""The label-quality page's charts over time (issue #15) in a real browser: drawn, not
collapsed, no CSP complaint, and the auditor selector redraws them for one auditor. A
screenshot is written to var/test-artifacts/auditing/ (QUALITY_PAGE_SCREENSHOTS=<folder> puts
it elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.auditing.test_quality_over_time import CHARTS, labelled  # noqa: F401 (fixture)
from tests.monitoring.conftest import make_decisions, make_review  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("QUALITY_PAGE_SCREENSHOTS") or ROOT / "var" / "test-artifacts" / "auditing")


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_quality_page_draws_its_charts_and_redraws_them_for_one_auditor(
    labelled: Any,  # noqa: F811
    grace: Any,
    browser_as: Any,
    live_server: Any,
) -> None:
    page = browser_as("grace")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/review/quality/?days=60")
    assert page.locator("#quality-charts svg.chart").count() == len(CHARTS)
    assert page.locator("#chart-agreement svg polyline").count() >= 1
    assert page.locator("#chart-volume svg rect").count() > 0
    box = page.locator("#chart-agreement svg").bounding_box()
    assert box and box["width"] > 300 and box["height"] > 80  # drawn, not collapsed
    stroke = page.locator("#chart-agreement svg polyline.q-all").first.evaluate(
        "e => getComputedStyle(e).stroke"
    )
    assert stroke == "rgb(31, 95, 191)"  # quality.css is applied
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#quality-over-time").screenshot(path=str(SHOTS / "quality-charts.png"))

    page.select_option("#id_auditor", "bob")
    with page.expect_navigation():
        page.click("#quality-who button[type=submit]")
    assert "auditor=bob" in page.url and "days=60" in page.url
    assert page.locator("#quality-charts svg.chart").count() == len(CHARTS)
    assert "reviews by bob" in page.locator("#quality-over-time").inner_text()
    page.screenshot(path=str(SHOTS / "quality-page-bob.png"), full_page=True, caret="initial")
    assert not [m for m in console if "Content Security Policy" in m]
