"""Celery tasks of governance: thin. Replay chunks are jobs (outbox.jobs): their retries and
the recovery of a dead worker's chunk are the one job re-drive's."""

from __future__ import annotations

from celery import shared_task

from governance.replay import replay_chunk_execute


@shared_task(acks_late=True)
def replay_chunk(chunk_id: int) -> int:
    """Replay one chunk of a run; a redelivered message finds it claimed or done and returns."""
    return replay_chunk_execute(chunk_id=chunk_id)
