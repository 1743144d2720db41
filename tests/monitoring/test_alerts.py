"""Alerts: rules open one alert per key, notify mail, SNS (the AWS stand-in) and a local
webhook receiver once per cool-down; acknowledging and resolving go to the audit trail."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import boto3
import pytest
from django.core import mail
from django.utils import timezone

from monitoring.models import Alert, AlertStatus, OperationsSnapshot
from monitoring.services.alerts import AlertStateError, alert_acknowledge, alert_resolve, alerts_evaluate
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


class Received(list):
    url = ""


@pytest.fixture
def webhook() -> Iterator[Received]:
    """A JSON receiver on 127.0.0.1; the list fills with what it was sent."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"content_type": self.headers["Content-Type"], **json.loads(body)})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received.url = f"http://127.0.0.1:{server.server_port}/hook"
    yield received
    server.shutdown()


@pytest.fixture
def sns_inbox(aws_stand_in: str, monkeypatch: pytest.MonkeyPatch, settings: Any) -> Any:
    """An SNS topic on the stand-in with an SQS queue subscribed; returns a reader."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_SNS", aws_stand_in)
    sns = boto3.client("sns", endpoint_url=aws_stand_in)
    sqs = boto3.client("sqs", endpoint_url=aws_stand_in)
    topic = sns.create_topic(Name=f"alerts-{id(settings)}")["TopicArn"]
    queue = sqs.create_queue(QueueName=f"alerts-{id(settings)}")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    queue_arn = attributes["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    settings.MONITORING_ALERT_SNS_TOPIC_ARN = topic

    def read() -> list[dict[str, Any]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return [json.loads(json.loads(m["Body"])["Message"]) for m in messages.get("Messages", [])]

    return read


@pytest.fixture
def channels(settings: Any, webhook: Any, sns_inbox: Any) -> dict[str, Any]:
    settings.MONITORING_ALERT_EMAILS = ["risk-team@example.com"]
    settings.MONITORING_ALERT_WEBHOOK_URL = webhook.url
    settings.MONITORING_ALERT_COOLDOWN_SECONDS = 3600
    return {"webhook": webhook, "sns": sns_inbox}


def _dead_letters(n: int) -> None:
    OperationsSnapshot.objects.create(dead_letters=n)


def test_an_alert_reaches_mail_sns_and_the_webhook_once_per_cooldown(channels, settings) -> None:
    _dead_letters(3)
    now = timezone.now()
    (alert,) = alerts_evaluate(now=now)
    assert (alert.rule, alert.severity, alert.status) == ("dead_letters", "critical", "open")
    assert len(mail.outbox) == 1 and "3 dead letters" in mail.outbox[0].subject
    assert mail.outbox[0].to == ["risk-team@example.com"]
    (hook,) = channels["webhook"]
    assert hook["content_type"] == "application/json" and hook["text"].startswith("[CRITICAL]")
    assert hook["alert"]["key"] == "dead_letters"  # Slack reads `text`; the rest is for machines
    (sns,) = channels["sns"]()
    assert sns["alert"]["id"] == alert.pk

    # Still firing, inside the cool-down: the same alert, refreshed, nobody told again.
    _dead_letters(5)
    assert alerts_evaluate(now=now + dt.timedelta(minutes=10)) == []
    assert Alert.objects.count() == 1 and Alert.objects.get().value == 5
    # Resolved, then firing again inside the cool-down: a new alert, still quiet.
    alert_resolve(alert_id=alert.pk, actor=None, note="re-driven")
    assert alerts_evaluate(now=now + dt.timedelta(minutes=20)) == []
    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 1
    # After the cool-down: told again, once.
    later = now + dt.timedelta(seconds=settings.MONITORING_ALERT_COOLDOWN_SECONDS + 60)
    assert len(alerts_evaluate(now=later)) == 1
    assert alerts_evaluate(now=later + dt.timedelta(minutes=1)) == []
    assert len(mail.outbox) == 2 and len(channels["webhook"]) == 2 and len(channels["sns"]()) == 1


def test_a_channel_that_is_down_does_not_stop_the_others(settings) -> None:
    settings.MONITORING_ALERT_EMAILS = ["risk-team@example.com"]
    settings.MONITORING_ALERT_WEBHOOK_URL = "http://127.0.0.1:9/nobody-listens"
    _dead_letters(1)
    assert len(alerts_evaluate()) == 1
    assert len(mail.outbox) == 1


def test_acknowledge_and_resolve_are_in_the_trail(make_user) -> None:
    from accounts.roles import Role

    lead = make_user("lead", Role.AUDITOR_LEAD)
    _dead_letters(1)
    (alert,) = alerts_evaluate()
    alert_acknowledge(alert_id=alert.pk, actor=lead, note="looking")
    with pytest.raises(AlertStateError):
        alert_acknowledge(alert_id=alert.pk, actor=lead)
    alert_resolve(alert_id=alert.pk, actor=lead, note="fixed the sink")
    with pytest.raises(AlertStateError):
        alert_resolve(alert_id=alert.pk, actor=lead)
    entries = list(
        TrailEntry.objects.filter(object_type="alert", object_id=str(alert.pk))
        .order_by("id")
        .values_list("action", "note")
    )
    assert entries == [("alert.acknowledge", "looking"), ("alert.resolve", "fixed the sink")]
    # acknowledged alerts are not re-notified; a resolved one is closed for good
    assert Alert.objects.get(pk=alert.pk).resolved_by == lead


def test_quiet_when_nothing_fires(settings) -> None:
    OperationsSnapshot.objects.create(dead_letters=0, queue_oldest_seconds=10, sink_lag_seconds=1)
    assert alerts_evaluate() == [] and not Alert.objects.exists()
