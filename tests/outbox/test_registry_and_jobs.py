"""The outbox registry (consumers and event handlers registered by the apps), the one job
mechanism (outbox/jobs.py) and the one backoff curve (outbox/backoff.py)."""

from __future__ import annotations

import ast
import datetime as dt
import random
from pathlib import Path

import pytest
from django.utils import timezone

from modelops.models import RunStatus, TrainingRun
from outbox.backoff import backoff_seconds
from outbox.jobs import (
    JobKind,
    job_claim,
    job_finish,
    job_heartbeat,
    job_kind_redrive,
    job_retry,
    registered_jobs,
)
from outbox.models import Topic
from outbox.registry import DECISIONS_STORED, NoConsumer, consumer_for, outbox_emit, registered_topics

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, function-local imports included."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_each_consumer_registers_itself_and_the_outbox_imports_none():
    from scoring.tasks import wake_scorer
    from sinks.tasks import wake_drain

    assert consumer_for(Topic.SCORING) is wake_scorer
    assert consumer_for("sink:dynamodb") is wake_drain and consumer_for("sink:warehouse") is wake_drain
    assert {"scoring", "sink:"} <= set(registered_topics())
    with pytest.raises(NoConsumer):
        consumer_for("nobody-listens")
    for path in (ROOT / "outbox").glob("*.py"):
        consumers = {
            m
            for m in imported_modules(path)
            if m.split(".")[0] in {"scoring", "sinks", "auditing", "modelops"}
        }
        assert not consumers, f"{path.name} imports {consumers}"


def test_applicants_import_no_consumer_and_sinks_do_not_purge_the_outbox():
    for path in (ROOT / "applicants").glob("*.py"):
        assert not {m for m in imported_modules(path) if m.split(".")[0] == "scoring"}, path.name
    for name in ("services.py", "tasks.py"):
        imported = ast.parse((ROOT / "sinks" / name).read_text())
        names = {
            alias.name
            for node in ast.walk(imported)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
        }
        assert not {n for n in names if "purge" in n}, name


def test_the_review_queue_handles_the_decision_event_in_the_same_transaction():
    from auditing.services.queue import review_queue_add

    assert outbox_emit(DECISIONS_STORED, application_ids=[]) >= 1
    from outbox.registry import _handlers

    assert review_queue_add in _handlers[DECISIONS_STORED]


def test_routed_decisions_are_queue_items_without_any_sweep(alice, answers, active_model, settings):
    from applicants.models import Application, Channel, Status
    from applicants.services import application_submit
    from auditing.models import ReviewItem
    from scoring.services import score_waiting_applications

    settings.REVIEW_LOW_SAMPLE_RATE = 1.0  # every decision goes to review
    active_model.review_policy = {**(active_model.review_policy or {}), "low_sample_rate": 1.0}
    active_model.save(update_fields=["review_policy"])
    for i in range(6):
        application_submit(
            answers={**answers, "national_id": f"RQ-{i:06d}-A"},
            channel=Channel.API,
            actor=alice,
            idempotency_key=f"rq{i}",
        )
    score_waiting_applications()
    in_review = set(Application.objects.filter(status=Status.IN_REVIEW).values_list("pk", flat=True))
    assert in_review, "nothing was routed to review"
    assert set(ReviewItem.objects.values_list("application_id", flat=True)) == in_review


def test_a_job_is_claimed_once_renewed_by_its_holder_and_recovered_when_its_lease_expires(settings):
    settings.JOB_MAX_ATTEMPTS = 2
    run = TrainingRun.objects.create()
    claim = job_claim(TrainingRun, run.pk)
    assert claim is not None and job_claim(TrainingRun, run.pk) is None  # a second delivery
    run.refresh_from_db()
    assert run.status == RunStatus.RUNNING and run.attempts == 1
    first_lease = run.lease_expires_at
    assert job_heartbeat(TrainingRun, run.pk, claim)
    run.refresh_from_db()
    assert run.lease_expires_at >= first_lease

    published: list[int] = []
    kind = JobKind(model=TrainingRun, publish=published.append)
    assert job_kind_redrive(kind).recovered == 0  # a live lease is left alone
    TrainingRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    result = job_kind_redrive(kind)
    assert (result.recovered, result.published) == (1, 1) and published == [run.pk]
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING and "lease expired" in run.error
    # The dead worker wakes up: its claim is gone, so it can write nothing.
    assert not job_heartbeat(TrainingRun, run.pk, claim)
    assert not job_finish(TrainingRun, run.pk, claim)

    second = job_claim(TrainingRun, run.pk)
    TrainingRun.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert job_kind_redrive(kind).failed == 1  # out of attempts (2)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and second is not None


def test_a_transient_failure_backs_off_then_fails_when_out_of_attempts(settings):
    settings.JOB_RETRY_BASE_SECONDS, settings.JOB_RETRY_MAX_SECONDS = 10, 10
    run = TrainingRun.objects.create()
    claim = job_claim(TrainingRun, run.pk)
    assert claim is not None
    assert job_retry(TrainingRun, run.pk, claim, error="the store was away", max_attempts=2)
    run.refresh_from_db()
    assert run.status == RunStatus.PENDING and run.claim is None
    assert timezone.now() <= run.next_attempt_at <= timezone.now() + dt.timedelta(seconds=10)
    claim = job_claim(TrainingRun, run.pk)
    assert claim is not None
    assert not job_retry(TrainingRun, run.pk, claim, error="still away", max_attempts=2)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and "after 2 attempts" in run.error


def test_every_job_kind_is_registered_with_the_one_re_drive():
    assert set(registered_jobs()) == {
        "modelops.TrainingRun",
        "modelops.RescoreChunk",
        "governance.ReplayChunk",
        "auditing.ExportJob",
        "auditing.RetrainRun",
    }


def test_the_one_backoff_is_exponential_with_full_jitter_and_a_cap():
    rng = random.Random(3)
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (4, 8.0), (9, 60.0)]:
        draws = [backoff_seconds(attempt, base=1.0, cap=60.0, rng=rng) for _ in range(300)]
        assert 0 <= min(draws) < 0.1 * ceiling and 0.9 * ceiling < max(draws) <= ceiling


def test_no_error_is_classified_by_a_string_prefix():
    """Errors carry their kind (ScoringError.permanent, sinks' ItemError.permanent)."""
    for folder in ("scoring", "sinks", "modelops", "auditing", "outbox"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            assert 'startswith("permanent' not in text and '"permanent:' not in text, path
