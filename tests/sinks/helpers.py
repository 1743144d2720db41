"""Making scored applications in this process, for the sink tests."""

from __future__ import annotations

from typing import Any

from applicants.models import Channel
from applicants.services import application_submit
from scoring.services import score_waiting_applications


def scored_applications(
    answers: dict[str, Any], count: int, *, actor: Any = None, prefix: str = "SNK"
) -> list[str]:
    """Submit `count` applications and score them with the active model; their decisions
    fan out to the configured sinks' outbox topics."""
    ids = []
    for i in range(count):
        submission = application_submit(
            answers={**answers, "national_id": f"{prefix}{i:06d}"},
            channel=Channel.API,
            actor=actor,
            idempotency_key=f"{prefix}-{i}",
        )
        ids.append(str(submission.application.pk))
    while score_waiting_applications().scored:
        pass
    return ids


def review_payload(review_id: int, **overrides: Any) -> dict[str, Any]:
    """A review event exactly as the review team sends it."""
    return {
        "review_id": review_id,
        "outcome": "overridden",
        "final_tier": "high",
        "model_tier": "medium",
        "reason_code": "income_unverified",
        "auditor": "dave",
        "reviewed_at": "2026-11-23T12:00:00+00:00",
        "seconds_open": 42.5,
        "blind": False,
        "application_status": "overridden",
        **overrides,
    }
