"""The governance pages as an approver and an analyst: a replay started from the page, its
matrices and CSV (formula-safe), the evidence page's gates, approval refused and then given
with a written justification, and the model card with its downloads."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.roles import Role
from applicants.schema import get_schema
from demo import synthetic
from governance.models import EvidencePack, ReplayRun
from governance.replay import replay_run_inline
from scoring.features import build_matrix
from scoring.models import ModelStatus
from tests.governance.conftest import OLD, YOUNG, register, store_baseline, tiers_of

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def setting(active_model, trained_default, make_user, make_decisions):
    tom, erin = make_user("tom", Role.ANALYST), make_user("erin", Role.APPROVER)
    candidate = register(trained_default, trained_by=tom)
    answers, _ = synthetic.generate(get_schema(), 300, seed=29)
    matrix = build_matrix(get_schema(), answers)
    store_baseline(candidate, matrix)
    tiers = tiers_of(candidate, matrix)
    rows = [{"row": matrix[i], "tier": "high", "dob": OLD, "channel": "web"} for i in range(len(tiers))[:5]]
    rows += [{"row": matrix[i], "tier": "low", "dob": OLD} for i in (tiers == 0).nonzero()[0][:10]]
    rows += [{"row": matrix[i], "tier": "medium", "dob": YOUNG} for i in (tiers != 0).nonzero()[0][:10]]
    make_decisions(active_model, rows)
    return {"tom": tom, "erin": erin, "candidate": candidate}


def test_a_replay_from_the_page_then_evidence_then_approval_with_a_justification(setting):
    tom, erin, candidate = setting["tom"], setting["erin"], setting["candidate"]
    analyst = logged_in(tom)
    response = analyst.post(f"/governance/models/{candidate.version}/evidence/replay/")
    run = ReplayRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/governance/replays/{run.pk}/"
    replay_run_inline(run)  # no worker here: the chunks the page queued run in this process
    page = analyst.get(f"/governance/replays/{run.pk}/").content.decode()
    assert 'id="matrix-overall"' in page and "25 decisions" in page and "Review workload" in page
    movers = analyst.get(f"/governance/replays/{run.pk}/movers.csv")
    csv_text = b"".join(movers.streaming_content).decode()  # type: ignore[attr-defined]  # (a streamed answer)
    assert csv_text.startswith("application_id,decision_id,channel")
    run.refresh_from_db()
    assert run.total == 25 and len(csv_text.strip().splitlines()) == 1 + run.moved

    analyst.post(f"/governance/models/{candidate.version}/evidence/assemble/")
    pack = EvidencePack.objects.get()
    assert not pack.gate("fairness")["passed"]
    page = logged_in(erin).get(f"/governance/models/{candidate.version}/evidence/").content.decode()
    assert 'id="gate-fairness" class="gate-failed"' in page and 'id="justification-text"' in page
    assert 'id="gate-replay" class="gate-passed"' in page

    approver = logged_in(erin)
    response = approver.post(f"/governance/models/{candidate.version}/approve/", {"note": "ok"}, follow=True)
    assert "cannot be approved" in response.content.decode()
    assert analyst.post(f"/governance/models/{candidate.version}/approve/").status_code == 403
    why = "The young group here is constructed by the test; recorded as the reason."
    response = approver.post(
        f"/governance/models/{candidate.version}/approve/", {"note": "ok", "justification": why}, follow=True
    )
    assert "Approved v" in response.content.decode()
    candidate.refresh_from_db()
    assert candidate.status == ModelStatus.APPROVED

    card = analyst.get(f"/governance/models/{candidate.version}/card/").content.decode()
    for heading in ("Intended use", "Data", "Metrics", "Fairness", "Limitations"):
        assert f"<h2>{heading}</h2>" in card
    assert why in card
    markdown = analyst.get(f"/governance/models/{candidate.version}/card/download/?format=md")
    assert markdown["Content-Disposition"] == f'attachment; filename="model-card-v{candidate.version}.md"'
    assert markdown.content.decode().startswith("# ") and "## Fairness" in markdown.content.decode()
    html = analyst.get(f"/governance/models/{candidate.version}/card/download/?format=html")
    assert html.content.decode().startswith("<!DOCTYPE html>")
    assert analyst.get(f"/governance/models/{candidate.version}/card/download/?format=pdf").status_code == 400


def test_bad_replay_forms_get_a_clear_answer_and_start_nothing(setting):
    analyst = logged_in(setting["tom"])
    version = setting["candidate"].version
    for data, message in (
        ({}, "Choose a model version"),
        ({"model_version": version, "since": "yesterday", "until": "2026-01-01"}, "must be a date"),
        ({"model_version": version, "since": "2026-02-01", "until": "2026-01-01"}, "must come before"),
        ({"model_version": version, "since": "2026-01-01", "until": "2026-01-02", "channel": "x"}, "unknown"),
    ):
        response = analyst.post("/governance/replays/", data)
        assert response.status_code == 400 and message in response.content.decode()
    assert not ReplayRun.objects.exists()
