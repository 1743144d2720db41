"""Writes to the outbox. Callers add rows inside their own transaction; drains claim, mark
delivered, back off and park dead letters here (the sinks app owns the delivery itself)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from config.db_rows import insert_per_row
from outbox.backoff import backoff
from outbox.models import OutboxMessage, OutboxStatus
from outbox.registry import outbox_wake, outbox_wake_on_commit

SINK_PREFIX = "sink:"

# From this many rows on, PostgreSQL takes them by COPY: a rescoring chunk owes thousands
# (one per changed decision and sink), which bulk_create builds as model instances first.
COPY_AT_LEAST = 100


def outbox_add(*, topic: str, key: str, payload: dict[str, Any] | None = None) -> OutboxMessage:
    return OutboxMessage.objects.create(topic=topic, key=key, payload=payload or {})


def outbox_insert_per_row(*, topic: str, rows: str, key_sql: str) -> tuple[str, list[Any]]:
    """PostgreSQL: an INSERT of one pending `topic` message (empty payload) per row of
    `rows` (an SQL relation, such as a CTE named by the caller), keyed by `key_sql` (an SQL
    expression over it), for a caller that writes what owes the work in the same statement
    (config.db_rows)."""
    return insert_per_row(OutboxMessage(topic=topic, key=""), computed="key", expression=key_sql, rows=rows)


def sink_topic(sink: str) -> str:
    return f"{SINK_PREFIX}{sink}"


def outbox_fan_out(*, event: str, items: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """One row per configured sink (settings.SINKS) per item: `(key, payload)`, where key is
    the application id. Call in the transaction that creates what the sinks must receive;
    once it commits, the consumer of each sink's topic (its drain, registered by the sinks
    app) is woken (the periodic re-drive covers a lost wake-up)."""
    items = list(items)
    sinks = list(settings.SINKS)
    rows = [(sink_topic(sink), key, {"event": event, **payload}) for sink in sinks for key, payload in items]
    if not rows:
        return 0
    if connection.vendor == "postgresql" and len(rows) >= COPY_AT_LEAST:
        _copy_messages(rows)
    else:
        OutboxMessage.objects.bulk_create(
            OutboxMessage(topic=topic, key=key, payload=payload) for topic, key, payload in rows
        )
    outbox_wake_on_commit(sink_topic(sink) for sink in sinks)
    return len(rows)


def _copy_messages(rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    """New pending messages, `(topic, key, payload)` each, in this order (ids follow it, as
    the drains' order does), with the model's defaults written out."""
    now = timezone.now()
    table = OutboxMessage._meta.db_table
    columns = "topic, key, payload, status, attempts, last_error, created_at"
    dumps = json.dumps
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for topic, key, payload in rows:
            copy.write_row((topic, key, dumps(payload), OutboxStatus.PENDING.value, 0, "", now))


def publish_drains(sinks: Iterable[str]) -> None:
    """Wake the drain of each sink now (through the registry: the outbox imports no sink)."""
    for sink in sinks:
        outbox_wake(sink_topic(sink))


def outbox_mark_delivered(*, topic: str, keys: Iterable[str]) -> int:
    return OutboxMessage.objects.filter(topic=topic, key__in=list(keys), status=OutboxStatus.PENDING).update(
        status=OutboxStatus.DELIVERED, delivered_at=timezone.now()
    )


_DELIVER_AND_FAN_OUT_SQL = """
    WITH delivered AS (
        UPDATE {table} SET status = %s, delivered_at = %s
        WHERE topic = %s AND key = ANY(%s::text[]) AND status = %s
    )
    INSERT INTO {table} (topic, key, payload, status, attempts, last_error, created_at)
    SELECT r->>0, r->>1, r->2, %s, 0, '', %s
    FROM jsonb_array_elements(%s::jsonb) WITH ORDINALITY AS rows(r, n) ORDER BY n
"""


def outbox_deliver_and_fan_out(
    *, topic: str, keys: Iterable[str], event: str, items: Iterable[tuple[str, dict[str, Any]]]
) -> None:
    """`outbox_mark_delivered(topic, keys)` and `outbox_fan_out(event, items)` together: on
    PostgreSQL one statement (the scorer's every batch does both), the rows in the same
    order as `outbox_fan_out` writes them and the drains woken the same way on commit."""
    items, keys, sinks = list(items), list(keys), list(settings.SINKS)
    rows = [[sink_topic(sink), key, {"event": event, **payload}] for sink in sinks for key, payload in items]
    if connection.vendor != "postgresql" or not rows or len(rows) >= COPY_AT_LEAST:
        outbox_mark_delivered(topic=topic, keys=keys)
        outbox_fan_out(event=event, items=items)
        return
    now = timezone.now()
    pending, delivered = OutboxStatus.PENDING.value, OutboxStatus.DELIVERED.value
    with connection.cursor() as cursor:
        cursor.execute(
            _DELIVER_AND_FAN_OUT_SQL.format(table=OutboxMessage._meta.db_table),
            [delivered, now, topic, keys, pending, pending, now, json.dumps(rows)],
        )
    outbox_wake_on_commit(sink_topic(sink) for sink in sinks)


def outbox_mark_dead(*, topic: str, keys: Iterable[str], error: str) -> int:
    """Park pending rows as dead letters, and alert the operators once this commits."""
    dead = OutboxMessage.objects.filter(topic=topic, key__in=list(keys), status=OutboxStatus.PENDING).update(
        status=OutboxStatus.DEAD, last_error=error[:4000], dead_at=timezone.now()
    )
    if dead:
        _alert_on_commit(topic, dead, error)
    return dead


def outbox_pending_older_than(*, topic: str, age: dt.timedelta, limit: int) -> list[OutboxMessage]:
    """Pending rows not attempted (or created) within `age`: work that needs another push."""
    cutoff = timezone.now() - age
    return list(
        OutboxMessage.objects.filter(topic=topic, status=OutboxStatus.PENDING, created_at__lt=cutoff)
        .exclude(next_attempt_at__gt=timezone.now())
        .order_by("created_at")[:limit]
    )


def outbox_back_off(*, topic: str, keys: Iterable[str], error: str, base: float, cap: float) -> int:
    """Pending messages about `keys` failed once more (transiently): count the attempt and
    hold them back for the backoff of their attempt count (outbox.backoff). The consumer
    leaves them alone until then; the re-drive wakes it once they are due."""
    keys = list(keys)
    if not keys:
        return 0
    now = timezone.now()
    by_attempts: dict[int, list[int]] = {}
    for pk, attempts in OutboxMessage.objects.filter(
        topic=topic, key__in=keys, status=OutboxStatus.PENDING
    ).values_list("id", "attempts"):
        by_attempts.setdefault(attempts + 1, []).append(pk)
    for attempts, ids in by_attempts.items():
        OutboxMessage.objects.filter(id__in=ids).update(
            attempts=attempts,
            last_error=error[:4000],
            next_attempt_at=now + backoff(attempts, base=base, cap=cap),
        )
    return sum(len(ids) for ids in by_attempts.values())


# --- draining --------------------------------------------------------------------------------


def outbox_lock_topic(topic: str, *, wait_seconds: float = 0) -> bool:
    """Take the topic for this transaction; False when another drain holds it (after
    waiting up to `wait_seconds` for it).

    One drain per topic at a time (a PostgreSQL advisory lock, released at commit or when
    the connection dies) keeps every write to one external record in order, which is what
    lets a sink write new records in unconditional batches (docs/persistence.md). SQLite
    runs one writing transaction at a time anyway.
    """
    if connection.vendor != "postgresql":
        return True
    lock_id = int.from_bytes(hashlib.sha256(f"outbox:{topic}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        if not wait_seconds:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [lock_id])
            return bool(cursor.fetchone()[0])
        # Another drain holds it for one batch at most: wait for it, within reason.
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{int(wait_seconds * 1000)}ms"])
        try:
            with transaction.atomic():
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
        except OperationalError:  # lock_timeout: that drain is stuck, leave it the sink
            return False
        finally:
            cursor.execute("SELECT set_config('lock_timeout', '0', true)")
        return True


def outbox_claim(*, topic: str, limit: int) -> list[OutboxMessage]:
    """Lock up to `limit` due pending messages, oldest first, together with every other
    pending message about the same keys (so one delivery sees all of an object's news).
    Call inside the transaction that records the outcome: a drain that dies mid-way rolls
    back, and its messages are simply pending again."""
    now = timezone.now()
    due = list(
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .filter(topic=topic, status=OutboxStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("key", flat=True)[:limit]
    )
    if not due:
        return []
    return list(
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .filter(topic=topic, status=OutboxStatus.PENDING, key__in=set(due))
        .order_by("id")
    )


def outbox_delivered(*, ids: Iterable[int]) -> int:
    ids = list(ids)
    if not ids:
        return 0
    return OutboxMessage.objects.filter(id__in=ids, status=OutboxStatus.PENDING).update(
        status=OutboxStatus.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None
    )


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> dt.timedelta:
    """The wait after `attempts` failed deliveries: the one backoff curve (outbox.backoff)
    with OUTBOX_RETRY_BASE_SECONDS and OUTBOX_RETRY_MAX_SECONDS."""
    return backoff(
        attempts, base=settings.OUTBOX_RETRY_BASE_SECONDS, cap=settings.OUTBOX_RETRY_MAX_SECONDS, rng=rng
    )


def outbox_failed(*, messages: Iterable[OutboxMessage], error: str, permanent: bool = False) -> int:
    """Record a failed delivery: back off, or park as a dead letter when the error is
    permanent or the attempts are used up. Returns how many became dead letters."""
    messages = list(messages)
    if not messages:
        return 0
    now = timezone.now()
    error = error[:4000]
    dead_ids: list[int] = []
    by_delay: dict[int, list[int]] = {}
    for message in messages:
        attempts = message.attempts + 1
        if permanent or attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            dead_ids.append(message.id)
        else:
            by_delay.setdefault(attempts, []).append(message.id)
    for attempts, ids in by_delay.items():
        OutboxMessage.objects.filter(id__in=ids, status=OutboxStatus.PENDING).update(
            attempts=F("attempts") + 1,
            last_error=error,
            next_attempt_at=now + retry_delay(attempts),
        )
    if dead_ids:
        dead = OutboxMessage.objects.filter(id__in=dead_ids, status=OutboxStatus.PENDING).update(
            attempts=F("attempts") + 1,
            last_error=error,
            status=OutboxStatus.DEAD,
            dead_at=now,
            next_attempt_at=None,
        )
        if dead:
            _alert_on_commit(messages[0].topic, dead, error)
        return dead
    return 0


def outbox_requeue(*, ids: Iterable[int]) -> int:
    """Send dead letters (or anything not delivered) again from scratch: an operator fixed
    the cause. The next drain picks them up at once."""
    return (
        OutboxMessage.objects.filter(id__in=list(ids))
        .exclude(status=OutboxStatus.DELIVERED)
        .update(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=None, dead_at=None)
    )


def outbox_resend(*, topic: str, items: Iterable[tuple[str, dict[str, Any]]]) -> int:
    """New pending messages for one topic, `(key, payload)` each (a repair by reconcile)."""
    rows = [OutboxMessage(topic=topic, key=key, payload=payload) for key, payload in items]
    OutboxMessage.objects.bulk_create(rows)
    return len(rows)


def outbox_purge_expired() -> int:
    """Delete delivered messages older than OUTBOX_RETENTION_DAYS (0 keeps them)."""
    if not settings.OUTBOX_RETENTION_DAYS:
        return 0
    return outbox_purge_delivered(older_than=dt.timedelta(days=settings.OUTBOX_RETENTION_DAYS))


def outbox_purge_delivered(*, older_than: dt.timedelta, limit: int = 10_000) -> int:
    """Delete delivered messages older than `older_than`, at most `limit` at a time."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED, delivered_at__lt=cutoff).values_list(
            "id", flat=True
        )[:limit]
    )
    return OutboxMessage.objects.filter(id__in=ids).delete()[0] if ids else 0


def _alert_on_commit(topic: str, count: int, error: str) -> None:
    from outbox.alerts import alert_dead_letters

    transaction.on_commit(lambda: alert_dead_letters(topic=topic, count=count, error=error))
