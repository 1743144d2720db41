"""What erasing a person (privacy.services.erasure) does to their conversations.

A conversation that sent one of the erased applications loses everything that could lead
back to the person: its drafts (its own, and the copies handed to the agent queue) are
deleted with their encrypted answers; what a read-back was waiting on is emptied; its links
to the application and to the account are cut; the keyed hash of the phone number becomes a
random tombstone (so the number no longer finds it, and a new message from it starts afresh);
the provider's message ids (Twilio's logs hold the number and the text) are deleted. The
transcript stays, as it always was without personal values, linked to nobody."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.db.models import Q

from applicants.models import Draft, DraftOwnerKind
from channels_ingest.conversation.models import Conversation, InboundMessage, Mode

TOMBSTONE_KEY = "erased-"


def conversations_erase(application_ids: Iterable[Any]) -> dict[str, int]:
    """Inside the erasure's transaction. Returns counts (no values) for its record."""
    conversations = list(
        Conversation.objects.select_for_update().filter(application_id__in=list(application_ids))
    )
    if not conversations:
        return {"conversations": 0, "conversation_drafts": 0, "provider_message_ids": 0}
    ids = [c.pk for c in conversations]
    owned = Q(owner_kind=DraftOwnerKind.CONVERSATION, owner_ref__in=[c.owner_ref for c in conversations])
    drafts = Draft.objects.filter(owned | Q(pk__in=[c.draft_id for c in conversations if c.draft_id]))
    draft_count = drafts.count()
    drafts.delete()  # the hand-offs made of them go too (Handoff.draft cascades)
    messages, _ = InboundMessage.objects.filter(conversation_id__in=ids).delete()
    for conversation in conversations:
        Conversation.objects.filter(pk=conversation.pk).update(
            key=f"{TOMBSTONE_KEY}{uuid.uuid4().hex}",
            user=None,
            application=None,
            draft=None,
            unconfirmed={},
            pending_field="",
            answered_order=[],
            skipped=[],
            mode=Mode.STOPPED,
        )
    return {"conversations": len(ids), "conversation_drafts": draft_count, "provider_message_ids": messages}
