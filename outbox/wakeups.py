"""Coalesced wake-ups: at most one queued message per consumer, however many commits ask.

With one Celery message per request, the worker spends its time on messages that find
nothing left to do. Here a commit publishes only when no wake-up of the consumer is
waiting, or the waiting one was asked more than `every_seconds` ago (it may sit behind a
long queue; one more, further up, keeps the lag short).

Most asks find one waiting, so an ask first only reads the row (`_PENDING_SQL`): no lock,
no write, no transaction id, no WAL flush, so concurrent commits do not queue on the one
row of their consumer. Only an ask that finds none waiting (or a stale one) goes on to the
conditional upsert, where exactly one of several concurrent asks wins and publishes.

Why the read alone loses nothing: it runs after the asking transaction committed, and sees
the row as last committed. If it shows a fresh ask, the consumer has not yet cleared it
(`wake_up_started`); the consumer clears it before it claims work, so that claim starts
after this read and sees what this transaction committed. If the queued message was lost
(the broker restarted empty), the ask turns stale after `every_seconds` and the next ask
publishes again; the periodic re-drive (`force`) covers a consumer that nobody asks for.
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
    except Exception:
        # The database is away: nothing was asked, the work (if it committed) waits for
        # the re-drive.
        logger.warning("could not ask for a wake-up of %s; the re-drive will", consumer, exc_info=True)
        return False
    try:
        publish()
        return True
    except Exception:
        logger.warning("could not wake %s up; the re-drive will", consumer, exc_info=True)
        _withdraw(consumer)
        return False


def wake_up_started(*, consumer: str) -> None:
    """The consumer starts: asks from now on publish a new wake-up. Call it outside any
    transaction, before claiming: the clear must commit before the claim reads, or an ask
    that saw the old row could be missed by a claim made in the same transaction."""
    # A row already clear is left alone: no write, no wait behind an ask in flight.
    WakeUp.objects.filter(consumer=consumer, asked_at__isnull=False).update(asked_at=None)


def _withdraw(consumer: str) -> None:
    """Our ask published nothing: let the next ask through. If even this fails, the ask
    turns stale after `every_seconds` and a later one publishes."""
    try:
        WakeUp.objects.filter(consumer=consumer).update(asked_at=None)
    except Exception:
        logger.warning("could not withdraw the wake-up of %s", consumer, exc_info=True)


_PENDING_SQL = "SELECT 1 FROM {table} WHERE consumer = %s AND asked_at >= %s"

_ASK_SQL = """
    INSERT INTO {table} (consumer, asked_at) VALUES (%s, %s)
    ON CONFLICT (consumer) DO UPDATE SET asked_at = excluded.asked_at
    WHERE {table}.asked_at IS NULL OR {table}.asked_at < %s
    RETURNING consumer
"""


def _ask(consumer: str, *, every_seconds: float, force: bool) -> bool:
    """A read, and when it finds no fresh ask waiting, one conditional upsert (PostgreSQL
    and SQLite alike), so of many concurrent asks exactly one wins, and the first ask of a
    consumer makes its row."""
    now = timezone.now()
    # Replace a waiting ask older than this; `force` replaces even one made this instant.
    cutoff = now + dt.timedelta(seconds=1) if force else now - dt.timedelta(seconds=every_seconds)
    field = WakeUp._meta.get_field("asked_at")
    table = connection.ops.quote_name(WakeUp._meta.db_table)
    db_cutoff = field.get_db_prep_value(cutoff, connection)
    with connection.cursor() as cursor:
        if not force:
            cursor.execute(_PENDING_SQL.format(table=table), [consumer, db_cutoff])
            if cursor.fetchone() is not None:
                return False  # one is waiting: the common case, and it changes nothing
        cursor.execute(
            _ASK_SQL.format(table=table),
            [consumer, field.get_db_prep_value(now, connection), db_cutoff],
        )
        return cursor.fetchone() is not None
