"""The operational store: one DynamoDB item per application, with its latest state
(the table and its indexes: sinks/dynamodb_table.py).

Each item holds status, tier, the three probabilities, the reasons, the model version, the
decision id, timings, the review's outcome once there is one, and `version`: the id of the
newest outbox message the item reflects. Message ids grow in the order an application's
changes commit (every change locks the application row first), so a bigger version is
always newer data.

Writes never go backwards:
- an item that does not exist yet is written with BatchWriteItem (25 at a time, unprocessed
  items retried with backoff). BatchWriteItem cannot carry a condition; it is safe here
  because only one drain writes a sink at a time (outbox_lock_topic) and it read, just
  before, that the item was absent;
- an existing item is changed with UpdateItem on the condition `version < :new`, so a
  repeated or late message never overwrites newer data, and attributes the message does
  not carry (a review's auditor, say) stay as they are.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from config.aws import aws_config
from outbox.backoff import backoff_seconds
from outbox.models import OutboxMessage
from outbox.selectors import outbox_latest_payloads
from outbox.services import sink_topic
from sinks.base import DeliveryReport, SinkUnavailable
from sinks.selectors import ApplicationSnapshot, application_snapshots

BATCH_WRITE_LIMIT = 25  # DynamoDB's maximum per BatchWriteItem
BATCH_GET_LIMIT = 100  # and per BatchGetItem
UNPROCESSED_RETRIES = 6
# Errors that say "not now" rather than "never": the batch backs off and comes back.
TRANSIENT_CODES = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "ResourceNotFoundException",
    "ResourceInUseException",
    "LimitExceededException",
    "TransactionConflictException",
}
REVIEW_FIELDS = {
    "outcome": "review_outcome",
    "reason_code": "review_reason_code",
    "auditor": "review_auditor",
    "reviewed_at": "reviewed_at",
    "blind": "review_blind",
    "review_id": "review_id",
}

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


@lru_cache(maxsize=8)
def _client(endpoint: str, region: str, timeout: float) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint or None,
        region_name=region,
        config=aws_config(max_attempts=2, connect_timeout=min(timeout, 3.0), read_timeout=timeout),
    )


def dynamodb_client() -> Any:
    """One client per process and endpoint (boto3 clients are thread-safe)."""
    return _client(
        settings.DYNAMODB_ENDPOINT_URL, settings.DYNAMODB_REGION, settings.DYNAMODB_TIMEOUT_SECONDS
    )


def _transient(exc: Exception) -> bool:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code") in TRANSIENT_CODES
    return isinstance(exc, BotoCoreError)  # connection refused, time-outs, DNS


def _describe(exc: Exception) -> str:
    return f"DynamoDB {settings.DYNAMODB_TABLE}: {type(exc).__name__}: {exc}"[:2000]


# --- values ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Python values DynamoDB accepts: floats as Decimal, NaN as null, datetimes as ISO text."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else Decimal(repr(value))
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def build_item(snapshot: ApplicationSnapshot, *, version: int, review: dict | None) -> dict[str, Any]:
    """The item for an application's current state (plain Python values)."""
    decision = snapshot.decision
    assert decision is not None
    tier = snapshot.final_tier or decision.tier
    item: dict[str, Any] = {
        "application_id": snapshot.application_id,
        "applicant_id": snapshot.applicant_id,
        "channel": snapshot.channel,
        "status": snapshot.status,
        "tier": tier,
        "model_tier": decision.tier,
        "status_tier": f"{snapshot.status}#{tier}",
        "prob_low": decision.prob_low,
        "prob_medium": decision.prob_medium,
        "prob_high": decision.prob_high,
        "reasons": [
            {k: r.get(k) for k in ("feature", "statement", "direction", "contribution", "value")}
            for r in decision.reasons
        ],
        "model_version": decision.model_version.version,
        "decision_id": decision.pk,
        "routed_to_review": decision.routed_to_review,
        "latency_ms": decision.latency_ms,
        "created_at": snapshot.created_at,
        "decided_at": decision.created_at,
        "updated_at": max(snapshot.updated_at, decision.created_at),
        "version": version,
    }
    if snapshot.final_tier:
        item["final_tier"] = snapshot.final_tier
        item["labelled_at"] = snapshot.labelled_at
    if review:
        item.update({attr: review[field] for field, attr in REVIEW_FIELDS.items() if field in review})
    return {k: _plain(v) for k, v in item.items() if v is not None}


