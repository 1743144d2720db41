"""The model page's pictures (issue #15): ROC curves (this model, the logistic regression and
the active model on the same axes; per tier), calibration, the score distribution by true
class and the confusion matrix as a heat map, server-side SVG from charts/__init__.py, each
with a sentence as its text alternative. In a real browser, with a screenshot written to
var/test-artifacts/modelops/ (MODEL_PAGE_SCREENSHOTS=<folder> puts it elsewhere)."""

from __future__ import annotations

import copy
import dataclasses
import os
from pathlib import Path

import numpy as np
import pytest
from django.test import Client

from accounts.roles import Role
from applicants.schema import get_schema
from demo import synthetic
from modelops.registry import model_version_register
from modelops.services import measure_beside
from modelops.training import fit
from scoring.features import build_matrix

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("MODEL_PAGE_SCREENSHOTS") or ROOT / "var" / "test-artifacts" / "modelops")
CHARTS = ("roc", "calibration", "roc-per-tier", "confusion", "distribution")


@pytest.fixture(scope="module")
def fitted():
    """The candidate's fit, once for the module (measuring it beside the active model is per test)."""
    schema = get_schema()
    answers, tiers = synthetic.generate(schema, 1200, seed=5)
    matrix = build_matrix(schema, answers)
    trained = fit(matrix, tiers, feature_names=list(schema.feature_names), seed=5, nthread=2, folds=3)
    return trained, matrix, np.asarray(tiers, dtype=np.int32)


@pytest.fixture
def candidate(active_model, make_user, fitted):
    """A candidate trained as the training service does: beside the baseline and the active model."""
    schema = get_schema()
    first, matrix, tiers = fitted
    trained = dataclasses.replace(first, metrics=copy.deepcopy(first.metrics))  # measure_beside adds to them
    measure_beside(trained, schema, matrix, tiers)
    return model_version_register(
        trained=trained, schema=schema, training_source="tests", trained_by=make_user("tom", Role.ANALYST)
    )


@pytest.mark.django_db
def test_every_picture_is_drawn_with_its_sentence_and_compares_three_models(candidate, erin):
    client = Client()
    client.force_login(erin)
    html = client.get(f"/models/{candidate.version}/").content.decode()
    charts = html.split('id="model-charts"', 1)[1].split("</div>", 1)[0]
    for key in CHARTS:
        assert f'id="chart-{key}"' in charts, key
    assert charts.count('<svg class="chart"') == len(CHARTS)
    assert charts.count('role="img"') == len(CHARTS) and charts.count('class="muted chart-alt"') == len(
        CHARTS
    )
    roc = charts.split('id="chart-roc"', 1)[1].split("</figure>", 1)[0]
    for series in ("curve-0", "curve-1", "curve-2"):  # this model, the regression, the active one
        assert f'<polyline class="{series}"' in roc
    assert f"active model v{candidate.metrics['comparison_with_active']['version']}" in roc
    assert "area under the curve" in roc and "chance" in roc
    assert "style=" not in charts and "<script" not in charts


@pytest.mark.django_db
def test_a_model_trained_before_the_pictures_says_how_to_get_them(active_model, erin):
    for key in ("roc_curves", "score_distribution"):
        active_model.metrics.pop(key, None)
    active_model.save(update_fields=["metrics"])
    client = Client()
    client.force_login(erin)
    html = client.get(f"/models/{active_model.version}/").content.decode()
    assert "not recorded for this model (trained before the page drew it): retrain to see it" in html
    assert 'id="chart-confusion"' in html and 'id="chart-calibration"' in html  # still drawn


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_model_page_renders_its_charts_in_a_browser(candidate, browser_as, live_server, erin):
    page = browser_as("erin")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/models/{candidate.version}/")
    assert page.locator("#model-charts svg.chart").count() == len(CHARTS)
    assert page.locator("#chart-roc svg polyline").count() == 3
    assert page.locator("#chart-roc-per-tier svg polyline").count() == 3
    assert page.locator("#chart-confusion svg rect").count() == 9
    assert page.locator("#chart-distribution svg rect").count() > 20
    box = page.locator("#chart-roc svg").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 200  # drawn, not collapsed
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#model-charts").screenshot(path=str(SHOTS / "model-page-charts.png"))
    page.screenshot(path=str(SHOTS / "model-page.png"), full_page=True, caret="initial")
    assert not [m for m in console if "Content Security Policy" in m]
