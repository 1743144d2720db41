"""Reads of the outbox: backlogs for /readyz, the admin and the re-drive."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from outbox.models import OutboxMessage, OutboxStatus


def outbox_backlog(*, topic: str) -> dict[str, Any]:
    """Pending and dead messages of one topic, and how long the oldest pending one waits."""
    now = timezone.now()
    stats = (
        OutboxMessage.objects.filter(topic=topic)
        .exclude(status=OutboxStatus.DELIVERED)
        .aggregate(
            pending=Count("id", filter=Q(status=OutboxStatus.PENDING)),
            due=Count(
                "id",
                filter=Q(status=OutboxStatus.PENDING)
                & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)),
            ),
            dead=Count("id", filter=Q(status=OutboxStatus.DEAD)),
            oldest=Min("created_at", filter=Q(status=OutboxStatus.PENDING)),
        )
    )
    oldest = stats.pop("oldest")
    stats["oldest_pending_seconds"] = round((now - oldest).total_seconds(), 1) if oldest else 0.0
    return stats


def outbox_has_due(*, topic: str) -> bool:
    now = timezone.now()
    return OutboxMessage.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        topic=topic,
        status=OutboxStatus.PENDING,
    ).exists()


def outbox_backing_off(*, topic: str) -> QuerySet[OutboxMessage]:
    """Pending messages waiting for their backoff (a transient failure): a query, for a
    consumer that leaves their keys alone in the statement that claims its work."""
    return OutboxMessage.objects.filter(
        topic=topic, status=OutboxStatus.PENDING, next_attempt_at__gt=timezone.now()
    )


_BACKING_OFF_SQL = (
    "EXISTS (SELECT 1 FROM {table} WHERE topic = %s AND key = {key} AND status = %s AND next_attempt_at > %s)"
)


def outbox_backing_off_sql(*, topic: str, key_sql: str) -> tuple[str, list[Any]]:
    """`outbox_backing_off` as an SQL condition on one key (`key_sql`, an SQL expression of
    the caller's query), for a consumer's claim: the same text every call, where Django
    would build and compile the subquery again each time (0.4 ms of a scoring claim)."""
    table = connection.ops.quote_name(OutboxMessage._meta.db_table)
    # The model's table and the caller's expression; the values go as parameters.
    sql = _BACKING_OFF_SQL.format(table=table, key=key_sql)
    return sql, [topic, OutboxStatus.PENDING.value, timezone.now()]


def outbox_keys_backing_off(*, topic: str) -> set[str]:
    """Keys whose pending message waits for its backoff (a transient failure)."""
    return set(outbox_backing_off(topic=topic).values_list("key", flat=True))


def outbox_latest_payloads(*, topic: str, keys: list[str], event: str) -> dict[str, dict[str, Any]]:
    """The newest payload of `event` per key (e.g. each application's latest review)."""
    latest: dict[str, dict[str, Any]] = {}
    rows = (
        OutboxMessage.objects.filter(topic=topic, key__in=keys, payload__event=event)
        .order_by("key", "-id")
        .values_list("key", "payload")
    )
    for key, payload in rows:
        latest.setdefault(key, payload)
    return latest


def outbox_keys(*, topic: str, status: str) -> set[str]:
    """Keys that have at least one message of `topic` in `status`."""
    return set(
        OutboxMessage.objects.filter(topic=topic, status=status).values_list("key", flat=True).distinct()
    )


def outbox_ids_for_keys(*, topic: str, keys: list[str], status: str) -> list[int]:
    return list(
        OutboxMessage.objects.filter(topic=topic, key__in=keys, status=status).values_list("id", flat=True)
    )


def outbox_events(*, topic: str, event: str) -> list[tuple[str, dict[str, Any]]]:
    """(key, payload) of every message of one event kind still in the outbox, oldest first."""
    return list(
        OutboxMessage.objects.filter(topic=topic, payload__event=event)
        .order_by("id")
        .values_list("key", "payload")
    )
