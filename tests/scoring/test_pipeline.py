from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.utils import timezone

from applicants.models import Application, Channel, Status
from applicants.services import application_submit
from outbox.models import OutboxMessage, OutboxStatus
from scoring.artifact_store import load_booster
from scoring.models import Decision, ModelStatus
from scoring.selectors import NoUsableModel
from scoring.services import release_expired_leases, score_waiting_applications

pytestmark = pytest.mark.django_db


def submit_many(user: Any, answers: dict[str, Any], n: int) -> list[Application]:
    made = []
    for i in range(n):
        answers = {**answers, "national_id": f"ID{i:06d}X", "requested_amount": 2000 + 3000 * i}
        made.append(
            application_submit(
                answers=answers, channel=Channel.API, actor=user, idempotency_key=f"k{i}"
            ).application
        )
    return made


def test_waiting_applications_are_scored_in_one_batch_with_reasons(alice, answers, active_model):
    applications = submit_many(alice, answers, 5)
    result = score_waiting_applications(first_id=applications[-1].pk)
    assert sorted(map(str, result.scored)) == sorted(str(a.pk) for a in applications)
    for application in applications:
        application.refresh_from_db()
        decision = Decision.objects.get(application=application, is_current=True)
        assert application.status in (Status.SCORED, Status.IN_REVIEW)
        assert (application.status == Status.IN_REVIEW) == decision.routed_to_review
        assert decision.model_version == active_model
        assert sum(decision.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
        assert 1 <= len(decision.reasons) <= 4
        assert decision.reasons[0]["statement"]
        assert decision.feature_snapshot["loan_purpose"] == "home_improvement"
        assert "date_of_birth" not in decision.feature_snapshot
    assert not OutboxMessage.objects.filter(status=OutboxStatus.PENDING).exists()


def test_running_again_writes_nothing_twice(alice, answers, active_model):
    application = submit_many(alice, answers, 1)[0]
    score_waiting_applications(first_id=application.pk)
    assert score_waiting_applications(first_id=application.pk).scored == []
    assert Decision.objects.filter(application=application).count() == 1


def test_medium_and_high_go_to_review_and_low_is_sampled(alice, answers, active_model):
    active_model.review_policy = {"review_tiers": ["medium", "high"], "low_sample_rate": 1.0}
    active_model.save()
    submit_many(alice, answers, 3)
    score_waiting_applications()
    assert set(Application.objects.values_list("status", flat=True)) == {Status.IN_REVIEW}
    assert set(Decision.objects.values_list("routing_reason", flat=True)) <= {
        "random sample of low risk",
        "medium risk",
        "high risk",
    }


def test_risky_answers_get_a_higher_tier_and_adverse_reasons(alice, answers, active_model):
    risky = {
        **answers,
        "national_id": "RISKY0001",
        "annual_income": 14000,
        "monthly_debt_payments": 1000,
        "monthly_housing_cost": 150,
        "delinquencies_2y": 6,
        "credit_history_years": 1,
        "requested_amount": 30000,
        "employment_status": "unemployed",
    }
    safe = application_submit(
        answers=answers, channel=Channel.API, actor=alice, idempotency_key="safe"
    ).application
    bad = application_submit(
        answers=risky, channel=Channel.API, actor=alice, idempotency_key="risky"
    ).application
    score_waiting_applications()
    safe_decision = Decision.objects.get(application=safe)
    risky_decision = Decision.objects.get(application=bad)
    assert risky_decision.prob_high > safe_decision.prob_high
    assert risky_decision.tier == "high" and safe_decision.tier == "low"
    assert risky_decision.reasons[0]["direction"] == "increases_risk"


def test_without_a_model_applications_wait(alice, answers):
    application = submit_many(alice, answers, 1)[0]
    with pytest.raises(NoUsableModel, match="no model is active"):
        score_waiting_applications()
    application.refresh_from_db()
    assert application.status == Status.RECEIVED and application.scoring_attempts == 0


def test_a_model_trained_for_other_features_is_not_used(alice, answers, active_model):
    active_model.feature_spec_hash = "0" * 64
    active_model.save()
    submit_many(alice, answers, 1)
    with pytest.raises(NoUsableModel, match="trained for other features"):
        score_waiting_applications()


def test_a_missing_artifact_fails_the_batch_with_a_reason(alice, answers, active_model):
    Path(urlparse(active_model.artifact_uri).path).unlink()
    load_booster.cache_clear()
    application = submit_many(alice, answers, 1)[0]
    result = score_waiting_applications()
    application.refresh_from_db()
    assert result.failed == [application.pk]
    assert application.status == Status.FAILED
    assert "artifact of model" in application.failure_reason
    assert OutboxMessage.objects.get().status == OutboxStatus.DEAD


def test_claims_of_a_lost_worker_are_released_then_failed_after_max_attempts(
    alice, answers, active_model, settings
):
    settings.SCORING_MAX_ATTEMPTS = 2
    application = submit_many(alice, answers, 1)[0]
    for attempt in (1, 2):
        Application.objects.filter(pk=application.pk).update(
            status=Status.SCORING,
            scoring_attempts=attempt,
            scoring_started_at=timezone.now() - dt.timedelta(hours=1),
        )
        result = release_expired_leases()
        application.refresh_from_db()
        if attempt == 1:
            assert result.released == [application.pk] and application.status == Status.RECEIVED
        else:
            assert result.failed == [application.pk] and application.status == Status.FAILED
            assert "lease expired" in application.failure_reason


def test_only_one_model_can_be_active(active_model, trained_default):
    from django.db import IntegrityError, transaction

    from applicants.schema import get_schema
    from modelops.registry import model_version_register

    second = model_version_register(trained=trained_default, schema=get_schema(), training_source="tests")
    second.status = ModelStatus.ACTIVE
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()


@pytest.mark.django_db(transaction=True)
def test_many_submissions_wake_the_scorer_once_and_one_task_scores_them_all(
    alice, answers, active_model, settings, private_redis
):
    import json

    import redis

    from outbox.models import WakeUp
    from scoring.tasks import SCORER_WAKE_UP, score_waiting
    from tests.plugins.sinks import use_broker

    settings.SCORING_ASK_EVERY_SECONDS = 60
    settings.SCORING_BATCH_SIZE = 2
    private_redis.flush()
    with use_broker(private_redis.url):
        submit_many(alice, answers, 5)  # each commits, and asks for a wake-up
        queued = redis.Redis.from_url(private_redis.url).lrange("scoring", 0, -1)
        assert [json.loads(m)["headers"]["task"] for m in queued] == ["scoring.tasks.score_waiting"]

        assert score_waiting.run() == 5  # batch after batch until nothing waits
        # The first batch was full: a second worker was woken to share the backlog.
        assert redis.Redis.from_url(private_redis.url).llen("scoring") == 2
    assert WakeUp.objects.get(consumer=SCORER_WAKE_UP).asked_at is not None
    assert Decision.objects.filter(is_current=True).count() == 5
    assert not Application.objects.filter(status__in=[Status.RECEIVED, Status.SCORING]).exists()


@pytest.mark.django_db(transaction=True)
def test_without_a_model_the_task_returns_and_applications_wait(alice, answers):
    from scoring.tasks import score_waiting

    application = submit_many(alice, answers, 1)[0]
    assert score_waiting.run() == 0
    application.refresh_from_db()
    assert application.status == Status.RECEIVED
