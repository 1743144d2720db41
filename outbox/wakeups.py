"""Coalesced wake-ups: at most one queued message per consumer, however many commits ask.

With one Celery message per request, the worker spends its time on messages that find
nothing left to do. Here a commit publishes only when no wake-up of the consumer is
waiting, or the waiting one was asked more than `every_seconds` ago (it may sit behind a
long queue; one more, further up, keeps the lag short).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.utils import timezone

from outbox.models import WakeUp

logger = logging.getLogger(__name__)


def wake_up_publish(
    *, consumer: str, publish: Callable[[], Any], every_seconds: float, force: bool = False
) -> bool:
    """Publish a wake-up of `consumer` unless one is already waiting (`force`: publish
    anyway, as a periodic re-drive does in case a queued one was lost with the broker).

    Never fails its caller: if the broker is down the ask is withdrawn, the work stays
    owed in the database, and the re-drive asks again. True when a message was published."""
    try:
        if not _ask(consumer, every_seconds=every_seconds, force=force):
            return False
        publish()
        return True
    except Exception:
        WakeUp.objects.filter(consumer=consumer).update(asked_at=None)
        logger.warning("could not wake %s up; the re-drive will", consumer, exc_info=True)
        return False


def wake_up_started(*, consumer: str) -> None:
    """The consumer starts: asks from now on publish a new wake-up."""
    WakeUp.objects.filter(consumer=consumer).update(asked_at=None)


_ASK_SQL = """
    INSERT INTO {table} (consumer, asked_at) VALUES (%s, %s)
    ON CONFLICT (consumer) DO UPDATE SET asked_at = excluded.asked_at
    WHERE {table}.asked_at IS NULL OR {table}.asked_at < %s
    RETURNING consumer
"""


def _ask(consumer: str, *, every_seconds: float, force: bool) -> bool:
    """One conditional upsert (PostgreSQL and SQLite alike), so of many concurrent asks
    exactly one wins, and the first ask of a consumer makes its row."""
    now = timezone.now()
    # Replace a waiting ask older than this; `force` replaces even one made this instant.
    cutoff = now + dt.timedelta(seconds=1) if force else now - dt.timedelta(seconds=every_seconds)
    field = WakeUp._meta.get_field("asked_at")
    with connection.cursor() as cursor:
        cursor.execute(
            _ASK_SQL.format(table=connection.ops.quote_name(WakeUp._meta.db_table)),
            [
                consumer,
                field.get_db_prep_value(now, connection),
                field.get_db_prep_value(cutoff, connection),
            ],
        )
        return cursor.fetchone() is not None
