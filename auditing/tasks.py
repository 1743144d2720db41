"""Celery tasks of the review queue, exports and retraining: thin, each calls one service."""

from __future__ import annotations

import logging

from celery import shared_task

from auditing.services import exports, queue, retraining

logger = logging.getLogger(__name__)


@shared_task
def sync_review_queue() -> int:
    """Periodic safety net (REVIEW_QUEUE_SYNC_SECONDS): applications in review without an
    item. Items normally come with the decision (review_queue_add, an outbox event)."""
    return queue.review_queue_sync()


@shared_task
def release_expired_claims() -> int:
    return queue.release_expired_claims()


@shared_task(
    # Large exports take longer than the default task limit.
    time_limit=3600,
    soft_time_limit=3500,
)
def run_label_export(job_id: int) -> int | None:
    """Claim the job and write its file; a job already done or running elsewhere is moot.
    Export jobs are jobs (outbox.jobs): a transient failure backs off and the job re-drive
    hands them out again; nothing retries here."""
    job = exports.export_job_run(job_id=job_id)
    return job.rows_done if job else None


def publish_export(job_id: int) -> None:
    """How a new or re-driven export reaches a worker (registered in AuditingConfig); a broker
    that is down loses nothing: the job waits for the re-drive."""
    try:
        run_label_export.delay(job_id)
    except Exception:
        logger.warning("broker unavailable; export %s will be re-driven", job_id, exc_info=True)


@shared_task(time_limit=3 * 3600, soft_time_limit=3 * 3600 - 60)
def retrain_from_labels_if_due() -> int | None:
    """Periodic: train a candidate from new labels when enough arrived, then tell approvers."""
    run = retraining.retrain_if_due()
    if run is None:
        return None
    logger.info("retraining from %d new labels: %s", run.new_labels, run.status)
    return run.model_version.version if run.model_version else None
