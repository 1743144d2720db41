"""The warehouse sink: decision messages become fact_decision rows (read from the
database by id), review messages become fact_review rows (from the message itself), with
their dimension rows, merged in one warehouse transaction per batch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import psycopg
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from applicants.models import Channel
from applicants.provenance import current_captures
from outbox.models import OutboxMessage
from scoring.models import TIERS
from sinks.base import DeliveryReport, SinkUnavailable
from sinks.selectors import decisions_for_warehouse, model_versions_for_warehouse
from sinks.warehouse.connection import warehouse_connect
from sinks.warehouse.loader import WarehouseLoader
from sinks.warehouse.schema import (
    DIM_CHANNEL,
    DIM_MODEL_VERSION,
    FACT_ANSWER_PROVENANCE,
    FACT_DECISION,
    FACT_REVIEW,
)

OUTCOMES = ("confirmed", "overridden")


class InvalidReview(ValueError):
    pass


def review_row(payload: dict[str, Any], application_id: str, loaded_at: dt.datetime) -> dict[str, Any]:
    """A fact_review row from a review event, or InvalidReview naming what is wrong."""

    def need(name: str) -> Any:
        if payload.get(name) in (None, ""):
            raise InvalidReview(f"review event for {application_id} lacks {name!r}")
        return payload[name]

    review_id = need("review_id")
    if not isinstance(review_id, int) or isinstance(review_id, bool):
        raise InvalidReview(f"review_id must be an integer, got {review_id!r}")
    outcome = need("outcome")
    if outcome not in OUTCOMES:
        raise InvalidReview(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    final_tier = need("final_tier")
    if final_tier not in TIERS:
        raise InvalidReview(f"final_tier must be one of {', '.join(TIERS)}, got {final_tier!r}")
    reviewed_at = parse_datetime(str(need("reviewed_at")))
    if reviewed_at is None:
        raise InvalidReview(f"reviewed_at is not an ISO-8601 time: {payload['reviewed_at']!r}")
    seconds_open = payload.get("seconds_open")
    if seconds_open is not None and not isinstance(seconds_open, int | float):
        raise InvalidReview(f"seconds_open must be a number, got {seconds_open!r}")
    return {
        "review_id": review_id,
        "application_id": application_id,
        "outcome": outcome,
        "final_tier": final_tier,
        "model_tier": payload.get("model_tier"),
        "reason_code": (payload.get("reason_code") or "")[:64] or None,
        "auditor": (payload.get("auditor") or "")[:150] or None,
        "reviewed_at": reviewed_at,
        "seconds_open": float(seconds_open) if seconds_open is not None else None,
        "blind": bool(payload["blind"]) if "blind" in payload else None,
        "application_status": payload.get("application_status"),
        "loaded_at": loaded_at,
    }


def answer_provenance_rows(decision_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """fact_answer_provenance rows of these decisions' applications (one per answer)."""
    rows: dict[str, dict[str, Any]] = {}
    for decision in decision_rows:
        application_id = decision["application_id"]
        for name, current, versions in current_captures(decision.get("provenance")):
            key = f"{application_id}:{name}"
            rows[key] = {
                "answer_key": key,
                "application_id": application_id,
                "field_name": name,
                "channel_code": str(current.get("channel") or decision["channel"])[:20],
                "method": str(current.get("method") or "")[:20],
                "captured_by": str(current.get("by") or "")[:120] or None,
                "captured_at": parse_datetime(str(current.get("at") or "")),
                "confidence": current.get("confidence"),
                "versions": versions,
                "loaded_at": decision["loaded_at"],
            }
    return list(rows.values())


class WarehouseSink:
    name = "warehouse"

    def deliver(self, messages: list[OutboxMessage]) -> DeliveryReport:
        report = DeliveryReport()
        now = timezone.now()
        decision_ids = {
            m.id: m.payload.get("decision_id") for m in messages if m.payload.get("event") == "decision"
        }
        decisions = decisions_for_warehouse(i for i in decision_ids.values() if isinstance(i, int))
        facts: dict[int, tuple[str, dict[str, Any]]] = {}  # message id -> (table, row)
        for message in messages:
            event = message.payload.get("event")
            if event == "decision":
                row = decisions.get(decision_ids[message.id])
                if row is None:
                    report.rejected[message.id] = (
                        f"decision {decision_ids[message.id]!r} of application {message.key} does not exist"
                    )
                    continue
                facts[message.id] = ("decision", {**row, "loaded_at": now})
            elif event == "review":
                try:
                    facts[message.id] = ("review", review_row(message.payload, message.key, now))
                except InvalidReview as exc:
                    report.rejected[message.id] = str(exc)
            else:
                report.rejected[message.id] = f"unknown event {event!r} for the warehouse"
        if not facts:
            return report
        try:
            self._load(list(facts.values()))
            report.delivered += list(facts)
        except psycopg.OperationalError as exc:
            raise SinkUnavailable(f"warehouse: {type(exc).__name__}: {exc}"[:2000]) from exc
        except psycopg.Error as exc:
            if len(facts) == 1:
                report.rejected.update({i: f"warehouse refused the row: {exc}"[:2000] for i in facts})
                return report
            # Something in the batch is refused: load one by one to set the rest free.
            for message_id, fact in facts.items():
                try:
                    self._load([fact])
                    report.delivered.append(message_id)
                except psycopg.OperationalError as exc2:
                    raise SinkUnavailable(f"warehouse: {exc2}"[:2000]) from exc2
                except psycopg.Error as exc2:
                    report.rejected[message_id] = f"warehouse refused the row: {exc2}"[:2000]
        return report

    def _load(self, facts: list[tuple[str, dict[str, Any]]]) -> None:
        decision_rows = [row for kind, row in facts if kind == "decision"]
        review_rows = [row for kind, row in facts if kind == "review"]
        labels = dict(Channel.choices)
        channels = [
            {"channel_code": c, "label": labels.get(c, c)}
            for c in sorted({row["channel"] for row in decision_rows})
        ]
        for row in decision_rows:
            row["channel_code"] = row["channel"]
        models = model_versions_for_warehouse(row["model_version"] for row in decision_rows)
        with warehouse_connect() as conn:
            loader = WarehouseLoader(
                conn,
                dialect=settings.WAREHOUSE_DIALECT,
                staging_url=settings.WAREHOUSE_STAGING_URL,
                iam_role=settings.WAREHOUSE_IAM_ROLE,
            )
            loader.merge(DIM_CHANNEL, channels)
            loader.merge(DIM_MODEL_VERSION, models)
            loader.merge(FACT_DECISION, decision_rows)
            loader.merge(FACT_REVIEW, review_rows)
            loader.merge(FACT_ANSWER_PROVENANCE, answer_provenance_rows(decision_rows))
            conn.commit()

    def check(self) -> dict[str, Any]:
        # max() of the keys, not COUNT(*): an index (PostgreSQL) or zone maps (Redshift)
        # answer it at once however big the tables grow.
        with warehouse_connect() as conn:
            decision = _one(conn, "SELECT max(decision_id) FROM fact_decision")
            review = _one(conn, "SELECT max(review_id) FROM fact_review")
        return {
            "ok": True,
            "dialect": settings.WAREHOUSE_DIALECT,
            "latest_decision_id": decision,
            "latest_review_id": review,
        }


def _one(conn: psycopg.Connection[Any], query: str) -> Any:
    """The one value of an aggregate query (which always answers one row)."""
    row = conn.execute(query).fetchone()
    assert row is not None
    return row[0]
