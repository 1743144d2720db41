"""The operational store against the real DynamoDB stand-in (dynalite) through boto3."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from applicants.models import Application, Status
from applicants.services import application_transition
from outbox.models import OutboxMessage, OutboxStatus
from outbox.services import outbox_fan_out, sink_topic
from sinks.dynamodb import DynamoDBSink
from sinks.dynamodb_table import query_by_applicant, query_by_status_tier
from sinks.services import sink_drain
from tests.sinks.helpers import review_payload, scored_applications

pytestmark = pytest.mark.django_db
TOPIC = sink_topic("dynamodb")


def test_dynamodb_setup_creates_the_table_with_its_indexes_and_is_idempotent(settings, dynalite):
    settings.DYNAMODB_ENDPOINT_URL = dynalite.url
    settings.DYNAMODB_TABLE = "test-setup-command"
    out = StringIO()
    call_command("dynamodb_setup", stdout=out)
    assert "created" in out.getvalue()
    call_command("dynamodb_setup", stdout=out)
    assert "already exists and matches" in out.getvalue()
    table = DynamoDBSink().client.describe_table(TableName="test-setup-command")["Table"]
    assert {g["IndexName"] for g in table["GlobalSecondaryIndexes"]} == {"by_applicant", "by_status_tier"}


def test_an_unreachable_dynamodb_is_a_clear_command_error(settings):
    from django.core.management.base import CommandError

    from ops.dynalite import free_port

    settings.DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.DYNAMODB_TIMEOUT_SECONDS = 0.5
    with pytest.raises(CommandError, match=r"DynamoDB at http://127\.0\.0\.1"):
        call_command("dynamodb_setup")


def test_each_decision_becomes_one_item_with_the_latest_state(sinks_on, active_model, answers):
    ids = scored_applications(answers, 60)  # more than two BatchWriteItem requests of 25
    result = sink_drain(sink_name="dynamodb")
    assert result.delivered == 60 and not result.errors
    items = sinks_on.items()
    assert set(items) == set(ids)
    application = Application.objects.get(pk=ids[0])
    item = DynamoDBSink().get_items([ids[0]])[ids[0]]
    decision = application.decisions.get(is_current=True)
    assert item["status"] == application.status
    assert item["tier"] == decision.tier
    assert item["model_version"] == active_model.version
    assert item["decision_id"] == decision.pk
    assert float(item["prob_high"]) == pytest.approx(decision.prob_high)
    assert item["reasons"] and item["reasons"][0]["statement"]
    assert item["version"] == OutboxMessage.objects.get(topic=TOPIC, key=ids[0]).pk
    assert not OutboxMessage.objects.filter(topic=TOPIC).exclude(status=OutboxStatus.DELIVERED)


def test_the_indexes_find_items_by_applicant_and_by_status_and_tier(sinks_on, active_model, answers):
    ids = scored_applications(answers, 5)
    sink_drain(sink_name="dynamodb")
    application = Application.objects.get(pk=ids[0])
    mine = query_by_applicant(str(application.applicant_id))
    assert [i["application_id"] for i in mine] == [ids[0]]
    tier = application.decisions.get(is_current=True).tier
    listed = query_by_status_tier(application.status, tier)
    assert ids[0] in {i["application_id"] for i in listed}


def test_a_redelivered_or_late_message_never_overwrites_newer_data(sinks_on, active_model, answers):
    [app_id] = scored_applications(answers, 1)
    sink_drain(sink_name="dynamodb")
    first = OutboxMessage.objects.get(topic=TOPIC, key=app_id)
    # A review arrives: the item moves on to a newer version.
    application = Application.objects.get(pk=app_id)
    if application.status == Status.SCORED:
        application_transition(
            application_ids=[app_id], from_status=Status.SCORED, to_status=Status.IN_REVIEW
        )
    application_transition(
        application_ids=[app_id], from_status=Status.IN_REVIEW, to_status=Status.OVERRIDDEN, final_tier="high"
    )
    outbox_fan_out(event="review", items=[(app_id, review_payload(7))])
    sink_drain(sink_name="dynamodb")
    newest = DynamoDBSink().get_items([app_id])[app_id]
    assert newest["status"] == "overridden" and newest["tier"] == "high"
    assert newest["review_auditor"] == "dave" and newest["review_reason_code"] == "income_unverified"
    assert newest["decision_id"]  # the decision's fields are still there

    # The first message delivered again, late, with its old version: nothing changes.
    report = DynamoDBSink().deliver([first])
    assert report.delivered == [first.pk]
    assert DynamoDBSink().get_items([app_id])[app_id] == newest
    assert sinks_on.item_count() == 1


def test_a_message_about_an_application_without_decision_becomes_a_dead_letter(sinks_on, mailoutbox):
    OutboxMessage.objects.create(
        topic=TOPIC,
        key="00000000-0000-0000-0000-000000000000",
        payload={"event": "decision", "decision_id": 1},
    )
    result = sink_drain(sink_name="dynamodb")
    assert result.dead == 1
    message = OutboxMessage.objects.get(topic=TOPIC)
    assert message.status == OutboxStatus.DEAD
    assert "no longer exists" in message.last_error


class ThrottlingClient:
    """The real client, except that the first BatchWriteItem leaves some items unprocessed,
    as DynamoDB does under throttling (dynalite never does)."""

    def __init__(self, real: Any):
        self.real, self.throttled = real, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def batch_write_item(self, RequestItems: dict) -> dict:
        if self.throttled:
            return self.real.batch_write_item(RequestItems=RequestItems)
        ((table, requests),) = RequestItems.items()
        keep, leave = requests[: len(requests) // 2], requests[len(requests) // 2 :]
        self.throttled = len(leave)
        self.real.batch_write_item(RequestItems={table: keep})
        return {"UnprocessedItems": {table: leave}}


def test_unprocessed_items_of_a_batch_write_are_retried(sinks_on, active_model, answers):
    ids = scored_applications(answers, 10)
    client = ThrottlingClient(sinks_on.client())
    result = sink_drain(sink_name="dynamodb", sink=DynamoDBSink(client=client, table=sinks_on.table))
    assert client.throttled == 5
    assert result.delivered == 10
    assert set(sinks_on.items()) == set(ids)
