"""One chunk, a job (outbox.jobs): claimed by a conditional update (pending → running) under a
lease its heartbeat renews, scored, its changes written; the last chunk to finish closes the
run. A transient scoring error backs the chunk off for the job re-drive; anything else fails
it, and the run with it, after the same backoff."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone

from applicants.schema import get_schema
from modelops.models import RescoreChunk, RescoreRun, RunStatus
from modelops.rescoring.load import load_chunk
from modelops.rescoring.write import apply_scores, finish_chunk
from outbox.jobs import Heartbeat, job_claim, job_heartbeat, job_retry
from scoring.errors import ScoringError
from scoring.probabilities import tier_probabilities
from scoring.scorers import get_scorer

logger = logging.getLogger(__name__)


def rescore_chunk_execute(*, chunk_id: int) -> int:
    """Claim a chunk, rescore it, write the changes; returns how many decisions changed."""
    claim = job_claim(RescoreChunk, chunk_id)
    if claim is None:
        return 0  # done, or another worker has it
    chunk = RescoreChunk.objects.select_related("run", "run__model_version").get(pk=chunk_id)
    run = chunk.run
    RescoreRun.objects.filter(pk=run.pk, status=RunStatus.PENDING).update(status=RunStatus.RUNNING)
    try:
        with Heartbeat(lambda: job_heartbeat(RescoreChunk, chunk_id, claim)):
            changed, routed = _rescore(chunk, run)
    except ScoringError as exc:
        if exc.permanent or not job_retry(RescoreChunk, chunk_id, claim, error=str(exc)):
            _fail(chunk, str(exc))
        return 0
    except Exception as exc:
        # A bug or an outage we cannot name: the same backoff, then failed; said in the log.
        logger.exception("rescore run %s chunk %s failed", run.pk, chunk.seq)
        if not job_retry(RescoreChunk, chunk_id, claim, error=f"{type(exc).__name__}: {exc}"):
            _fail(chunk, f"{type(exc).__name__}: {exc}")
        return 0
    _close_if_last(run)
    logger.info(
        "rescore run %s chunk %s: %d rows, %d changed, %d routed",
        run.pk,
        chunk.seq,
        chunk.size,
        changed,
        routed,
    )
    return changed


def _fail(chunk: RescoreChunk, error: str) -> None:
    with transaction.atomic():
        RescoreChunk.objects.filter(pk=chunk.pk).update(
            status=RunStatus.FAILED, error=error[:2000], claim=None, lease_expires_at=None
        )
        RescoreRun.objects.filter(pk=chunk.run_id).exclude(status=RunStatus.FAILED).update(
            status=RunStatus.FAILED, error=error[:2000], finished_at=timezone.now()
        )


def _close_if_last(run: RescoreRun) -> None:
    unfinished = RescoreChunk.objects.filter(run=run).exclude(status=RunStatus.FINISHED).exists()
    if not unfinished:
        RescoreRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FINISHED, finished_at=timezone.now()
        )


def _rescore(chunk: RescoreChunk, run: RescoreRun) -> tuple[int, int]:
    schema = get_schema()
    model = run.model_version
    rows = load_chunk(schema, run, chunk)
    if not rows.ids:
        finish_chunk(chunk, run, processed=chunk.size, changed=0, routed=0)
        return 0, 0
    scorer = get_scorer()
    probs = tier_probabilities(model, scorer.predict_proba(model, rows.matrix))
    return apply_scores(chunk, run, rows, probs, scorer.last_source)
