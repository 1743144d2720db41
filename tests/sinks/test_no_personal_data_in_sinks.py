"""The operational copies hold ids, tiers, probabilities and reasons, never a person's data:
every DynamoDB item and every warehouse row is scanned for each personal value submitted, in
every form people write it (privacy.matching), after a decision and a review reach both."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from privacy.matching import PersonalValues
from sinks.services import sink_drain
from tests.privacy.helpers import ZELDA, reviewed_with_a_note, submit_scored

pytestmark = pytest.mark.django_db


def _warehouse_text(url: str) -> str:
    with psycopg.connect(url) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
        rows = []
        for table in tables:
            query = f'SELECT row_to_json(t) FROM "{table}" t'  # noqa: S608 (names from the catalogue)
            rows += [json.dumps(row, default=str) for (row,) in conn.execute(query)]
    return "\n".join(rows)


def _dynamodb_items(sinks: Any) -> list[dict[str, Any]]:
    """Every attribute of every item, as DynamoDB returns them (not the sink's own reading)."""
    client, items, start = sinks.client(), [], None
    while True:
        page = client.scan(TableName=sinks.table, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def test_no_submitted_personal_value_reaches_either_sink(
    sinks_on: Any, active_model: Any, answers: dict[str, Any], dave: Any, settings: Any
) -> None:
    settings.REVIEW_BLIND_SHARE = 0.0
    application = submit_scored(answers, ZELDA)
    reviewed_with_a_note(application, dave, "Called Zelda Quartermaine on +44 20 7946 0123.")
    for sink in ("dynamodb", "warehouse"):
        sink_drain(sink_name=sink)

    items = _dynamodb_items(sinks_on)
    mine = [i for i in items if i["application_id"]["S"] == str(application.pk)]
    assert mine and "review_outcome" in mine[0] and "reasons" in mine[0]  # the scan sees them
    warehouse = _warehouse_text(sinks_on.warehouse_url)
    assert str(application.pk) in warehouse and "fact_review" not in warehouse  # rows, not names
    zelda = PersonalValues([ZELDA])
    assert zelda.found_in(json.dumps({**answers, **ZELDA}))  # the check can see her
    assert not zelda.found_in(json.dumps(items, default=str)), "personal data in DynamoDB"
    assert not zelda.found_in(warehouse), "personal data in the warehouse"
