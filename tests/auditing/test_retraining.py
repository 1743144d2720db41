"""Retraining from labels: the periodic check counts new labels, trains a candidate with the
model lifecycle's training service when enough arrived, and emails the approvers."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from applicants.models import Application, Status
from applicants.services import application_submit, application_transition
from auditing.models import JobStatus, RetrainRun
from auditing.services.queue import review_item_claim, review_queue_sync
from auditing.services.retraining import new_labels_count, retrain_if_due
from auditing.services.reviews import review_record, review_second_opinion
from auditing.tasks import retrain_from_labels_if_due
from demo import synthetic
from scoring.models import ModelStatus, ModelVersion
from scoring.services import score_waiting_applications
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


def label(count: int, auditor, second, schema_rows) -> None:
    """`count` applications submitted, scored, reviewed: the auditor's tier is the
    synthetic generator's own label, so the classes are as mixed as real ones."""
    from auditing.models import ReviewItem

    answers, tiers = schema_rows
    for i in range(count):
        application_submit(answers=answers[i], channel="api", idempotency_key=None)
    score_waiting_applications(limit=count)
    scored = Application.objects.filter(status=Status.SCORED).values_list("pk", flat=True)
    application_transition(
        application_ids=list(scored), from_status=Status.SCORED, to_status=Status.IN_REVIEW
    )
    review_queue_sync()
    items = ReviewItem.objects.filter(state="waiting").order_by("pk")
    for i, item in enumerate(items):
        review_item_claim(item_id=item.pk, user=auditor)
        tier = ("low", "medium", "high")[int(tiers[i])]
        review = review_record(
            item_id=item.pk,
            auditor=auditor,
            final_tier=tier,
            reason_code="" if tier == item.model_tier and not item.blind else "data_error",
        )
        if review.status == "proposed":  # high → low: four eyes
            review_item_claim(item_id=item.pk, user=second)
            review_second_opinion(item_id=item.pk, auditor=second, agree=True)


@pytest.fixture
def rows():
    from applicants.schema import get_schema

    return synthetic.generate(get_schema(), 90, seed=5)


def test_nothing_happens_below_the_threshold(active_model, dave, frank, rows, settings):
    settings.RETRAIN_MIN_NEW_LABELS = 50
    label(10, dave, frank, rows)
    assert new_labels_count(until=timezone.now()) == 10
    assert retrain_if_due() is None and not RetrainRun.objects.exists()


def test_enough_new_labels_train_a_candidate_and_email_the_approvers(
    active_model, dave, frank, erin, make_user, rows, settings
):
    settings.RETRAIN_MIN_NEW_LABELS = 60
    settings.LIFECYCLE_MIN_TRAINING_ROWS = 50
    approver_without_email = make_user("nomail", Role.APPROVER)
    approver_without_email.email = ""
    approver_without_email.save()
    label(90, dave, frank, rows)

    assert retrain_from_labels_if_due.apply().get() is not None
    run = RetrainRun.objects.get()
    assert run.status == JobStatus.DONE and run.new_labels == 90
    candidate = run.model_version
    assert candidate.status == ModelStatus.CANDIDATE and candidate != active_model
    assert ModelVersion.objects.get(status=ModelStatus.ACTIVE) == active_model  # nothing activated
    assert "auditor labels" in candidate.training_source or "labels" in candidate.training_source

    assert run.notified == 1 and len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [erin.email] and f"v{candidate.version}" in str(message.subject)
    assert "90 new auditor labels" in message.body and "approval" in message.body
    assert TrailEntry.objects.filter(
        action="model.retrain_candidate", object_id=str(candidate.version)
    ).exists()

    # The labels are counted once: the next check waits for new ones.
    assert retrain_if_due() is None
    assert RetrainRun.objects.count() == 1
