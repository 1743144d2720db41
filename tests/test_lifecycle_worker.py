"""Lifecycle work on a real Celery worker: rescoring chunks spread as a group, and a training
run queued from the pages, each finishing with what the pages show."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.roles import Role
from applicants.models import Application, Channel, Status
from applicants.schema import get_schema
from applicants.services import application_submit
from demo import synthetic
from modelops.models import RescoreRun, RunStatus, TrainingRun
from modelops.registry import model_version_approve, model_version_register
from modelops.rescoring import rescore_start
from modelops.services import training_run_request
from scoring.models import Decision
from tests.modelops.history_files import write_history

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _without_evidence_gates(settings):
    """These tests check approval's own rules (statuses, two people, what follows approval);
    the evidence gates approval also runs are tested in tests/governance."""
    settings.GOVERNANCE_GATES_ENABLED = False


def test_rescoring_chunks_and_training_run_on_the_worker(
    celery_worker_process, active_model, trained_other, alice, make_user, wait_for, tmp_path
):
    answers, _ = synthetic.generate(get_schema(), 24, seed=31)
    for i, row in enumerate(answers):
        application_submit(answers=row, channel=Channel.API, actor=alice, idempotency_key=f"w{i}")
    wait_for(
        lambda: Application.objects.filter(status__in=[Status.SCORED, Status.IN_REVIEW]).count() == 24,
        60,
        "the worker to score the applications",
    )

    schema = get_schema()
    other = model_version_register(
        trained=trained_other,  # shallower, other rows and seed; fitted once per session
        schema=schema,
        training_source="tests",
        trained_by=make_user("tom", Role.ANALYST),
    )
    approver = make_user("erin", Role.APPROVER)
    model_version_approve(model=other, actor=approver)
    run = rescore_start(model_version=other.version, chunk_size=7, started_by=approver)  # 4 chunks
    wait_for(
        lambda: RescoreRun.objects.get(pk=run.pk).status == RunStatus.FINISHED,
        60,
        "the rescoring run to finish",
    )
    run.refresh_from_db()
    assert run.processed == 24 and run.chunks.filter(status=RunStatus.FINISHED).count() == 4
    assert Decision.objects.filter(rescore_run=run).count() == run.changed

    call_command("import_history", str(write_history(tmp_path / "h.csv", schema, 300)))
    training = training_run_request(requested_by=approver)
    wait_for(
        lambda: TrainingRun.objects.get(pk=training.pk).status in (RunStatus.FINISHED, RunStatus.FAILED),
        90,
        "the training run",
    )
    training.refresh_from_db()
    assert training.status == RunStatus.FINISHED, training.error
    assert training.model_version.trained_by == approver and training.total > 0
