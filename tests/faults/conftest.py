"""The fault tests' stage: the API in this process, a real Celery worker process, our own
Redis, dynalite, the warehouse database; and the one check every fault test ends with."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from applicants.models import Application
from outbox.models import OutboxMessage, OutboxStatus
from scoring.models import Decision
from scoring.tasks import redrive_scoring
from sinks.reconcile import reconcile
from sinks.tasks import redrive_sinks
from tests.conftest import token_client
from tests.plugins.sinks import RedisServer, Sinks, use_broker


@dataclass
class FaultStage:
    client: Any
    answers: dict[str, Any]
    sinks: Sinks
    redis: RedisServer
    start_worker: Any
    submitted: int = 0

    def worker(self, **extra_env: str) -> Any:
        return self.start_worker(self.redis.url, {**self.sinks.env, **extra_env})

    def submit(self, count: int, *, key_prefix: str = "fault") -> list[str]:
        """Submit `count` new applications through the API; return the acknowledged ids."""
        ids = []
        for _ in range(count):
            n = self.submitted = self.submitted + 1
            response = self.client.post(
                "/api/v1/applications/",
                {"answers": {**self.answers, "national_id": f"FLT{n:07d}"}},
                format="json",
                HTTP_IDEMPOTENCY_KEY=f"{key_prefix}-{n}",
            )
            assert response.status_code == 202, response.content
            ids.append(response.json()["id"])
        return ids

    def settle(self, ids: list[str], timeout: float = 60) -> None:
        """Let the platform recover as beat would make it (the re-drives, every second)
        until every application is scored and delivered to both sinks."""
        deadline = time.monotonic() + timeout
        next_redrive = 0.0
        while time.monotonic() < deadline:
            decided = Decision.objects.filter(application_id__in=ids, is_current=True).count()
            undelivered = OutboxMessage.objects.filter(key__in=ids, topic__startswith="sink:").exclude(
                status=OutboxStatus.DELIVERED
            )
            dead = list(undelivered.filter(status=OutboxStatus.DEAD).values_list("last_error", flat=True))
            assert not dead, f"dead letters: {dead[:3]}"
            if decided == len(ids) and not undelivered.exists():
                return
            # Looked at every 0.1 s (done as soon as it is), re-driven once a second as beat.
            if time.monotonic() >= next_redrive:
                next_redrive = time.monotonic() + 1
                redrive_scoring()
                redrive_sinks()
            time.sleep(0.1)
        statuses = list(Application.objects.filter(pk__in=ids).values_list("status", flat=True))
        raise AssertionError(
            f"not settled after {timeout}s: {decided}/{len(ids)} decided, "
            f"{undelivered.count()} sink messages undelivered; statuses {statuses}"
        )

    def assert_nothing_lost(self, ids: list[str]) -> None:
        """Every acknowledged application: exactly one current decision in the database,
        one item in DynamoDB, one row in the warehouse; and reconcile finds no difference."""
        self.settle(ids)
        assert len(set(ids)) == len(ids)
        current = Decision.objects.filter(application_id__in=ids, is_current=True)
        assert sorted(str(a) for a in current.values_list("application_id", flat=True)) == sorted(ids)
        items = self.sinks.items()
        assert set(items) == set(ids) and self.sinks.item_count() == len(ids)
        for decision in current:
            assert int(items[str(decision.application_id)]["decision_id"]) == decision.pk
        assert self.sinks.decision_rows() == dict.fromkeys(ids, 1)
        report = reconcile()
        assert report.differences == [], report.differences


@pytest.fixture
def fault_stage(
    sinks_on: Sinks,
    private_redis: RedisServer,
    sink_worker: Any,
    active_model: Any,
    alice: Any,
    answers: dict[str, Any],
    settings: Any,
) -> Iterator[FaultStage]:
    if private_redis.process is None:
        private_redis.start()  # a previous test stopped it and failed before restarting it
    private_redis.flush()
    settings.SCORING_REDRIVE_AFTER_SECONDS = 1
    settings.SCORING_LEASE_SECONDS = 5
    with use_broker(private_redis.url):
        yield FaultStage(
            client=token_client(alice),
            answers=answers,
            sinks=sinks_on,
            redis=private_redis,
            start_worker=sink_worker,
        )
