"""Hand-off to a person. The request is always recorded on the conversation
(handoff_requested_at). A voice conversation also goes into the agent screen's hand-off queue
(channels_ingest.phone.handoffs.handoff_create), with every answer and its recogniser
confidence. Chat and SMS conversations are not queued there: that service records each answer
as `speech` on the voice channel, which would misstate how a typed answer was captured."""

from __future__ import annotations

import importlib
import logging
from typing import Any

logger = logging.getLogger(__name__)


def request_handoff(conversation: Any) -> bool:
    """True when an entry was created in the agent queue."""
    if conversation.transport != "voice":
        return False
    try:
        handoffs = importlib.import_module("channels_ingest.phone.handoffs")
    except ImportError:
        return False
    draft = conversation.draft
    answers: dict[str, tuple[Any, float | None]] = {}
    if draft is not None:
        for name, value in (draft.answers or {}).items():
            history = (draft.provenance or {}).get(name) or [{}]
            answers[name] = (
                value if not isinstance(value, bool) else ("yes" if value else "no"),
                history[-1].get("confidence"),
            )
    handoffs.handoff_create(
        conversation_ref=str(conversation.pk), answers=answers, reason="asked for a person"
    )
    logger.info("voice conversation %s handed off to the agent queue", conversation.pk)
    return True
