"""Celery tasks of the model lifecycle: thin and idempotent. Training runs and rescoring
chunks are jobs (outbox.jobs): their retries and the recovery of a dead worker's job are the
one job re-drive's (outbox.tasks.redrive_jobs), not Celery's."""

from __future__ import annotations

import logging

from celery import shared_task

from modelops.datasets import NotEnoughData
from modelops.models import TrainingRun
from modelops.rescoring import rescore_chunk_execute
from modelops.services import training_run_execute

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def train_model(run_id: int) -> int | None:
    """Run a queued TrainingRun (pages, `train_from_labels`). A second delivery finds the run
    already claimed and returns."""
    run = training_run_execute(run_id=run_id)
    return run.model_version_id if run else None


@shared_task
def train_from_labels() -> int | None:
    """Train a candidate from auditor labels and history (e.g. on a schedule); the same as
    the pages' "Train" button. Too little data ends the run as failed, with the reason."""
    run = TrainingRun.objects.create(stage="scheduled")
    try:
        finished = training_run_execute(run_id=run.pk)
    except NotEnoughData as exc:
        logger.warning("scheduled training skipped: %s", exc)
        return None
    return finished.model_version_id if finished else None


@shared_task
def rescore_chunk(chunk_id: int) -> int:
    """Rescore one chunk of a run: claim it, compare, write what changed, finish the run
    when it was the last chunk. Redelivered messages find the chunk done and return."""
    return rescore_chunk_execute(chunk_id=chunk_id)
