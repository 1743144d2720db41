"""The outbox's bookkeeping: fan-out, claims, backoff, dead letters, alerts, the admin."""

from __future__ import annotations

import datetime as dt
import json
import random
import threading

import boto3
import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from outbox.models import OutboxMessage, OutboxStatus
from outbox.services import (
    outbox_claim,
    outbox_failed,
    outbox_fan_out,
    outbox_lock_topic,
    outbox_purge_delivered,
    outbox_requeue,
    retry_delay,
)

pytestmark = pytest.mark.django_db
TOPIC = "sink:dynamodb"


def test_fan_out_writes_one_row_per_sink_and_asks_for_drains_after_commit(
    settings, django_capture_on_commit_callbacks
):
    settings.SINKS = ["dynamodb", "warehouse"]
    with django_capture_on_commit_callbacks() as callbacks:
        assert (
            outbox_fan_out(event="decision", items=[("a1", {"decision_id": 1}), ("a2", {"decision_id": 2})])
            == 4
        )
    assert len(callbacks) == 1
    rows = OutboxMessage.objects.order_by("topic", "key")
    assert [(r.topic, r.key, r.payload) for r in rows] == [
        ("sink:dynamodb", "a1", {"event": "decision", "decision_id": 1}),
        ("sink:dynamodb", "a2", {"event": "decision", "decision_id": 2}),
        ("sink:warehouse", "a1", {"event": "decision", "decision_id": 1}),
        ("sink:warehouse", "a2", {"event": "decision", "decision_id": 2}),
    ]


def test_without_sinks_nothing_is_written(settings):
    settings.SINKS = []
    assert outbox_fan_out(event="decision", items=[("a1", {"decision_id": 1})]) == 0
    assert not OutboxMessage.objects.exists()


def test_backoff_doubles_with_full_jitter_up_to_the_cap(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 2
    settings.OUTBOX_RETRY_MAX_SECONDS = 60
    rng = random.Random(1)
    for attempts, full in [(1, 2), (2, 4), (3, 8), (5, 32), (6, 60), (20, 60)]:
        delays = [retry_delay(attempts, rng=rng).total_seconds() for _ in range(200)]
        # Full jitter: anywhere in [0, ceiling], spread over the whole window.
        assert 0 <= min(delays) < full * 0.1 and full * 0.9 < max(delays) <= full


def test_a_claim_takes_due_messages_with_every_pending_message_of_their_keys():
    now = timezone.now()
    due = OutboxMessage.objects.create(topic=TOPIC, key="k1")
    later = OutboxMessage.objects.create(topic=TOPIC, key="k1", next_attempt_at=now + dt.timedelta(hours=1))
    waiting = OutboxMessage.objects.create(topic=TOPIC, key="k2", next_attempt_at=now + dt.timedelta(hours=1))
    OutboxMessage.objects.create(topic=TOPIC, key="k3", status=OutboxStatus.DELIVERED)
    OutboxMessage.objects.create(topic="sink:warehouse", key="k1")
    with transaction.atomic():
        claimed = outbox_claim(topic=TOPIC, limit=10)
    assert [m.pk for m in claimed] == [due.pk, later.pk]
    assert waiting.pk not in {m.pk for m in claimed}


@pytest.mark.django_db(transaction=True)
def test_only_one_drain_holds_a_topic_at_a_time():
    held, release = threading.Event(), threading.Event()

    def other_drain():
        try:
            with transaction.atomic():
                assert outbox_lock_topic(TOPIC)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_drain)
    thread.start()
    assert held.wait(10)
    with transaction.atomic():
        assert not outbox_lock_topic(TOPIC)
        assert not outbox_lock_topic(TOPIC, wait_seconds=0.2)
        assert outbox_lock_topic("sink:warehouse")
    threading.Timer(0.3, release.set).start()
    with transaction.atomic():
        assert outbox_lock_topic(TOPIC, wait_seconds=10)  # waits for the other's batch
    thread.join()
    with transaction.atomic():
        assert outbox_lock_topic(TOPIC)
    assert connection.vendor == "postgresql"


