"""Hand-off to a person: the request is recorded on the conversation (handoff_requested_at);
when the agent screen's hand-off queue (channels_ingest.phone) offers a service for it, an
entry is created there too."""

from __future__ import annotations

import importlib
import logging
from typing import Any

logger = logging.getLogger(__name__)


def request_handoff(conversation: Any) -> bool:
    """Create an entry in the agent queue if that service exists. True when queued."""
    try:
        services = importlib.import_module("channels_ingest.phone.handoff")
    except ImportError:
        return False
    create = getattr(services, "handoff_create", None)
    if create is None:
        return False
    create(draft=conversation.draft, channel=conversation.channel, reference=conversation.owner_ref)
    logger.info("hand-off queued for conversation %s", conversation.pk)
    return True
