"""An approver in a real browser: refused approval for a candidate failing the fairness gate,
then approves one passing every gate after a replay (the server checks, not only the page)."""

from __future__ import annotations

import numpy as np
import pytest

from accounts.roles import Role
from applicants.schema import get_schema
from demo import synthetic
from scoring.features import build_matrix
from scoring.models import ModelStatus
from tests.governance.conftest import (  # noqa: F401 (make_decisions: a fixture)
    ALL_LOW,
    OLD,
    YOUNG,
    make_decisions,
    register,
    store_baseline,
    tiers_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _replay_and_assemble(page, live_server, version: int) -> None:
    page.goto(f"{live_server.url}/governance/models/{version}/evidence/")
    page.click("button[name=replay]")
    page.wait_for_url(f"{live_server.url}/governance/replays/*/")
    page.wait_for_selector("#status:text('finished')")
    assert page.is_visible("#matrix-overall") and page.is_visible("#download")
    page.goto(f"{live_server.url}/governance/models/{version}/evidence/")
    page.click("button[name=assemble]")
    page.wait_for_selector("#gate-table")


def test_an_approver_is_refused_a_candidate_failing_fairness_then_approves_one_passing_all_gates(
    browser_as,
    live_server,
    active_model,
    trained_default,
    make_user,
    make_decisions,  # noqa: F811 (the fixture imported above)
    settings,
    tmp_path,
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the replay's chunks run as they are published
    settings.GOVERNANCE_REPLAY_STORAGE_URL = f"file://{tmp_path / 'replays'}"
    settings.GOVERNANCE_FAIRNESS_MIN_GROUP = 5
    settings.GOVERNANCE_METRIC_MAX_DROP = 0.05  # see tests/governance/conftest.py
    tom = make_user("tom", Role.ANALYST)
    make_user("erin", Role.APPROVER)
    unfair = register(trained_default, trained_by=tom)
    fair = register(trained_default, trained_by=tom, thresholds=ALL_LOW)  # every applicant low
    answers, _ = synthetic.generate(get_schema(), 300, seed=29)
    matrix = build_matrix(get_schema(), answers)
    for model in (unfair, fair):
        store_baseline(model, matrix)
    # Stored decisions: those `unfair` calls low are the old, the others the young.
    tiers = tiers_of(unfair, matrix)
    rows = [{"row": matrix[i], "tier": "low", "dob": OLD} for i in np.flatnonzero(tiers == 0)[:15]]
    rows += [{"row": matrix[i], "tier": "medium", "dob": YOUNG} for i in np.flatnonzero(tiers != 0)[:15]]
    make_decisions(active_model, rows)

    page = browser_as("erin")
    _replay_and_assemble(page, live_server, unfair.version)
    assert "failed" in page.inner_text("#gate-fairness")
    assert "passed" in page.inner_text("#gate-replay")
    assert page.is_visible("#justification-text")  # the page offers the written justification
    page.fill("#note", "looks fine to me")
    page.click("button[name=approve]")
    page.wait_for_selector(".messages .error")
    assert "cannot be approved" in page.inner_text("main")
    unfair.refresh_from_db()
    assert unfair.status == ModelStatus.CANDIDATE

    _replay_and_assemble(page, live_server, fair.version)
    for gate in ("metrics", "replay", "fairness", "baseline"):
        assert "passed" in page.inner_text(f"#gate-{gate}")
    assert not page.is_visible("#justification-text")
    page.fill("#note", "every gate passes")
    page.click("button[name=approve]")
    page.wait_for_url(f"{live_server.url}/models/{fair.version}/")
    assert "Approved v" in page.inner_text("main")
    fair.refresh_from_db()
    assert fair.status == ModelStatus.APPROVED and fair.approved_by.username == "erin"
