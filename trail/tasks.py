from celery import shared_task

from trail.services import trail_anchor, trail_seal


@shared_task
def seal_trail() -> int:
    """Periodic: seal new audit entries into the keyed chain (seconds behind the writers)."""
    return trail_seal()


@shared_task
def anchor_trail() -> int | None:
    """Periodic (TRAIL_ANCHOR_SECONDS): write the chain head outside the database. Raises (and
    logs) when the entries since the last anchor do not verify; the next run tries again."""
    anchor = trail_anchor()
    return anchor.seq if anchor else None
