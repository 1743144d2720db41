"""Celery tasks: thin, idempotent, retrying only what can succeed later."""

from __future__ import annotations

import logging

from celery import shared_task

from scoring.registry import NoUsableModel
from scoring.scorers import ScoringError
from scoring.services import (
    redrive_waiting_requests,
    release_stuck_scoring,
    score_waiting_applications,
)

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    autoretry_for=(ScoringError, NoUsableModel),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
)
def score_application(self, application_id: str) -> int:
    """Score this application and, in the same batch, whatever else is waiting.

    A message for an application already scored finds nothing to claim and returns: that
    is how a redelivered message stays harmless. After the last retry the applications
    stay received and the periodic re-drive publishes them again.
    """
    return len(score_waiting_applications(first_id=application_id).scored)


@shared_task
def redrive_scoring() -> dict[str, int]:
    """Periodic: free claims whose worker died, and publish requests that waited too long."""
    released = release_stuck_scoring()
    published = redrive_waiting_requests()
    if released.released or released.failed or published:
        logger.info("re-drive: released %d, failed %d, published %d",
                    len(released.released), len(released.failed), published)
    return {"released": len(released.released), "failed": len(released.failed),
            "published": published}
