"""Celery tasks: thin, idempotent, retrying only what can succeed later."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from outbox.wakeups import wake_up_publish, wake_up_started
from scoring.registry import NoUsableModel
from scoring.scorers import ScoringError
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


# --- the model lifecycle -------------------------------------------------------------------


@shared_task(acks_late=True)
def train_model(run_id: int) -> int | None:
    """Run a queued TrainingRun (pages, `train_from_labels`). A second delivery finds the run
    already claimed and returns."""
    from scoring.model_services import training_run_execute

    run = training_run_execute(run_id=run_id)
    return run.model_version_id if run else None


@shared_task
def train_from_labels() -> int | None:
    """Train a candidate from auditor labels and history (e.g. on a schedule); the same as
    the pages' "Train" button. Too little data ends the run as failed, with the reason."""
    from scoring.datasets import NotEnoughData
    from scoring.model_services import training_run_execute
    from scoring.models import TrainingRun

    run = TrainingRun.objects.create(stage="scheduled")
    try:
        finished = training_run_execute(run_id=run.pk)
    except NotEnoughData as exc:
        logger.warning("scheduled training skipped: %s", exc)
        return None
    return finished.model_version_id if finished else None


@shared_task(bind=True, autoretry_for=(ScoringError,), retry_backoff=2, retry_backoff_max=120,
             max_retries=8)
def rescore_chunk(self, chunk_id: int) -> int:
    """Rescore one chunk of a run: claim it, compare, write what changed, finish the run
    when it was the last chunk. Redelivered messages find the chunk done and return."""
    from scoring.rescoring import rescore_chunk_execute

    return rescore_chunk_execute(chunk_id=chunk_id)


@shared_task
def redrive_rescoring() -> int:
    """Periodic: hand out again rescoring chunks whose worker vanished."""
    from scoring.rescoring import rescore_redrive

    return rescore_redrive()


@shared_task
def redrive_training() -> int:
    """Periodic: publish again training runs queued while the broker was away."""
    from scoring.model_services import training_runs_redrive

    return training_runs_redrive()
