"""Celery tasks of the personal-data lifecycle: thin, each calls one service."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import transaction

from privacy.models import ErasureStatus
from privacy.services.erasure import erasure_follow_up, open_erasures

# A follow-up checks again with backoff (5 s, 10 s, … up to 5 min) for about two hours; the
# periodic follow_up_open_erasures (docs/privacy.md) covers a lost message or a longer outage.
FOLLOW_UP_RETRIES = 30
logger = logging.getLogger(__name__)


@shared_task(bind=True, ignore_result=True, max_retries=FOLLOW_UP_RETRIES)
def follow_up_erasure(self, request_id: str) -> str:
    request = erasure_follow_up(request_id)
    if request.status == ErasureStatus.SINKS_PENDING:
        raise self.retry(countdown=min(5 * 2**self.request.retries, 300))
    return request.status


@shared_task(ignore_result=True)
def follow_up_open_erasures() -> int:
    """Periodic: bring every open erasure's status up to date."""
    pending = list(open_erasures())
    for request_id in pending:
        erasure_follow_up(request_id)
    return len(pending)


def follow_up_on_commit(*, request_id: Any) -> None:
    """Handler of the outbox event ERASURE_OWED (registered in PrivacyConfig): once the
    erasure commits, follow it up in 5 s. A broker that is down loses nothing: the periodic
    follow-up (or the command) catches up."""

    def publish() -> None:
        try:
            follow_up_erasure.apply_async((str(request_id),), countdown=5.0)
        except Exception:
            logger.warning("broker unavailable; erasure %s followed up later", request_id, exc_info=True)

    transaction.on_commit(publish)
