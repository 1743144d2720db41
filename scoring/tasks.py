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
