"""Nothing acknowledged is lost, whatever fails: each test submits applications through the
API, injects one fault into a real component, recovers, and checks that every acknowledged
application has exactly one current decision, one DynamoDB item and one warehouse row."""

from __future__ import annotations

import signal
import threading
import time

import psycopg
import pytest
from django.db import connection, connections

from applicants.models import Application, Status
from outbox.models import OutboxMessage, OutboxStatus
from outbox.services import sink_topic
from sinks.tasks import redrive_sinks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def delivered(ids: list[str], sink: str) -> bool:
    return OutboxMessage.objects.filter(
        topic=sink_topic(sink), key__in=ids, status=OutboxStatus.DELIVERED
    ).values("key").distinct().count() == len(ids)


def test_without_a_fault_everything_arrives_with_no_re_drive_at_all(fault_stage):
    """The baseline: the asks for drains made on commit suffice; beat is a safety net."""
    fault_stage.worker()
    ids = []
    for _ in range(3):  # bursts, so asks meet drains already waiting or running
        ids += fault_stage.submit(5)
        time.sleep(0.3)
    wait_until(
        lambda: delivered(ids, "dynamodb") and delivered(ids, "warehouse"),
        20,
        "every decision to reach both sinks without a re-drive",
    )
    fault_stage.assert_nothing_lost(ids)


def test_a_worker_killed_in_the_middle_of_scoring(fault_stage):
    worker = fault_stage.worker()
    settings_dict = connection.settings_dict
    url = (
        f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/"
        f"{settings_dict['NAME']}"
    )
    # Hold the decisions table: the worker claims and scores, then blocks writing decisions.
    blocker = psycopg.connect(url)
    blocker.execute("LOCK TABLE scoring_decision IN SHARE ROW EXCLUSIVE MODE")
    try:
        ids = fault_stage.submit(12)

        def worker_blocked_mid_scoring() -> bool:
            (waiting,) = blocker.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
                [settings_dict["NAME"]],
            ).fetchone() or (None,)
            return waiting > 0 and Application.objects.filter(status=Status.SCORING).exists()

        wait_until(worker_blocked_mid_scoring, 30, "the worker to be mid-way through scoring")
        worker.stop(signal.SIGKILL)
    finally:
        blocker.rollback()
        blocker.close()
    assert Application.objects.filter(pk__in=ids, status=Status.SCORING).exists()
    ids += fault_stage.submit(4)  # accepted while no worker runs
    fault_stage.worker()
    fault_stage.assert_nothing_lost(ids)


def test_redis_stopped_for_seconds_and_restarted(fault_stage):
    fault_stage.worker()
    ids = fault_stage.submit(6)
    wait_until(
        lambda: delivered(ids, "warehouse") and delivered(ids, "dynamodb"),
        30,
        "the first applications to reach both sinks",
    )
    fault_stage.redis.stop()
    ids += fault_stage.submit(4)  # still acknowledged: the outbox holds the scoring requests
    time.sleep(3)
    fault_stage.redis.start()  # empty: whatever was queued in it is gone
    fault_stage.assert_nothing_lost(ids)


def test_the_dynamodb_stand_in_stopped_and_restarted(fault_stage, dynalite):
    fault_stage.worker()
    ids = fault_stage.submit(6)
    wait_until(lambda: delivered(ids, "dynamodb"), 30, "the first applications to reach DynamoDB")
    dynalite.stop()
    try:
        later = fault_stage.submit(6)
        wait_until(lambda: delivered(later, "warehouse"), 30, "the warehouse to keep receiving")
        failing = OutboxMessage.objects.filter(topic=sink_topic("dynamodb"), key__in=later)
        wait_until(lambda: failing.filter(attempts__gte=1).exists(), 30, "DynamoDB writes to fail")
        assert "DynamoDB" in failing.filter(attempts__gte=1).first().last_error
        assert not failing.filter(status=OutboxStatus.DELIVERED).exists()
    finally:
        dynalite.start()  # same port, same LevelDB folder
    # What was written before the stop survived it.
    assert set(ids) <= set(fault_stage.sinks.items())
    fault_stage.assert_nothing_lost(ids + later)