def _wire(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in item.items()}


def _unwire(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


# --- the sink --------------------------------------------------------------------------------


class DynamoDBSink:
    name = "dynamodb"

    def __init__(self, client: Any = None, table: str | None = None):
        self.client = client or dynamodb_client()
        self.table = table or settings.DYNAMODB_TABLE

    def deliver(self, messages: list[OutboxMessage]) -> DeliveryReport:
        report = DeliveryReport()
        by_key: dict[str, list[OutboxMessage]] = {}
        for message in messages:
            by_key.setdefault(message.key, []).append(message)
        snapshots = application_snapshots(by_key)
        reviews = self._latest_reviews(by_key)
        items: dict[str, dict[str, Any]] = {}
        for key, group in by_key.items():
            snapshot = snapshots.get(key)
            if snapshot is None or snapshot.decision is None:
                why = "no longer exists" if snapshot is None else "has no current decision"
                report.rejected.update({m.id: f"application {key} {why}" for m in group})
                continue
            items[key] = build_item(snapshot, version=max(m.id for m in group), review=reviews.get(key))
        try:
            stored = self.stored_versions(list(items))
            new = [key for key in items if key not in stored]
            newer = [key for key in items if key in stored and stored[key] < items[key]["version"]]
            unwritten = self._batch_write([items[key] for key in new])
            for key in newer:
                error = self._update(items[key])
                if error:
                    unwritten[key] = error
        except (ClientError, BotoCoreError) as exc:
            if _transient(exc):
                raise SinkUnavailable(_describe(exc)) from exc
            raise
        for key, group in by_key.items():
            if key not in items:
                continue
            error = unwritten.get(key)
            if error is None:
                report.delivered += [m.id for m in group]
            elif error.permanent:
                report.rejected.update({m.id: error.message for m in group})
            else:
                report.retry.update({m.id: error.message for m in group})
        return report

    def _latest_reviews(self, by_key: dict[str, list[OutboxMessage]]) -> dict[str, dict]:
        reviews = {}
        for key, group in by_key.items():
            for message in reversed(group):
                if message.payload.get("event") == "review":
                    reviews[key] = message.payload
                    break
        missing = [key for key in by_key if key not in reviews]
        if missing:
            reviews.update(outbox_latest_payloads(topic=sink_topic(self.name), keys=missing, event="review"))
        return reviews

    def stored_versions(self, keys: list[str]) -> dict[str, int]:
        """The version of each item that exists, by BatchGetItem (unprocessed keys retried)."""
        versions: dict[str, int] = {}
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request = {
                self.table: {
                    "Keys": [{"application_id": {"S": k}} for k in keys[start : start + BATCH_GET_LIMIT]],
                    "ProjectionExpression": "application_id, #v",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ConsistentRead": True,
                }
            }
            for attempt in range(UNPROCESSED_RETRIES + 1):
                response = self.client.batch_get_item(RequestItems=request)
                for row in response.get("Responses", {}).get(self.table, []):
                    versions[row["application_id"]["S"]] = int(row.get("version", {"N": "0"})["N"])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                _pause(attempt)
            else:
                raise SinkUnavailable(f"DynamoDB {self.table}: keys stayed unprocessed (throttled)")
        return versions

    def _batch_write(self, items: list[dict[str, Any]]) -> dict[str, ItemError]:
        """Write new items 25 at a time; returns {key: error} for items not written."""
        failed: dict[str, ItemError] = {}
        for start in range(0, len(items), BATCH_WRITE_LIMIT):
            chunk = items[start : start + BATCH_WRITE_LIMIT]
            request = {self.table: [{"PutRequest": {"Item": _wire(item)}} for item in chunk]}
            try:
                for attempt in range(UNPROCESSED_RETRIES + 1):
                    response = self.client.batch_write_item(RequestItems=request)
                    request = response.get("UnprocessedItems") or {}
                    if not request:
                        break
                    _pause(attempt)
                else:
                    for entry in request.get(self.table, []):
                        key = entry["PutRequest"]["Item"]["application_id"]["S"]
                        failed[key] = ItemError(
                            "DynamoDB kept the item unprocessed (throttled)", permanent=False
                        )
            except ClientError as exc:
                if _transient(exc):
                    raise
                # A bad item fails its whole batch: write them one by one to find it.
                for item in chunk:
                    if error := self._put_new(item):
                        failed[item["application_id"]] = error
        return failed

    def _put_new(self, item: dict[str, Any]) -> ItemError | None:
        try:
            self.client.put_item(
                TableName=self.table,
                Item=_wire(item),
                ConditionExpression="attribute_not_exists(application_id) OR #v < :v",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":v": {"N": str(item["version"])}},
            )
        except ClientError as exc:
            return self._client_error(exc)
        return None

    def _update(self, item: dict[str, Any]) -> ItemError | None:
        """Change an existing item only if it holds an older version. None when done (or
        when a newer version is already there); otherwise the error."""
        attributes = [k for k in item if k != "application_id"]
        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        values = {f":a{i}": _serializer.serialize(item[name]) for i, name in enumerate(attributes)}
        version_name = next(n for n, a in names.items() if a == "version")
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"application_id": {"S": item["application_id"]}},
                UpdateExpression="SET " + ", ".join(f"{n} = :{n[1:]}" for n in names),
                ConditionExpression=f"attribute_not_exists(application_id) OR {version_name} < :v",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={**values, ":v": {"N": str(item["version"])}},
            )
        except ClientError as exc:
            return self._client_error(exc)
        return None

    @staticmethod
    def _client_error(exc: ClientError) -> ItemError | None:
        code = exc.response.get("Error", {}).get("Code", "")
        if code == "ConditionalCheckFailedException":
            return None  # a newer version is stored: nothing to do
        if code in TRANSIENT_CODES:
            raise exc
        return ItemError(_describe(exc), permanent=True)

    # --- reads for readiness and reconcile ----------------------------------------------------

    def check(self) -> dict[str, Any]:
        table = self.client.describe_table(TableName=self.table)["Table"]
        return {
            "ok": table["TableStatus"] == "ACTIVE",
            "table": self.table,
            "status": table["TableStatus"],
            "items": table.get("ItemCount", 0),
        }

    def scan_state(self) -> Iterator[dict[str, Any]]:
        """Every item's key, status, tier, decision id and version (a paginated Scan)."""
        paginator = self.client.get_paginator("scan")
        pages = paginator.paginate(
            TableName=self.table,
            ProjectionExpression="application_id, #s, tier, decision_id, #v",
            ExpressionAttributeNames={"#s": "status", "#v": "version"},
            ConsistentRead=True,
        )
        for page in pages:
            for row in page.get("Items", []):
                yield _unwire(row)

    def get_items(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        keys = list(keys)
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request = {
                self.table: {
                    "Keys": [{"application_id": {"S": k}} for k in keys[start : start + BATCH_GET_LIMIT]],
                    "ConsistentRead": True,
                }
            }
            while request:
                response = self.client.batch_get_item(RequestItems=request)
                for row in response.get("Responses", {}).get(self.table, []):
                    item = _unwire(row)
                    found[item["application_id"]] = item
                request = response.get("UnprocessedKeys") or {}
        return found


def _pause(attempt: int) -> None:
    """Before asking again for unprocessed items (throttling): the one backoff curve."""
    time.sleep(backoff_seconds(attempt + 1, base=0.05, cap=2.0))


@dataclass(frozen=True)
class ItemError:
    """Why one item was not written: `permanent` (bad data, a dead letter) or not (back off)."""

    message: str
    permanent: bool


# --- erasure (privacy.services.erasure) ------------------------------------------------------

# The one attribute of an item that points at a person: the person record's id. The erasure
# moves the person's applications to a tombstone record and owes every decision again, so
# the next delivery overwrites it; this reads back which items still name someone else.


def dynamodb_stale_applicant_links(application_ids: Iterable[str], applicant_id: str) -> list[str]:
    """Application ids whose item names another applicant than `applicant_id` (an erasure's
    tombstone). An application without an item is not stale: there is nothing to rewrite."""
    items = DynamoDBSink().get_items(application_ids)
    return sorted(key for key, item in items.items() if item.get("applicant_id") != applicant_id)
