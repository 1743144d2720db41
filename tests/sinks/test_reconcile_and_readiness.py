"""reconcile (compare, report, --fix), /readyz's view of the sinks, and the re-drive task."""

from __future__ import annotations

from io import StringIO

import pytest
import redis
from django.core.management import call_command
from django.test import Client

from outbox.models import OutboxMessage, OutboxStatus
from outbox.services import outbox_fan_out, sink_topic
from scoring.models import Decision
from sinks.services import sink_drain
from sinks.tasks import redrive_sinks
from tests.plugins.sinks import use_broker
from tests.sinks.helpers import review_payload, scored_applications

pytestmark = pytest.mark.django_db


def reconcile_output(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("reconcile", *args, stdout=out)
    except SystemExit as exc:
        assert isinstance(exc.code, int)
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def test_reconcile_finds_what_is_missing_stale_or_extra_and_fix_repairs_it(sinks_on, active_model, answers):
    ids = scored_applications(answers, 8)
    outbox_fan_out(event="review", items=[(ids[1], review_payload(91))])
    for sink in ("dynamodb", "warehouse"):
        sink_drain(sink_name=sink)
    code, out = reconcile_output()
    assert code == 0 and "0 differences" in out, out

    client = sinks_on.client()
    client.delete_item(TableName=sinks_on.table, Key={"application_id": {"S": ids[0]}})
    client.update_item(
        TableName=sinks_on.table,
        Key={"application_id": {"S": ids[2]}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "received"}},
    )
    client.put_item(
        TableName=sinks_on.table, Item={"application_id": {"S": "not-ours"}, "status": {"S": "scored"}}
    )
    sinks_on.warehouse("DELETE FROM fact_decision WHERE application_id = %s RETURNING 1", [ids[3]])
    sinks_on.warehouse("DELETE FROM fact_review RETURNING 1")

    code, out = reconcile_output()
    assert code == 1
    assert f"missing  {ids[0]}  no item" in out
    assert f"stale    {ids[2]}" in out
    assert "extra    not-ours" in out
    assert f"missing  {ids[3]}  no fact_decision row" in out
    assert "no fact_review row for review 91" in out

    code, out = reconcile_output("--fix")
    assert "re-sent 4 record(s)" in out, out
    # The extra item is reported, never deleted; everything else is repaired.
    assert code == 1 and "1 difference(s)" in out and "extra    not-ours" in out.split("after the fix")[1]
    client.delete_item(TableName=sinks_on.table, Key={"application_id": {"S": "not-ours"}})
    code, out = reconcile_output()
    assert code == 0, out
    assert sinks_on.decision_rows() == dict.fromkeys(ids, 1)
    assert sinks_on.warehouse("SELECT review_id FROM fact_review") == [(91,)]


def test_undelivered_messages_are_in_flight_not_differences(sinks_on, active_model, answers):
    scored_applications(answers, 3)
    code, out = reconcile_output()
    assert code == 0
    assert "dynamodb: expected 3, found 0, in flight 3: no differences" in out


def test_readyz_reports_each_sink_and_the_backlog(sinks_on, active_model, answers):
    scored_applications(answers, 2)
    body = Client().get("/readyz").json()
    assert body["checks"]["sinks"]["ok"], body
    assert body["checks"]["sinks"]["dynamodb"]["table"] == sinks_on.table
    assert body["checks"]["sinks"]["dynamodb"]["backlog"]["pending"] == 2
    assert body["checks"]["sinks"]["warehouse"]["backlog"]["pending"] == 2
    assert body["checks"]["outbox"]["pending"] == 4
    sink_drain(sink_name="dynamodb")
    sink_drain(sink_name="warehouse")
    body = Client().get("/readyz").json()
    assert body["checks"]["outbox"]["pending"] == 0
    assert body["checks"]["sinks"]["warehouse"]["latest_decision_id"] == max(
        Decision.objects.values_list("id", flat=True)
    )


def test_readyz_names_an_unreachable_sink(sinks_on, active_model, settings):
    from ops.dynalite import free_port

    settings.DYNAMODB_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"
    settings.DYNAMODB_TIMEOUT_SECONDS = 0.5
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["not_ready"] == ["sinks"]
    assert "Could not connect" in body["checks"]["sinks"]["dynamodb"]["error"]
    assert body["checks"]["sinks"]["warehouse"]["ok"]


def test_readyz_calls_an_old_backlog_stale(sinks_on, settings):
    settings.OUTBOX_STALE_SECONDS = 1
    message = OutboxMessage.objects.create(topic=sink_topic("warehouse"), key="k")
    OutboxMessage.objects.filter(pk=message.pk).update(created_at=message.created_at.replace(year=2020))
    body = Client().get("/readyz").json()
    assert "outbox" in body["not_ready"]
    assert body["checks"]["outbox"]["oldest_pending_seconds"] > 1


def test_the_periodic_redrive_asks_for_drains_of_sinks_with_due_messages(sinks_on, private_redis, settings):
    settings.OUTBOX_DRAIN_DELAY_SECONDS = 0
    private_redis.flush()
    OutboxMessage.objects.create(topic=sink_topic("warehouse"), key="k")
    OutboxMessage.objects.create(topic=sink_topic("dynamodb"), key="k", status=OutboxStatus.DEAD)
    with use_broker(private_redis.url):
        assert redrive_sinks() == ["warehouse"]
    queued = redis.Redis.from_url(private_redis.url).lrange("sinks", 0, -1)
    assert len(queued) == 1 and b"sinks.tasks.drain_sink" in queued[0]


def test_asks_for_a_drain_coalesce_while_one_is_waiting(settings, private_redis):
    import json

    from outbox.wakeups import wake_up_started
    from sinks.tasks import drain_consumer, publish_drain

    settings.OUTBOX_DRAIN_ASK_EVERY_SECONDS = 60
    private_redis.flush()

    def queued() -> list[str]:
        messages = redis.Redis.from_url(private_redis.url).lrange("sinks", 0, -1)
        return sorted(json.loads(m)["headers"]["argsrepr"] for m in messages)

    with use_broker(private_redis.url):
        for _ in range(10):  # ten scoring batches committed while the worker is busy
            publish_drain("dynamodb")
        publish_drain("warehouse")
        assert queued() == ["('dynamodb',)", "('warehouse',)"]
        # The worker starts it: the next ask is a new drain.
        wake_up_started(consumer=drain_consumer("dynamodb"))
        publish_drain("dynamodb")
        publish_drain("dynamodb")
        assert queued() == ["('dynamodb',)", "('dynamodb',)", "('warehouse',)"]
        publish_drain("warehouse", force=True)  # the re-drive: in case the queued one was lost
        settings.OUTBOX_DRAIN_ASK_EVERY_SECONDS = 0  # the queued one is "old": ask again
        publish_drain("dynamodb")
    assert queued() == ["('dynamodb',)", "('dynamodb',)", "('dynamodb',)", "('warehouse',)", "('warehouse',)"]


def test_an_ask_that_cannot_be_published_lets_the_next_one_through(settings):
    from outbox.models import WakeUp
    from sinks.tasks import drain_consumer, publish_drain

    with use_broker("redis://127.0.0.1:1/0"):  # nothing listens there
        publish_drain("dynamodb")
    assert WakeUp.objects.get(consumer=drain_consumer("dynamodb")).asked_at is None
