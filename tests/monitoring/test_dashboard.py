"""The dashboard in a real browser over the demo history: every chart drawn from roll-ups,
a drifted feature in the heat-map, an alert; no CSP violation. The screenshot is written to
var/test-artifacts/monitoring/ (not committed; MONITORING_SCREENSHOTS=<folder> puts it elsewhere)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client

from demo.monitoring_history import monitoring_history
from monitoring.models import Alert, DriftDaily
from tests.e2e.conftest import browser_as, chromium, playwright_driver  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("MONITORING_SCREENSHOTS") or ROOT / "var" / "test-artifacts" / "monitoring")


@pytest.fixture
def history(active_model, settings):
    settings.MONITORING_PSI_MIN_ROWS = 100
    return monitoring_history(model=active_model, days=28, per_day=60, drift_days=8)


def test_the_demo_history_has_a_drifted_feature_and_an_alert(history, make_user) -> None:
    from accounts.roles import Role

    assert history["decisions"] == 28 * 60 and history["reviews"] > 0
    drifted = DriftDaily.objects.filter(channel="web", feature="annual_income", psi__gte=0.25)
    assert drifted.exists()
    assert not DriftDaily.objects.filter(channel="api", feature="annual_income", psi__gte=0.25).exists()
    assert Alert.objects.filter(rule="drift", key__endswith=":web:annual_income").exists()
    client = Client()
    client.force_login(make_user("ann", Role.ANALYST))
    page = client.get("/monitoring/?days=90&channel=web")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") >= 7 and 'class="psi-act"' in html and "annual_income" in html
    assert "style=" not in html and "<script>" not in html
    refused = client.get("/monitoring/?days=abc&channel=<b>")  # the defaults, and a message saying why
    assert refused.status_code == 400 and "The period is 30, 90 or 365 days" in refused.content.decode()
    assert "&lt;b&gt; is not a channel" in refused.content.decode()


@pytest.mark.e2e
def test_the_dashboard_renders_its_charts_in_a_browser(
    history,
    browser_as,  # noqa: F811
    make_user,
    live_server,
) -> None:
    from accounts.roles import Role

    make_user("ann", Role.ANALYST)
    page = browser_as("ann")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/monitoring/")
    assert page.locator("svg.chart").count() >= 5
    page.click("#drift a:has-text('annual_income (web)')")
    assert page.locator("#drift rect.psi-act").count() > 0
    assert page.locator("#volume svg rect").count() > 28
    assert "open alert" in page.inner_text("main")
    assert page.locator("#calibration svg circle").count() > 0
    assert page.locator("#confusion svg rect").count() == 9
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "monitoring-dashboard.png"), full_page=True, caret="initial")
    page.goto(f"{live_server.url}/monitoring/alerts/")
    page.click("text=Acknowledge")
    assert "Alert acknowledged" in page.inner_text("main")
    assert not [m for m in console if "Content Security Policy" in m]
