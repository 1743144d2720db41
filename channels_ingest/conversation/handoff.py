"""Hand-off to a person. The request is always recorded on the conversation
(handoff_requested_at), and the partial application goes into the agent screen's hand-off queue
(channels_ingest.phone.handoffs.handoff_create) on the conversation's own channel, with every
answer's capture method (typed, speech, keypad) and, for speech, the recogniser's confidence.
A conversation already waiting in the queue is not queued twice."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from channels_ingest.phone.handoffs import handoff_create, handoff_waiting

if TYPE_CHECKING:
    from channels_ingest.conversation.models import Conversation

logger = logging.getLogger(__name__)

REASONS = {
    "voice": "asked for a person on the voice line",
    "sms": "asked for a person by SMS",
    "chat": "asked for a person in the web chat",
}


def request_handoff(conversation: Conversation, *, reason: str = "") -> bool:
    """True when an entry was created in the agent queue."""
    ref = str(conversation.pk)
    if handoff_waiting(ref):
        return False
    answers: dict[str, tuple[Any, float | None]] = {}
    methods: dict[str, str] = {}
    draft = conversation.draft
    if draft is not None:
        for name, value in (draft.answers or {}).items():
            current = ((draft.provenance or {}).get(name) or [{}])[-1]
            answers[name] = (
                value if not isinstance(value, bool) else ("yes" if value else "no"),
                current.get("confidence"),
            )
            if current.get("method"):
                methods[name] = str(current["method"])
    handoff_create(
        conversation_ref=ref,
        answers=answers,
        reason=reason or REASONS.get(conversation.transport, "asked for a person"),
        channel=conversation.channel,
        methods=methods,
    )
    logger.info("%s conversation %s handed off to the agent queue", conversation.transport, ref)
    return True