def test_failures_back_off_then_park_as_dead_letters_with_one_alert(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.ADMINS = [("Ops", "ops@example.com")]
    message = OutboxMessage.objects.create(topic=TOPIC, key="k1")
    for attempt in (1, 2):
        failed_at = timezone.now()
        assert outbox_failed(messages=[message], error=f"refused #{attempt}") == 0
        message.refresh_from_db()
        assert message.status == OutboxStatus.PENDING and message.attempts == attempt
        # Full jitter may draw a wait near zero: "later than the failure", not "after now".
        assert message.next_attempt_at >= failed_at
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_failed(messages=[message], error="refused #3") == 1
    message.refresh_from_db()
    assert message.status == OutboxStatus.DEAD and message.dead_at and message.attempts == 3
    assert message.last_error == "refused #3"
    [mail] = mailoutbox
    assert mail.to == ["ops@example.com"]
    assert "1 outbox message(s) for sink:dynamodb became dead letters" in mail.subject
    assert "refused #3" in mail.body


def test_a_permanent_error_parks_at_once(settings):
    message = OutboxMessage.objects.create(topic=TOPIC, key="k1")
    assert outbox_failed(messages=[message], error="bad item", permanent=True) == 1
    assert OutboxMessage.objects.get().status == OutboxStatus.DEAD


def test_the_alert_is_also_published_to_sns(
    settings, aws_stand_in, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", aws_stand_in)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", aws_stand_in)
    sns = boto3.client("sns", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    topic = sns.create_topic(Name="riskscore-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    queue_arn = attributes["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    settings.ALERT_SNS_TOPIC_ARN = topic
    message = OutboxMessage.objects.create(topic=TOPIC, key="k1")
    with django_capture_on_commit_callbacks(execute=True):
        outbox_failed(messages=[message], error="table is gone", permanent=True)
    received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    body = json.loads(received[0]["Body"])
    assert body["Subject"].startswith("1 outbox message(s) for sink:dynamodb")
    assert "table is gone" in body["Message"]


def test_requeue_sends_dead_letters_again_and_purge_drops_old_delivered_rows():
    dead = OutboxMessage.objects.create(
        topic=TOPIC, key="k1", status=OutboxStatus.DEAD, attempts=12, dead_at=timezone.now()
    )
    old = OutboxMessage.objects.create(
        topic=TOPIC,
        key="k2",
        status=OutboxStatus.DELIVERED,
        delivered_at=timezone.now() - dt.timedelta(days=30),
    )
    recent = OutboxMessage.objects.create(
        topic=TOPIC, key="k3", status=OutboxStatus.DELIVERED, delivered_at=timezone.now()
    )
    assert outbox_requeue(ids=[dead.pk, recent.pk]) == 1
    dead.refresh_from_db()
    assert (dead.status, dead.attempts, dead.dead_at) == (OutboxStatus.PENDING, 0, None)
    assert outbox_purge_delivered(older_than=dt.timedelta(days=14)) == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {dead.pk, recent.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


def test_dead_letters_are_listed_in_the_admin_with_their_error_and_can_be_re_driven(admin_client):
    dead = OutboxMessage.objects.create(
        topic=TOPIC,
        key="app-1",
        status=OutboxStatus.DEAD,
        last_error="ValidationException: item too large",
        payload={"event": "decision", "decision_id": 5},
    )
    page = admin_client.get("/admin/outbox/outboxmessage/?status__exact=dead")
    assert page.status_code == 200
    html = page.content.decode()
    assert "app-1" in html and "ValidationException: item too large" in html
    response = admin_client.post(
        "/admin/outbox/outboxmessage/", {"action": "redrive", "_selected_action": [dead.pk]}, follow=True
    )
    assert "1 message(s) will be delivered again." in response.content.decode()
    dead.refresh_from_db()
    assert dead.status == OutboxStatus.PENDING
