"""The warehouse: the star schema in PostgreSQL through psycopg, staged loads merged so a
re-delivered batch never duplicates, S3 staging against the S3 stand-in."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import boto3
import pytest
from django.core.management import call_command
from django.utils import timezone

from outbox.models import OutboxMessage, OutboxStatus
from outbox.services import outbox_fan_out, sink_topic
from scoring.models import Decision
from sinks.services import sink_drain
from sinks.warehouse import redshift
from sinks.warehouse.connection import warehouse_connect
from sinks.warehouse.loader import WarehouseLoader, merge_sql, to_csv
from sinks.warehouse.schema import DIM_CHANNEL, FACT_DECISION, ddl
from sinks.warehouse.sink import WarehouseSink
from tests.sinks.helpers import review_payload, scored_applications

pytestmark = pytest.mark.django_db
TOPIC = sink_topic("warehouse")


def test_the_two_ddl_forms_differ_only_where_redshift_needs_it():
    postgres, red = ddl("postgresql"), ddl("redshift")
    assert all("DISTKEY" not in s and "SORTKEY" not in s for s in postgres)
    assert any(s.startswith("CREATE INDEX") for s in postgres)
    fact = next(s for s in red if "fact_decision" in s)
    assert "DISTKEY (application_id)" in fact and "SORTKEY (decided_at" in fact
    assert "PRIMARY KEY (decision_id)" in fact
    assert not any(s.startswith("CREATE INDEX") for s in red)
    assert "DISTSTYLE ALL" in next(s for s in red if "dim_channel" in s)


def test_warehouse_setup_prints_the_redshift_ddl(capsys):
    out = StringIO()
    call_command("warehouse_setup", "--print", "--dialect", "redshift", stdout=out)
    assert "CREATE TABLE IF NOT EXISTS fact_review" in out.getvalue()
    assert "DISTSTYLE KEY DISTKEY (application_id)" in out.getvalue()


def test_the_redshift_copy_reads_the_staged_csv_from_s3():
    sql = redshift.copy_from_s3(
        table="stage_fact_decision",
        columns=["a", "b"],
        s3_url="s3://bucket/x.csv",
        iam_role="arn:aws:iam::1:role/r'x",
    )
    assert sql.startswith("COPY stage_fact_decision (a, b) FROM 's3://bucket/x.csv'")
    assert "IAM_ROLE 'arn:aws:iam::1:role/r''x'" in sql
    assert "FORMAT AS CSV IGNOREHEADER 1" in sql


def test_merge_is_one_statement_in_the_subset_both_dialects_accept():
    sql = merge_sql(DIM_CHANNEL, "stage_dim_channel")
    assert sql == (
        "MERGE INTO dim_channel USING stage_dim_channel s ON dim_channel.channel_code = "
        "s.channel_code WHEN MATCHED THEN UPDATE SET label = s.label WHEN NOT MATCHED THEN "
        "INSERT (channel_code, label) VALUES (s.channel_code, s.label)"
    )


def test_csv_keeps_null_apart_from_text_that_looks_like_it(warehouse_url, settings):
    settings.WAREHOUSE_URL = warehouse_url
    csv = to_csv(DIM_CHANNEL, [{"channel_code": "x1", "label": "\\N"}]).decode()
    assert csv.splitlines()[1] == '"x1","\\N"'
    with warehouse_connect() as conn:
        WarehouseLoader(conn, dialect="postgresql").merge(
            DIM_CHANNEL, [{"channel_code": "x1", "label": 'say "\\N", twice'}]
        )
        (label,) = conn.execute("SELECT label FROM dim_channel WHERE channel_code='x1'").fetchone() or (None,)
        conn.rollback()
    assert label == 'say "\\N", twice'


def test_decisions_load_once_with_their_dimensions_even_when_delivered_twice(sinks_on, active_model, answers):
    ids = scored_applications(answers, 12)
    assert sink_drain(sink_name="warehouse").delivered == 12
    rows = sinks_on.decision_rows()
    assert rows == dict.fromkeys(ids, 1)
    decision = Decision.objects.get(application_id=ids[0])
    [(tier, prob_high, channel, version, latency)] = sinks_on.warehouse(
        "SELECT tier, prob_high, channel_code, model_version, latency_ms FROM fact_decision "
        "WHERE decision_id = %s",
        [decision.pk],
    )
    assert (tier, channel, version) == (decision.tier, "api", active_model.version)
    assert latency == decision.latency_ms
    assert prob_high == pytest.approx(decision.prob_high)
    assert sinks_on.warehouse("SELECT label FROM dim_channel WHERE channel_code='api'")
    assert sinks_on.warehouse("SELECT model_version FROM dim_model_version") == [(active_model.version,)]

    # The same batch again (a re-delivery after a lost acknowledgement): still one row each.
    report = WarehouseSink().deliver(list(OutboxMessage.objects.filter(topic=TOPIC)))
    assert len(report.delivered) == 12
    assert sinks_on.decision_rows() == dict.fromkeys(ids, 1)


def test_reviews_become_fact_rows_and_a_bad_review_a_dead_letter(sinks_on, active_model, answers):
    [app_id] = scored_applications(answers, 1)
    outbox_fan_out(event="review", items=[(app_id, review_payload(31))])
    outbox_fan_out(event="review", items=[(app_id, review_payload(32, outcome="maybe"))])
    result = sink_drain(sink_name="warehouse")
    assert result.delivered == 2 and result.dead == 1
    assert sinks_on.warehouse(
        "SELECT review_id, outcome, final_tier, auditor, seconds_open, blind FROM fact_review"
    ) == [(31, "overridden", "high", "dave", 42.5, False)]
    dead = OutboxMessage.objects.get(topic=TOPIC, status=OutboxStatus.DEAD)
    assert "outcome must be one of confirmed, overridden, got 'maybe'" in dead.last_error


def test_batches_are_staged_on_s3_before_the_merge(
    sinks_on, active_model, answers, s3_bucket, settings, aws_stand_in
):
    settings.WAREHOUSE_STAGING_URL = f"s3://{s3_bucket}/staging"
    ids = scored_applications(answers, 3)
    assert sink_drain(sink_name="warehouse").delivered == 3
    assert sinks_on.decision_rows() == dict.fromkeys(ids, 1)
    listed = boto3.client("s3", endpoint_url=aws_stand_in).list_objects_v2(Bucket=s3_bucket)
    keys = [o["Key"] for o in listed["Contents"]]
    staged = [k for k in keys if k.startswith("staging/fact_decision/")]
    assert len(staged) == 1
    body = (
        boto3.client("s3", endpoint_url=aws_stand_in)
        .get_object(Bucket=s3_bucket, Key=staged[0])["Body"]
        .read()
        .decode()
    )
    assert body.splitlines()[0] == ",".join(FACT_DECISION.column_names)
    assert len(body.splitlines()) == 4


def test_an_unreachable_warehouse_backs_off_without_losing_anything(
    sinks_on, active_model, answers, settings
):
    from ops.dynalite import free_port

    ids = scored_applications(answers, 4)
    settings.WAREHOUSE_URL = f"postgres://postgres@127.0.0.1:{free_port()}/nowhere"
    result = sink_drain(sink_name="warehouse")
    assert result.delivered == 0 and result.retrying == 4 and result.dead == 0
    pending = OutboxMessage.objects.filter(topic=TOPIC, status=OutboxStatus.PENDING)
    assert pending.count() == 4
    assert all(m.attempts == 1 and m.next_attempt_at and "warehouse" in m.last_error for m in pending)
    # Not due yet: a drain now sends nothing; once the backoff expires, everything goes. (The
    # backoff has full jitter, so its draw may be near zero: pushed out, "not due" is certain.)
    settings.WAREHOUSE_URL = sinks_on.warehouse_url
    OutboxMessage.objects.filter(topic=TOPIC).update(next_attempt_at=timezone.now() + dt.timedelta(hours=1))
    assert sink_drain(sink_name="warehouse").delivered == 0
    OutboxMessage.objects.filter(topic=TOPIC).update(next_attempt_at=None)
    assert sink_drain(sink_name="warehouse").delivered == 4
    assert sinks_on.decision_rows() == dict.fromkeys(ids, 1)
