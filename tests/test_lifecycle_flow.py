"""Done-when flow: a model trained from imported history goes through approval to active in a
real browser, then scores a new application through boto3 against the local endpoint."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command

from accounts.roles import Role
from applicants.models import Channel
from applicants.schema import get_schema
from applicants.services import application_submit
from governance.evidence import evidence_pack_assemble
from governance.replay import replay_run_inline, replay_start, replay_window
from modelops.services import model_train_from_labels
from scoring.models import Decision, ModelStatus, ModelVersion
from scoring.services import score_waiting_applications
from tests.modelops.history_files import write_history
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db(transaction=True)


def test_history_to_active_model_in_the_browser_then_scored_through_the_endpoint(
    tmp_path, live_server, lifecycle_page, make_user, local_endpoint, settings, answers
):
    call_command(
        "import_history",
        str(write_history(tmp_path / "loans.csv", get_schema(), 600, binary=True)),
        "--adverse-value",
        "defaulted",
    )
    analyst = make_user("tom", Role.ANALYST)
    make_user("erin", Role.APPROVER)
    model = model_train_from_labels(trained_by=analyst)
    assert model.target == "binary" and model.status == ModelStatus.CANDIDATE
    # The evidence approval checks (governance): a replay of the recent window (no decisions
    # yet), then the pack (no active model to compare with; the drift baseline from history).
    settings.GOVERNANCE_REPLAY_STORAGE_URL = f"file://{tmp_path / 'replays'}"
    since, until = replay_window()
    replay_run_inline(replay_start(model=model, since=since, until=until, dispatch=False))
    assert all(g["passed"] for g in evidence_pack_assemble(model=model, actor=analyst).gates)

    page = lifecycle_page
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{live_server.url}/accounts/login/?next=/models/")
    page.fill("#id_username", "erin")
    page.fill("#id_password", "pw-for-tests")
    page.click("button[type=submit]")
    page.wait_for_url("**/models/")
    assert "No model is active" in page.content()
    page.click(f"#version-{model.version} a")
    page.wait_for_url(f"**/models/{model.version}/")
    assert "Adverse rate by assigned tier" in page.content()
    page.fill("#note", "beats the logistic regression; calibrated")
    page.click("button[name=approve]")
    page.wait_for_selector("text=Approved v")
    page.click("button[name=activate]")
    page.wait_for_selector("text=is active: new applications are scored with it")
    assert page.inner_text("#model-status").startswith("active")
    page.screenshot(path=str(tmp_path / "model-active.png"), full_page=True)
    if os.environ.get("LIFECYCLE_SCREENSHOTS"):
        page.screenshot(path=os.environ["LIFECYCLE_SCREENSHOTS"], full_page=True)

    model.refresh_from_db()
    assert model.status == ModelStatus.ACTIVE and model.approved_by.username == "erin"
    assert list(
        TrailEntry.objects.filter(object_type="model_version", object_id=str(model.version))
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["model.register", "model.approve", "model.activate"]

    # The same model.tar.gz, served by the local endpoint, scores through boto3.
    settings.SCORER = "sagemaker"
    local_endpoint.serve(model)
    application = application_submit(
        answers=answers, channel=Channel.API, actor=None, idempotency_key="flow-1"
    ).application
    score_waiting_applications()
    decision = Decision.objects.get(application=application)
    assert decision.model_version == ModelVersion.objects.get(pk=model.pk)
    assert decision.scorer.endswith(f"/v{model.version}") and decision.reasons
