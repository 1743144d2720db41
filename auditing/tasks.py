"""Celery tasks of the review queue, exports and retraining: thin, each calls one service."""

from __future__ import annotations

import logging

from botocore.exceptions import BotoCoreError, ClientError
from celery import shared_task
from django.db import OperationalError

from auditing.services import exports, queue, retraining

logger = logging.getLogger(__name__)


@shared_task
def sync_review_queue() -> int:
    """Periodic: decisions routed to review become queue items (seconds behind scoring)."""
    return queue.review_queue_sync()


@shared_task
def release_expired_claims() -> int:
    return queue.release_expired_claims()


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, BotoCoreError, ClientError, OSError),
    retry_backoff=5,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=exports.MAX_ATTEMPTS - 1,
    # Large exports take longer than the default task limit.
    time_limit=3600,
    soft_time_limit=3500,
)
def run_label_export(self, job_id: int) -> int | None:
    """Claim the job and write its file; a job already done or running elsewhere is moot."""
    job = exports.export_job_run(job_id=job_id)
    return job.rows_done if job else None


@shared_task
def redrive_label_exports() -> int:
    return exports.export_jobs_redrive()


@shared_task(time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def retrain_from_labels_if_due() -> int | None:
    """Periodic: train a candidate from new labels when enough arrived, then tell approvers."""
    run = retraining.retrain_if_due()
    if run is None:
        return None
    logger.info("retraining from %d new labels: %s", run.new_labels, run.status)
    return run.model_version.version if run.model_version else None
