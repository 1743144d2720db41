"""Celery tasks of the decision pipeline: thin, idempotent, retrying only what can succeed
later. (The model lifecycle's tasks are in modelops/tasks.py.)"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from outbox.wakeups import wake_up_publish, wake_up_started
from scoring.errors import ScoringError
from scoring.selectors import NoUsableModel
from scoring.services import (
    redrive_waiting_requests,
    release_stuck_scoring,
    score_until_done,
)

logger = logging.getLogger(__name__)


SCORER_WAKE_UP = "scoring"


def publish_scoring(*, force: bool = False) -> bool:
    """Wake the scorer unless a wake-up is already queued (see outbox.wakeups)."""
    return wake_up_publish(consumer=SCORER_WAKE_UP, publish=score_waiting.delay,
                           every_seconds=settings.SCORING_ASK_EVERY_SECONDS, force=force)


@shared_task(
    bind=True,
    autoretry_for=(ScoringError,),
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=8,
)
def score_waiting(self) -> int:
    """Score every waiting application, batch after batch, until none is left.

    The claim makes a redelivered or duplicate message harmless: it finds nothing to claim.
    With no usable model it returns at once (NoUsableModel); the applications wait and the
    periodic re-drive wakes the scorer again. After the last retry of a transient scoring
    error the applications stay received and the re-drive wakes it too.
    """
    wake_up_started(consumer=SCORER_WAKE_UP)
    try:
        return score_until_done(budget_seconds=settings.SCORING_TASK_SECONDS,
                                more=lambda: publish_scoring(force=True))
    except NoUsableModel as exc:
        logger.warning("applications wait: %s", exc)
        return 0


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
