"""The registry pages with Django's test client: who sees and does what, and the messages."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.roles import Role
from applicants.schema import get_schema
from modelops.models import RunStatus, TrainingRun
from modelops.registry import model_version_register
from modelops.services import training_run_execute
from scoring.models import ModelStatus, ModelVersion
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_evidence_gates(settings):
    """These tests check approval's own rules (statuses, two people, what follows approval);
    the evidence gates approval also runs are tested in tests/governance."""
    settings.GOVERNANCE_GATES_ENABLED = False


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def analyst(make_user):
    return make_user("tom", Role.ANALYST)


@pytest.fixture
def candidate(trained_default, analyst):
    return model_version_register(
        trained=trained_default, schema=get_schema(), training_source="tests", trained_by=analyst
    )


def test_applicants_and_auditors_cannot_see_the_registry(alice, dave, candidate):
    assert logged_in(alice).get("/models/").status_code == 403
    assert logged_in(dave).get(f"/models/{candidate.version}/").status_code == 403
    assert Client().get("/models/").status_code == 302  # to the login page


def test_the_detail_page_shows_metrics_baseline_lineage_and_history(erin, candidate):
    page = logged_in(erin).get(f"/models/{candidate.version}/").content.decode()
    for text in (
        "ROC AUC high vs rest",
        "Confusion matrix",
        "Calibration",
        "fingerprint",
        candidate.training_data_fingerprint,
        "Status history",
        "Approve v",
    ):
        assert text in page
    listing = logged_in(erin).get("/models/").content.decode()
    assert f"version-{candidate.version}" in listing and "candidate" in listing


def test_an_approver_approves_then_activates_with_messages(erin, candidate, active_model):
    client = logged_in(erin)
    response = client.post(f"/models/{candidate.version}/approve/", {"note": "good"}, follow=True)
    assert "Approved v" in response.content.decode()
    response = client.post(f"/models/{candidate.version}/activate/", follow=True)
    assert "is active: new applications are scored with it" in response.content.decode()
    assert ModelVersion.objects.get(pk=candidate.pk).status == ModelStatus.ACTIVE
    response = client.post("/models/rollback/", follow=True)
    assert f"v{active_model.version} is active again" in response.content.decode()
    assert TrailEntry.objects.filter(action="model.rollback", actor=erin).exists()


def test_refusals_are_explained_not_crashed(analyst, candidate, make_user):
    client = logged_in(analyst)  # may view, not approve: the page refuses before the service
    assert client.post(f"/models/{candidate.version}/approve/").status_code == 403
    assert client.post(f"/models/{candidate.version}/activate/").status_code == 403
    assert ModelVersion.objects.get(pk=candidate.pk).status == ModelStatus.CANDIDATE
    approver = make_user("trudy", Role.APPROVER)
    ModelVersion.objects.filter(pk=candidate.pk).update(trained_by=approver)
    page = logged_in(approver).get(f"/models/{candidate.version}/").content.decode()
    assert "a second approver must approve it" in page
    response = logged_in(approver).post(f"/models/{candidate.version}/activate/", follow=True)
    assert "not approved; approve it first" in response.content.decode()
    assert logged_in(approver).get(f"/models/{candidate.version}/approve/").status_code == 405


def test_training_from_the_page_records_progress_and_the_new_version(erin, tmp_path):
    from django.core.management import call_command

    from tests.modelops.history_files import write_history

    call_command("import_history", str(write_history(tmp_path / "h.csv", get_schema(), 400)))
    run = TrainingRun.objects.create(requested_by=erin)
    training_run_execute(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED and run.model_version and run.total > 0
    assert run.model_version.trained_by == erin
    assert training_run_execute(run_id=run.pk) is None  # a second delivery does nothing
    page = logged_in(erin).get(f"/models/training/{run.pk}/").content.decode()
    assert f'Registered <a href="/models/{run.model_version.version}/">' in page


def test_rescoring_page_asks_to_confirm_with_the_count_then_starts_a_run(erin, active_model, answers):
    from applicants.services import application_submit
    from modelops.models import RescoreRun
    from scoring.services import score_waiting_applications

    for i in range(3):
        application_submit(answers={**answers, "national_id": f"RS{i:05d}Q"}, channel="web")
    score_waiting_applications()
    client = logged_in(erin)
    preview = client.post("/models/rescoring/", {"model_version": "", "channel": ""})
    page = preview.content.decode()
    assert preview.status_code == 200 and 'id="rescore-confirm"' in page
    assert '<strong id="rescore-count">3</strong>' in page
    assert not RescoreRun.objects.exists()  # nothing until confirmed
    response = client.post(
        "/models/rescoring/", {"model_version": "", "channel": "", "confirm": "on"}, follow=True
    )
    assert "Rescore run" in response.content.decode() and RescoreRun.objects.get().total == 3
    assert "No rescoring run yet" not in client.get("/models/rescoring/").content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("channel", "carrier-pigeon", "carrier-pigeon is not a channel"),
        ("model_version", "999", "Model 999 may not rescore"),
        ("model_version", "v1; drop", "may not rescore"),
    ],
)
def test_a_tampered_rescoring_form_is_refused_not_read_as_all(erin, active_model, field, value, message):
    from modelops.models import RescoreRun

    data = {"model_version": "", "channel": "", "confirm": "on", field: value}
    response = logged_in(erin).post("/models/rescoring/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was rescored" in page and message in page
    assert not RescoreRun.objects.exists()


def test_the_registry_is_in_the_navigation_of_those_who_may_open_it(erin, alice):
    assert 'href="/models/">Models</a>' in logged_in(erin).get("/").content.decode()
    assert 'href="/models/"' not in logged_in(alice).get("/").content.decode()


def test_shadow_and_retire_from_the_page(erin, candidate, active_model):
    client = logged_in(erin)
    response = client.post(f"/models/{candidate.version}/shadow/", {"enabled": "1"}, follow=True)
    assert "now scores new applications in shadow" in response.content.decode()
    assert "Stop shadow scoring" in response.content.decode()
    response = client.post(f"/models/{candidate.version}/retire/", follow=True)
    assert "is retired" in response.content.decode()
    assert ModelVersion.objects.get(pk=candidate.pk).status == ModelStatus.RETIRED


def test_training_runs_left_pending_are_published_again(erin):
    """A request made while the broker was away stays pending; the one job re-drive
    publishes it again (a worker that finds it already claimed does nothing)."""
    import datetime as dt

    from django.utils import timezone

    from outbox.jobs import jobs_redrive

    def published() -> int:
        return jobs_redrive()["modelops.TrainingRun"]["published"]

    response = logged_in(erin).post("/models/train/", follow=True)
    assert "Training queued" in response.content.decode()
    run = TrainingRun.objects.get()
    assert run.status == RunStatus.PENDING and published() == 0  # too recent
    TrainingRun.objects.filter(pk=run.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
    assert published() == 1
    assert published() == 0  # not again until JOB_REDRIVE_AFTER_SECONDS more have passed
