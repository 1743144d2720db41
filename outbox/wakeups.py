"""Coalesced wake-ups: at most one queued message per consumer, however many commits ask.

DESIGN.md measured the cost of one Celery message per request: the worker spends its time
on messages that find nothing left to do. Here a commit publishes only when no wake-up of
the consumer is waiting, or the waiting one was asked more than `every_seconds` ago (it may
sit behind a long queue; one more, further up, keeps the lag short).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from outbox.models import WakeUp

logger = logging.getLogger(__name__)


def wake_up_publish(*, consumer: str, publish: Callable[[], Any], every_seconds: float,
                    force: bool = False) -> bool:
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


def _ask(consumer: str, *, every_seconds: float, force: bool) -> bool:
    """A conditional UPDATE, so of many concurrent asks exactly one wins."""
    now = timezone.now()
    waiting = WakeUp.objects.filter(consumer=consumer)
    if not force:
        stale = now - dt.timedelta(seconds=every_seconds)
        waiting = waiting.filter(Q(asked_at__isnull=True) | Q(asked_at__lt=stale))
    if waiting.update(asked_at=now):
        return True
    # Nothing changed: a wake-up is waiting, or this consumer has no row yet.
    _, created = WakeUp.objects.get_or_create(consumer=consumer, defaults={"asked_at": now})
    return created
