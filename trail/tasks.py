from celery import shared_task

from trail.services import trail_seal


@shared_task
def seal_trail() -> int:
    """Periodic: seal new audit entries into the hash chain (seconds behind the writers)."""
    return trail_seal()
