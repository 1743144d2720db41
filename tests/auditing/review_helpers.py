"""Shared steps for tests that need an application waiting in the review queue."""

from __future__ import annotations

from typing import Any

from applicants.models import Status
from applicants.services import application_transition
from auditing.models import ReviewItem
from auditing.services.queue import review_queue_sync
from scoring.services import score_waiting_applications


def sent_to_review(application_id: Any) -> ReviewItem:
    """Score what waits, send this application to review and return its queue item."""
    score_waiting_applications()
    application_transition(
        application_ids=[application_id],
        from_status=Status.SCORED,
        to_status=Status.IN_REVIEW,
        note="test: sent to review",
    )
    review_queue_sync()
    return ReviewItem.objects.get(application_id=application_id)
