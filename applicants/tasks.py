from celery import shared_task

from applicants.drafts import drafts_purge_expired


@shared_task(ignore_result=True)
def purge_expired_drafts() -> int:
    """Periodic: drafts past DRAFT_TTL_DAYS go, answers and all (config/settings/webform.py)."""
    return drafts_purge_expired()
