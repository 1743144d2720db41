"""Writes to the outbox. Callers add rows inside their own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from outbox.models import OutboxMessage, OutboxStatus


def outbox_add(*, topic: str, key: str, payload: dict | None = None) -> OutboxMessage:
    return OutboxMessage.objects.create(topic=topic, key=key, payload=payload or {})


def sink_topic(sink: str) -> str:
    return f"sink:{sink}"


def outbox_fan_out(*, event: str, items: Iterable[tuple[str, dict]]) -> int:
    """One row per configured sink (settings.SINKS) per item: `(key, payload)`, where key is
    the application id. Call in the transaction that creates what the sinks must receive."""
    items = list(items)
    rows = [
        OutboxMessage(topic=sink_topic(sink), key=key, payload={"event": event, **payload})
        for sink in settings.SINKS
        for key, payload in items
    ]
    OutboxMessage.objects.bulk_create(rows)
    return len(rows)


def outbox_mark_delivered(*, topic: str, keys: Iterable[str]) -> int:
    return OutboxMessage.objects.filter(
        topic=topic, key__in=list(keys), status=OutboxStatus.PENDING
    ).update(status=OutboxStatus.DELIVERED, delivered_at=timezone.now())


def outbox_mark_dead(*, topic: str, keys: Iterable[str], error: str) -> int:
    return OutboxMessage.objects.filter(
        topic=topic, key__in=list(keys), status=OutboxStatus.PENDING
    ).update(status=OutboxStatus.DEAD, last_error=error[:4000])


def outbox_pending_older_than(*, topic: str, age: dt.timedelta, limit: int) -> list[OutboxMessage]:
    """Pending rows not attempted (or created) within `age`: work that needs another push."""
    cutoff = timezone.now() - age
    return list(
        OutboxMessage.objects.filter(topic=topic, status=OutboxStatus.PENDING, created_at__lt=cutoff)
        .exclude(next_attempt_at__gt=timezone.now())
        .order_by("created_at")[:limit]
    )


def outbox_record_attempt(*, ids: Iterable[int], retry_in: dt.timedelta, error: str = "") -> None:
    OutboxMessage.objects.filter(id__in=list(ids)).update(
        attempts=F("attempts") + 1,
        next_attempt_at=timezone.now() + retry_in,
        last_error=error[:4000],
    )
