"""The whole path with real parts: the API, PostgreSQL, Redis and a Celery worker process."""

from __future__ import annotations

import pytest

from applicants.models import Application, Status
from scoring.models import Decision
from tests.conftest import token_client

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_worker_scores_an_application_submitted_through_the_api(
    celery_worker_process, alice, answers, active_model, wait_for
):
    client = token_client(alice)
    response = client.post(
        "/api/v1/applications/", {"answers": answers}, format="json", HTTP_IDEMPOTENCY_KEY="worker-e2e"
    )
    assert response.status_code == 202
    application_id = response.json()["id"]

    def scored() -> bool:
        return Application.objects.filter(
            pk=application_id, status__in=[Status.SCORED, Status.IN_REVIEW]
        ).exists()

    wait_for(scored, 30, "the worker to score the application")
    decision = Decision.objects.get(application_id=application_id, is_current=True)
    assert decision.model_version_id == active_model.pk
    body = client.get(response.json()["link"]).json()
    assert body["outcome"]["stage"] == "review" or body["outcome"]["tier"] == decision.tier


def test_a_burst_is_scored_in_batches_without_loss(
    celery_worker_process, alice, answers, active_model, wait_for
):
    client = token_client(alice)
    ids = []
    for i in range(60):
        response = client.post(
            "/api/v1/applications/",
            {"answers": {**answers, "national_id": f"BURST{i:05d}"}},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"burst-{i}",
        )
        ids.append(response.json()["id"])
    wait_for(
        lambda: Decision.objects.filter(application_id__in=ids).count() == 60,
        60,
        "every application of the burst to be scored",
    )
    assert Decision.objects.filter(application_id__in=ids, is_current=True).count() == 60
