"""Celery tasks the outbox owns: the one job re-drive and the purge of delivered messages."""

from __future__ import annotations

import logging

from celery import shared_task

from outbox.jobs import jobs_redrive
from outbox.services import outbox_purge_expired

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def redrive_jobs() -> dict[str, dict[str, int]]:
    """Periodic: recover jobs whose lease expired, publish jobs whose next attempt came."""
    return jobs_redrive()


@shared_task(ignore_result=True)
def purge_delivered() -> int:
    """Periodic: delete delivered messages past OUTBOX_RETENTION_DAYS."""
    purged = outbox_purge_expired()
    if purged:
        logger.info("purged %d delivered outbox messages", purged)
    return purged
