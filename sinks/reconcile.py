"""Comparing the platform's database with what the sinks hold, and repairing it.

The database is the truth. For DynamoDB every application with a decision must have one
item with its status, tier and current decision; for the warehouse every decision must
have one fact_decision row (same tier) and every review event still in the outbox one
fact_review row. Differences whose messages are still pending are "in flight", not
differences: the drain will deliver them.

Repairs go through the outbox (re-queued dead letters, or new messages) and are drained
at once, so a fix uses exactly the code path of normal delivery, versions included.
Extra records (in a sink, unknown here) are reported, never deleted: they may belong to
another environment writing the same table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from outbox.models import OutboxStatus
from outbox.selectors import outbox_events, outbox_ids_for_keys, outbox_keys
from outbox.services import outbox_requeue, outbox_resend, sink_topic
from sinks.selectors import current_state_for_reconcile, decisions_for_reconcile
from sinks.services import sink_drain

Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def _no_progress(items: Iterable[Any], label: str) -> Iterable[Any]:
    return items


@dataclass(frozen=True)
class Difference:
    sink: str
    kind: str  # missing | stale | extra
    key: str  # application id (DynamoDB, warehouse decisions) or review id
    detail: str
    # What the fix re-sends: ("decision", decision_id), ("review", payload) or ("state", None)
    resend: tuple[str, Any] = ("state", None)


@dataclass
class SinkComparison:
    sink: str
    expected: int = 0
    found: int = 0
    in_flight: int = 0
    differences: list[Difference] = field(default_factory=list)


@dataclass
class ReconcileReport:
    comparisons: list[SinkComparison]
    fixed: int = 0
    after_fix: list[SinkComparison] | None = None

    @property
    def differences(self) -> list[Difference]:
        final = self.after_fix if self.after_fix is not None else self.comparisons
        return [d for c in final for d in c.differences]


def compare_dynamodb(
    *, since: dt.datetime | None = None, progress: Progress = _no_progress, sink: Any = None
) -> SinkComparison:
    from sinks.dynamodb import DynamoDBSink

    sink = sink or DynamoDBSink()
    topic = sink_topic("dynamodb")
    result = SinkComparison("dynamodb")
    expected = {
        app: (status, tier, decision)
        for app, status, tier, decision in progress(current_state_for_reconcile(since=since), "database")
    }
    items = {item["application_id"]: item for item in progress(sink.scan_state(), "DynamoDB")}
    result.expected, result.found = len(expected), len(items)
    pending = outbox_keys(topic=topic, status=OutboxStatus.PENDING)
    for app, (status, tier, decision) in expected.items():
        item = items.get(app)
        if item is None:
            problem = ("missing", "no item")
        elif (item.get("status"), item.get("tier"), int(item.get("decision_id", 0))) != (
            status,
            tier,
            decision,
        ):
            problem = (
                "stale",
                f"item has {item.get('status')}/{item.get('tier')}/decision "
                f"{item.get('decision_id')}, database {status}/{tier}/decision "
                f"{decision}",
            )
        else:
            continue
        if app in pending:
            result.in_flight += 1
        else:
            result.differences.append(Difference("dynamodb", problem[0], app, problem[1]))
    if since is None:
        for app in items.keys() - expected.keys():
            result.differences.append(
                Difference("dynamodb", "extra", app, "item for an application without a decision here")
            )
    return result


def compare_warehouse(
    *, since: dt.datetime | None = None, progress: Progress = _no_progress
) -> SinkComparison:
    from sinks.warehouse.connection import warehouse_connect

    topic = sink_topic("warehouse")
    result = SinkComparison("warehouse")
    expected = {d: (app, tier) for d, app, tier in progress(decisions_for_reconcile(since=since), "database")}
    reviews = {}
    for key, payload in outbox_events(topic=topic, event="review"):
        if isinstance(payload.get("review_id"), int):
            reviews[payload["review_id"]] = (key, payload)
    with warehouse_connect() as conn:
        with conn.cursor(name="reconcile_decisions") as cursor:
            cursor.itersize = 5000
            cursor.execute("SELECT decision_id, application_id, tier FROM fact_decision")
            found = {d: (app, tier) for d, app, tier in progress(cursor, "warehouse")}
        loaded_reviews = {r for (r,) in conn.execute("SELECT review_id FROM fact_review")}
    result.expected = len(expected) + len(reviews)
    result.found = len(found) + len(loaded_reviews)
    pending = outbox_keys(topic=topic, status=OutboxStatus.PENDING)
    for decision, (app, tier) in expected.items():
        row = found.get(decision)
        if row is None:
            problem = ("missing", f"no fact_decision row for decision {decision}")
        elif row[1] != tier:
            problem = ("stale", f"decision {decision}: warehouse tier {row[1]}, database {tier}")
        else:
            continue
        if app in pending:
            result.in_flight += 1
        else:
            result.differences.append(
                Difference("warehouse", problem[0], app, problem[1], ("decision", decision))
            )
    for review_id, (app, payload) in reviews.items():
        if review_id in loaded_reviews:
            continue
        if app in pending:
            result.in_flight += 1
        else:
            result.differences.append(
                Difference(
                    "warehouse",
                    "missing",
                    app,
                    f"no fact_review row for review {review_id}",
                    ("review", payload),
                )
            )
    if since is None:
        for decision in found.keys() - expected.keys():
            result.differences.append(
                Difference(
                    "warehouse",
                    "extra",
                    found[decision][0],
                    f"fact_decision row for decision {decision}, unknown here",
                )
            )
    return result


COMPARE = {"dynamodb": compare_dynamodb, "warehouse": compare_warehouse}


def reconcile(
    *,
    sinks: list[str] | None = None,
    fix: bool = False,
    since: dt.datetime | None = None,
    progress: Progress = _no_progress,
) -> ReconcileReport:
    sinks = sinks or list(settings.SINKS)
    report = ReconcileReport([COMPARE[name](since=since, progress=progress) for name in sinks])
    if not fix:
        return report
    for comparison in report.comparisons:
        report.fixed += _repair(comparison)
        sink_drain(sink_name=comparison.sink, time_budget=max(settings.OUTBOX_DRAIN_SECONDS, 60))
    report.after_fix = [COMPARE[name](since=since, progress=progress) for name in sinks]
    return report


def _repair(comparison: SinkComparison) -> int:
    """Re-queue the dead letters behind each difference; where there are none, queue a new
    message. Extra records are left alone."""
    topic = sink_topic(comparison.sink)
    to_fix = [d for d in comparison.differences if d.kind != "extra"]
    if not to_fix:
        return 0
    with transaction.atomic():
        dead = outbox_ids_for_keys(
            topic=topic, keys=sorted({d.key for d in to_fix}), status=OutboxStatus.DEAD
        )
        outbox_requeue(ids=dead)
        outbox_resend(topic=topic, items=[(d.key, _payload(d)) for d in to_fix])
    return len(to_fix)


def _payload(difference: Difference) -> dict:
    kind, value = difference.resend
    if kind == "decision":
        return {"event": "decision", "decision_id": value}
    if kind == "review":
        return value
    return {"event": "reconcile"}  # DynamoDB items are rebuilt from the current state
