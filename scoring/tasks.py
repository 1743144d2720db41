"""Celery tasks of the decision pipeline: thin and idempotent. Nothing here retries: a
transient failure is the outbox's to retry (the scoring request backs off) and the
re-drive's to wake the scorer again. (The model lifecycle's tasks are in modelops/tasks.py.)"""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from outbox.wakeups import wake_up_publish, wake_up_started
from scoring.selectors import NoUsableModel
from scoring.services import release_expired_leases, score_until_done, scoring_waits

logger = logging.getLogger(__name__)


SCORER_WAKE_UP = "scoring"


def publish_scoring(*, force: bool = False) -> bool:
    """Wake the scorer unless a wake-up is already queued (see outbox.wakeups)."""
    return wake_up_publish(
        consumer=SCORER_WAKE_UP,
        publish=score_waiting.delay,
        every_seconds=settings.SCORING_ASK_EVERY_SECONDS,
        force=force,
    )


def wake_scorer(topic: str, *, force: bool = False) -> bool:
    """The consumer of the outbox's "scoring" topic, registered in ScoringConfig.ready()."""
    return publish_scoring(force=force)


@shared_task
def score_waiting() -> int:
    """Score every waiting application, batch after batch, until none is left.

    The claim makes a redelivered or duplicate message harmless: it finds nothing to claim.
    With no usable model it returns at once (NoUsableModel); the applications wait and the
    periodic re-drive wakes the scorer again. A transient scoring error releases the batch
    (its requests back off in the outbox) and ends the task.
    """
    wake_up_started(consumer=SCORER_WAKE_UP)
    try:
        return score_until_done(
            budget_seconds=settings.SCORING_TASK_SECONDS, more=lambda: publish_scoring(force=True)
        )
    except NoUsableModel as exc:
        logger.warning("applications wait: %s", exc)
        return 0


@shared_task
def redrive_scoring() -> dict[str, int]:
    """Periodic (SCORING_REDRIVE_EVERY_SECONDS): free claims whose lease expired (their
    worker died), and wake the scorer when an application it could claim has waited too
    long. Applications under a live claim or backing off wake nobody."""
    released = release_expired_leases()
    published = 0
    if released.released or scoring_waits():
        published = int(publish_scoring(force=True))
    if released.released or released.failed or published:
        logger.info(
            "re-drive: released %d, failed %d, published %d",
            len(released.released),
            len(released.failed),
            published,
        )
    return {"released": len(released.released), "failed": len(released.failed), "published": published}
