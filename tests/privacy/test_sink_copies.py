"""The operational and analytics copies hold no personal value: every attribute of every
DynamoDB item, every row of every warehouse table and every outbox payload, after a person's
applications were scored, reviewed and delivered, scanned for the values they submitted."""

from __future__ import annotations

import json

import pytest

from outbox.models import OutboxMessage
from privacy.matching import PersonalValues
from sinks.services import sink_drain
from sinks.warehouse.schema import TABLES
from tests.privacy.helpers import ZELDA, reviewed_with_a_note, submit_scored

pytestmark = pytest.mark.django_db


def test_no_sink_item_row_or_outbox_payload_holds_a_personal_value(
    sinks_on, active_model, answers, alice, dave, settings
):
    settings.REVIEW_BLIND_SHARE = 0.0
    applications = [submit_scored(answers, ZELDA, owner=alice) for _ in range(2)]
    reviewed_with_a_note(applications[0], dave, "income checked")
    for sink in ("dynamodb", "warehouse"):
        assert sink_drain(sink_name=sink).delivered
    ids = {str(a.pk) for a in applications}
    values = PersonalValues([ZELDA])

    client = sinks_on.client()
    items = [
        item
        for page in client.get_paginator("scan").paginate(TableName=sinks_on.table)
        for item in page["Items"]
    ]
    assert ids <= {item["application_id"]["S"] for item in items}
    rows = []
    for table in TABLES:
        rows += [row[0] for row in sinks_on.warehouse(f"SELECT row_to_json(t)::text FROM {table.name} t")]  # noqa: S608 - our table names
    assert any(i in row for row in rows for i in ids)
    payloads = [json.dumps(p) for p in OutboxMessage.objects.values_list("payload", flat=True)]
    assert payloads
    found = [text for text in [json.dumps(i) for i in items] + rows + payloads if values.found_in(text)]
    assert found == []
