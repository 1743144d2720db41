"""The review queue's items: made for applications routed to review (in the transaction
that stores their decision, through the outbox's "decisions.stored" event), refreshed when a
rescore replaces a waiting item's decision, and swept by a slow periodic sync for any moved
to review another way. Claiming and working the items is auditing/services/queue.py."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.db.models.fields.json import KeyTransform

from applicants.models import Application, Status
from auditing.models import ItemState, ReviewItem
from auditing.services.queue_bulk import items_insert_from_json, waiting_items_update_from_json
from config.db_arrays import in_array
from scoring.models import Decision


def _draw(purpose: str, application_id: Any) -> float:
    """A stable draw in [0, 1) from the application id: the same item is always blind (or
    labelled twice) or not, and nobody can choose which ones are. Each purpose draws apart."""
    digest = hashlib.sha256(f"{purpose}:{application_id}".encode()).hexdigest()
    return int(digest[:8], 16) / 0x1_0000_0000


def impact_of(answers: dict[str, Any]) -> float | None:
    value = answers.get(settings.REVIEW_IMPACT_FIELD)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def priority_of(prob_high: float, impact: float | None) -> float:
    """Likelihood x impact; without an impact answer, the likelihood alone."""
    return prob_high * (impact if impact is not None else 1.0)


def _impact_answer() -> KeyTransform:
    """The one answer an item reads (REVIEW_IMPACT_FIELD), decoded from the JSON answers in
    SQL: a rescoring run makes thousands of items, and whole answers decode slowly."""
    return KeyTransform(settings.REVIEW_IMPACT_FIELD, "answers")


def _item_fields(decision: Mapping[str, Any], impact_answer: Any) -> dict[str, Any]:
    impact = impact_of({settings.REVIEW_IMPACT_FIELD: impact_answer})
    return {
        "decision_id": decision["id"],
        "priority": priority_of(decision["prob_high"], impact),
        "prob_high": decision["prob_high"],
        "impact": impact,
        "model_tier": decision["tier"],
        "model_version": decision["model_version__version"],
    }


def _current_decisions(application_ids: list[Any]) -> dict[Any, Mapping[str, Any]]:
    """The current decisions' columns an item copies, by application: only those, since a
    rescoring run adds thousands of items at once and a whole Decision (reasons, snapshot,
    model row) with its ModelVersion decodes several JSON documents per row."""
    return {
        d["application_id"]: d
        for d in Decision.objects.filter(in_array("application_id", application_ids), is_current=True).values(
            "id", "application_id", "prob_high", "tier", "created_at", "model_version__version"
        )
    }


def review_queue_add(*, application_ids: Any, replaced: bool = True) -> int:
    """The handler of the outbox's "decisions.stored" event, in the transaction that stored
    the decisions: items for those of `application_ids` routed to review, refreshed items
    for waiting ones whose decision was replaced (a rescore). `replaced=False` says the
    decisions are their applications' first (the live scorer's), so no item can hold an
    older one: nothing to refresh. Registered in AuditingConfig.ready(); scoring and
    rescoring never import the queue."""
    ids = list(application_ids)
    if not ids:
        return 0
    # No order: a rescoring chunk's thousands of ids, not the newest first of the whole table.
    applications = Application.objects.filter(in_array("pk", ids)).order_by()
    if not replaced:
        return _add_missing_first(applications, limit=len(ids))
    return _add_or_refresh(ids)


def _add_or_refresh(ids: list[Any]) -> int:
    """Items for `ids` routed to review without one, refreshed items for waiting ones whose
    decision was replaced: what `_add_missing` and `_refresh_rescored` do for the whole table,
    here read from the ids' own rows by their keys. A rescoring chunk's thousands of ids made
    those queries scan every waiting item and the whole `in_review` status index per chunk
    (a cost growing with the table), since the planner sees a chunk as too big to probe."""
    items = {
        row[0]: row[1:]
        for row in ReviewItem.objects.filter(in_array("application_id", ids)).values_list(
            "application_id", "pk", "state", "decision_id"
        )
    }
    without = [pk for pk in ids if pk not in items]
    # The status compared here, not in SQL: with it the planner reads the status index too.
    missing = [
        row
        for row in Application.objects.filter(in_array("pk", without))
        .order_by()
        .values(*_ITEM_COLUMNS, "status", impact_answer=_impact_answer())
        if row.pop("status") == Status.IN_REVIEW
    ]
    waiting = [pk for pk, (_, state, _) in items.items() if state == ItemState.WAITING]
    current = _current_decisions([row["id"] for row in missing] + waiting)
    added = _insert_items(missing, current) if missing else 0
    stale = {}
    for application_id, (pk, state, decision_id) in items.items():
        now = current.get(application_id)
        if state == ItemState.WAITING and now is not None and now["id"] != decision_id:
            stale[pk] = application_id
    return added + _refresh_items(stale, current)


def review_queue_sync(*, limit: int = 5000) -> int:
    """The safety net (a slow periodic sweep): add applications in review that have no item
    yet, refresh waiting items whose decision was replaced. Items normally come from
    `review_queue_add`, in the decision's own transaction; this finds the ones moved to
    review another way. Idempotent: a second run adds nothing."""
    return _add_missing(Application.objects.all(), limit=limit) + _refresh_rescored(limit=limit)


_ITEM_COLUMNS = ("id", "channel", "possible_duplicate", "submitted_by_id", "owner_id", "updated_at")
_DECISION_COLUMNS = ("id", "prob_high", "tier", "created_at", "model_version__version")


def _add_missing(applications: Any, *, limit: int) -> int:
    missing = list(
        applications.filter(status=Status.IN_REVIEW, review_item__isnull=True).values(
            *_ITEM_COLUMNS, impact_answer=_impact_answer()
        )[:limit]
    )
    if not missing:
        return 0
    return _insert_items(missing, _current_decisions([a["id"] for a in missing]))


def _add_missing_first(applications: Any, *, limit: int) -> int:
    """`_add_missing` for the live scorer's few applications: their current decision read
    in the same query (one round trip less a batch with applications routed to review)."""
    joined = {_as_joined(c): F(f"decisions__{c}") for c in _DECISION_COLUMNS}
    waiting = applications.filter(
        status=Status.IN_REVIEW, review_item__isnull=True, decisions__is_current=True
    )
    rows = list(waiting.values(*_ITEM_COLUMNS, impact_answer=_impact_answer(), **joined)[:limit])
    decisions = {row["id"]: {c: row.pop(_as_joined(c)) for c in _DECISION_COLUMNS} for row in rows}
    return _insert_items(rows, decisions) if rows else 0


def _as_joined(column: str) -> str:
    return "decision_" + column.replace("__", "_")


def _insert_items(missing: list[dict[str, Any]], decisions: Mapping[Any, Mapping[str, Any]]) -> int:
    items = [
        {
            "application_id": a["id"],
            "state": ItemState.WAITING,
            "channel": a["channel"],
            "possible_duplicate": a["possible_duplicate"],
            "submitted_by_id": a["submitted_by_id"],
            "applicant_user_id": a["owner_id"],
            "blind": _draw("blind", a["id"]) < settings.REVIEW_BLIND_SHARE,
            "independent": _draw("independent", a["id"]) < settings.REVIEW_INDEPENDENT_SHARE,
            "enqueued_at": decisions[a["id"]]["created_at"],
            **_item_fields(decisions[a["id"]], a["impact_answer"]),
        }
        for a in missing
        if a["id"] in decisions
    ]
    if connection.vendor == "postgresql":
        items_insert_from_json(items)
    else:
        ReviewItem.objects.bulk_create([ReviewItem(**item) for item in items], ignore_conflicts=True)
    return len(items)


def _refresh_rescored(*, limit: int) -> int:
    stale_items = ReviewItem.objects.filter(state=ItemState.WAITING, decision__is_current=False)
    stale = list(stale_items.values_list("pk", "application_id")[:limit])
    if not stale:
        return 0
    current = _current_decisions([app for _, app in stale])
    return _refresh_items(dict(stale), current)


def _refresh_items(stale: Mapping[Any, Any], current: Mapping[Any, Mapping[str, Any]]) -> int:
    """Waiting items (item id: application id) given their application's current decision."""
    stale = {pk: app for pk, app in stale.items() if app in current}
    if not stale:
        return 0
    impact_answers = dict(
        Application.objects.filter(in_array("pk", list(stale.values())))
        .order_by()
        .values_list("id", _impact_answer())
    )
    fields = {
        pk: _item_fields(current[application_id], impact_answers[application_id])
        for pk, application_id in stale.items()
    }
    if connection.vendor == "postgresql":
        return waiting_items_update_from_json(fields)
    return sum(
        ReviewItem.objects.filter(pk=pk, state=ItemState.WAITING).update(**values)
        for pk, values in fields.items()
    )
