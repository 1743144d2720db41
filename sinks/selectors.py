"""What the sinks read from the platform's database: an application's current state and
decision (for the operational item), and decisions with their dimensions (for the warehouse).

Sinks build what they send from the database at delivery time rather than from the
message, so a late or repeated message still sends the newest state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from applicants.models import Application
from scoring.models import Decision, ModelVersion


@dataclass(frozen=True)
class ApplicationSnapshot:
    application_id: str
    applicant_id: str
    channel: str
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime
    final_tier: str
    labelled_at: dt.datetime | None
    decision: Decision | None  # the current one, with model_version loaded


def application_snapshots(application_ids: Iterable[str]) -> dict[str, ApplicationSnapshot]:
    ids = list(application_ids)
    decisions = {
        str(d.application_id): d
        for d in Decision.objects.filter(application_id__in=ids, is_current=True)
        .select_related("model_version")
        .only(
            "id",
            "application_id",
            "tier",
            "prob_low",
            "prob_medium",
            "prob_high",
            "reasons",
            "routed_to_review",
            "routing_reason",
            "latency_ms",
            "created_at",
            "model_version__version",
        )
    }
    rows = Application.objects.filter(pk__in=ids).values_list(
        "id",
        "applicant_id",
        "channel",
        "status",
        "created_at",
        "updated_at",
        "final_tier",
        "labelled_at",
    )
    return {
        str(pk): ApplicationSnapshot(
            application_id=str(pk),
            applicant_id=str(applicant),
            channel=channel,
            status=status,
            created_at=created,
            updated_at=updated,
            final_tier=final_tier,
            labelled_at=labelled,
            decision=decisions.get(str(pk)),
        )
        for pk, applicant, channel, status, created, updated, final_tier, labelled in rows
    }


def decisions_for_warehouse(decision_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Fact rows of these decisions, keyed by decision id (missing ids: deleted since)."""
    rows = Decision.objects.filter(pk__in=list(decision_ids)).values(
        "id",
        "application_id",
        "application__applicant_id",
        "application__channel",
        "application__created_at",
        "model_version__version",
        "tier",
        "prob_low",
        "prob_medium",
        "prob_high",
        "routed_to_review",
        "routing_reason",
        "latency_ms",
        "created_at",
        "application__provenance",
    )
    return {
        row["id"]: {
            "decision_id": row["id"],
            "application_id": str(row["application_id"]),
            "applicant_id": str(row["application__applicant_id"]),
            "channel": row["application__channel"],
            "model_version": row["model_version__version"],
            "tier": row["tier"],
            "prob_low": row["prob_low"],
            "prob_medium": row["prob_medium"],
            "prob_high": row["prob_high"],
            "routed_to_review": row["routed_to_review"],
            "routing_reason": row["routing_reason"],
            "submitted_at": row["application__created_at"],
            "decided_at": row["created_at"],
            "latency_ms": row["latency_ms"],
            "provenance": row["application__provenance"] or {},  # -> fact_answer_provenance
        }
        for row in rows
    }


def model_versions_for_warehouse(versions: Iterable[int]) -> list[dict[str, Any]]:
    return [
        {
            "model_version": mv.version,
            "schema_name": mv.schema_name,
            "status": mv.status,
            "training_rows": mv.training_rows,
            "training_source": mv.training_source[:200],
            "code_version": mv.code_version[:64],
            "trained_at": mv.created_at,
            "activated_at": mv.activated_at,
        }
        for mv in ModelVersion.objects.filter(version__in=set(versions)).only(
            "version",
            "schema_name",
            "status",
            "training_rows",
            "training_source",
            "code_version",
            "created_at",
            "activated_at",
        )
    ]


def current_state_for_reconcile(
    *, since: dt.datetime | None = None, chunk: int = 5000
) -> Iterator[tuple[str, str, str, int]]:
    """(application id, status, tier, decision id) of every application with a current
    decision; the tier is the auditor's final tier when there is one."""
    queryset = Decision.objects.filter(is_current=True)
    if since is not None:
        queryset = queryset.filter(application__updated_at__gte=since)
    rows = queryset.values_list(
        "application_id", "application__status", "application__final_tier", "tier", "id"
    ).order_by("id")
    for app, status, final_tier, tier, decision in rows.iterator(chunk_size=chunk):
        yield str(app), status, final_tier or tier, decision


def decisions_for_reconcile(*, since: dt.datetime | None = None) -> Iterator[tuple[int, str, str]]:
    """(decision id, application id, tier) of every decision."""
    queryset = Decision.objects.all()
    if since is not None:
        queryset = queryset.filter(created_at__gte=since)
    rows = queryset.values_list("id", "application_id", "tier").order_by("id")
    for decision, app, tier in rows.iterator(chunk_size=5000):
        yield decision, str(app), tier