def test_the_warehouse_unreachable_for_a_while(fault_stage, warehouse_proxy, settings):
    proxied = (
        f"postgres://postgres@127.0.0.1:{warehouse_proxy.port}/"
        f"{fault_stage.sinks.warehouse_url.rsplit('/', 1)[1]}"
    )
    settings.WAREHOUSE_URL = proxied
    fault_stage.worker(WAREHOUSE_URL=proxied)
    ids = fault_stage.submit(6)
    wait_until(lambda: delivered(ids, "warehouse"), 30, "the first applications to reach the warehouse")
    warehouse_proxy.cut()
    try:
        later = fault_stage.submit(6)
        wait_until(lambda: delivered(later, "dynamodb"), 30, "DynamoDB to keep receiving")
        failing = OutboxMessage.objects.filter(topic=sink_topic("warehouse"), key__in=later)
        wait_until(lambda: failing.filter(attempts__gte=1).exists(), 30, "warehouse loads to fail")

        def retried_with_backoff() -> bool:
            redrive_sinks()  # what beat does every few seconds
            return failing.filter(attempts__gte=2).exists()

        wait_until(retried_with_backoff, 30, "warehouse loads to be retried while it is away")
        assert "warehouse" in failing.filter(attempts__gte=1).first().last_error
        assert not failing.exclude(status=OutboxStatus.PENDING).exists()
    finally:
        warehouse_proxy.restore()
    fault_stage.assert_nothing_lost(ids + later)


def test_the_same_application_twice_with_one_idempotency_key_and_twice_at_once(fault_stage, alice):
    from tests.conftest import token_client

    fault_stage.worker()
    body = {"answers": {**fault_stage.answers, "national_id": "IDEM0000001"}}
    first = fault_stage.client.post(
        "/api/v1/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key"
    )
    again = fault_stage.client.post(
        "/api/v1/applications/", body, format="json", HTTP_IDEMPOTENCY_KEY="same-key"
    )
    assert first.status_code == 202 and again.status_code == 202
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"

    concurrent = {"answers": {**fault_stage.answers, "national_id": "IDEM0000002"}}
    barrier, answers = threading.Barrier(2), []

    def post() -> None:
        try:
            client = token_client(alice)
            barrier.wait(5)
            response = client.post(
                "/api/v1/applications/", concurrent, format="json", HTTP_IDEMPOTENCY_KEY="raced-key"
            )
            answers.append((response.status_code, response.json()["id"]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [status for status, _ in answers] == [202, 202]
    assert answers[0][1] == answers[1][1]
    ids = [first.json()["id"], answers[0][1]]
    assert Application.objects.filter(idempotency_key__in=["same-key", "raced-key"]).count() == 2
    fault_stage.assert_nothing_lost(ids)


def test_the_model_endpoint_answering_500_and_timing_out(fault_stage, local_endpoint, active_model):
    local_endpoint.serve(active_model)
    fault_stage.worker(**local_endpoint.env(), SAGEMAKER_READ_TIMEOUT="1")
    ids = fault_stage.submit(4)
    fault_stage.settle(ids)

    local_endpoint.fail(500, count=4)  # more than one call's botocore attempts (3)
    during_errors = fault_stage.submit(4)
    wait_until(lambda: local_endpoint.stats()["errors"] >= 4, 30, "the endpoint to answer 500s")
    fault_stage.settle(during_errors)

    local_endpoint.slow(3, count=3)  # past the client's 1 s read time-out, three times
    during_timeouts = fault_stage.submit(4)
    fault_stage.settle(during_timeouts)
    assert (
        Application.objects.filter(pk__in=during_errors + during_timeouts, scoring_attempts__gte=2).count()
        >= 2
    )
    assert not Application.objects.filter(status=Status.FAILED).exists()
    fault_stage.assert_nothing_lost(ids + during_errors + during_timeouts)
