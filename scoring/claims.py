"""The scorer's claims: which waiting applications a batch takes (a conditional move under
a short lease, SKIP LOCKED so several workers claim at once), the lease's renewal, and the
claimed rows as scoring reads them. scoring.services scores and stores what is claimed."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.db import connection
from django.db.models import BooleanField, Case, F, Value, When
from django.db.models.expressions import RawSQL
from django.utils import timezone

from applicants.models import Application, Status
from applicants.services import application_transition
from outbox.models import Topic
from outbox.selectors import outbox_backing_off_sql, outbox_keys_backing_off


def scoring_claim(claim: uuid.UUID, *, first_id: Any, limit: int) -> list[Any]:
    """Take applications for this batch. SKIP LOCKED lets several workers claim at once
    without waiting on each other; the conditional move makes a double claim impossible.
    Applications whose request backs off after a transient failure wait for it.

    On PostgreSQL the pick, the move and its trail entries are one statement (one round
    trip), the backing-off requests a NOT EXISTS in it rather than a list read first."""
    waiting = Application.objects.select_for_update(skip_locked=True).filter(status=Status.RECEIVED)
    if connection.vendor == "postgresql":
        waiting = waiting.filter(_not_backing_off())
    else:
        waiting = waiting.exclude(pk__in=[uuid.UUID(k) for k in outbox_keys_backing_off(topic=Topic.SCORING)])
    order: list[Any] = ["created_at"]
    if first_id is not None:
        order.insert(0, Case(When(pk=first_id, then=Value(0)), default=Value(1)))
    return application_transition(
        application_ids=waiting.order_by(*order).values("pk")[:limit],
        from_status=Status.RECEIVED,
        to_status=Status.SCORING,
        scoring_claim=claim,
        scoring_started_at=timezone.now(),
        scoring_attempts=F("scoring_attempts") + 1,
    )


def _not_backing_off() -> RawSQL:
    """The claim's condition that the application's scoring request is not backing off
    (outbox keys are the ids as text, str(uuid), which ::text gives)."""
    quote = connection.ops.quote_name
    key = f"{quote(Application._meta.db_table)}.{quote(cast(str, Application._meta.pk.column))}::text"
    sql, params = outbox_backing_off_sql(topic=Topic.SCORING, key_sql=key)
    return RawSQL(f"NOT {sql}", params, output_field=BooleanField())  # noqa: S611 (names ours, values parameters)


def scoring_lease_renew(claim: uuid.UUID) -> int:
    """The heartbeat: the applications this claim still holds are its own for another lease."""
    return Application.objects.filter(scoring_claim=claim, status=Status.SCORING).update(
        scoring_started_at=timezone.now()
    )


# pii: the date of birth, for the decision's protected groups (an age band).
_CLAIMED_FIELDS = ("id", "answers", "pii", "provenance", "created_at", "scoring_attempts")
_CLAIMED_SQL = (  # a constant: no query for Django to build and compile every batch
    f"SELECT {', '.join(_CLAIMED_FIELDS)} FROM {Application._meta.db_table} "  # noqa: S608
    "WHERE id = ANY(%s) AND scoring_claim = %s AND status = %s ORDER BY created_at"
)


def scoring_claimed(claim: uuid.UUID, ids: list[Any]) -> list[Application]:
    """The applications this claim holds, with what scoring reads of them."""
    if connection.vendor == "postgresql":
        return list(Application.objects.raw(_CLAIMED_SQL, [ids, claim, Status.SCORING.value]))
    return list(
        Application.objects.filter(pk__in=ids, scoring_claim=claim, status=Status.SCORING)
        .only(*_CLAIMED_FIELDS)
        .order_by("created_at")
    )
