"""The voice bot's hand-off queue: a call the bot passes to a person, with the draft it
filled (answers by speech, each with its confidence).

Taking one is a lease, as in the review queue (auditing/services/queue.py): a conditional
UPDATE that proceeds only when the row is free or its lease ran out, so two agents never
take the same call; keying renews it; a lease that runs out gives the call back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applicants.drafts import AnswerResult, draft_answer_many, draft_start
from applicants.models import Channel, DraftOwnerKind
from applicants.provenance import DEFAULT_METHOD, Capture
from applicants.schema import get_schema
from channels_ingest.phone.models import Call, Handoff, HandoffState
from channels_ingest.phone.selectors import handoff_free_q
from trail.services import trail_record


class HandoffTaken(Exception):
    """Another agent holds this hand-off, or it is no longer waiting."""


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PHONE_HANDOFF_LEASE_SECONDS)


def handoff_create(
    *,
    conversation_ref: str,
    answers: Mapping[str, tuple[Any, float | None]],
    reason: str = "",
    channel: str = Channel.VOICE,
    methods: Mapping[str, str] | None = None,
) -> tuple[Handoff, dict[str, AnswerResult]]:
    """A hand-off with what the bot collected: {field: (what it heard or read, confidence)},
    on the channel the conversation came by (voice, SMS, web chat). Each answer goes through
    the one-field service with its capture method (`methods[field]`, else the channel's usual
    one: speech for voice, typed for chat and SMS) and confidence; refused ones are left for
    the agent (the results say why)."""
    ref = f"conversation:{conversation_ref}"
    schema = get_schema()
    results: dict[str, AnswerResult] = {}
    with transaction.atomic():
        draft = draft_start(
            channel=channel,
            owner_kind=DraftOwnerKind.CONVERSATION,
            owner_ref=ref,
            first_section=schema.sections[0].name,
        )
        for name, (heard, confidence) in answers.items():
            method = (methods or {}).get(name) or DEFAULT_METHOD[channel]
            capture = Capture(channel=channel, method=method, by=ref, confidence=confidence)
            results.update(draft_answer_many(draft, {name: heard}, capture))
        handoff = Handoff.objects.create(
            draft=draft, conversation_ref=conversation_ref[:120], reason=reason[:200]
        )
    return handoff, results


def handoff_waiting(conversation_ref: str) -> bool:
    """Whether this conversation already waits in the queue (asking twice queues it once)."""
    return Handoff.objects.filter(
        conversation_ref=conversation_ref[:120], state=HandoffState.WAITING
    ).exists()


def handoff_claim(*, handoff_id: Any, agent: Any, now: dt.datetime | None = None) -> Call:
    """Take a waiting hand-off (or renew one's own lease); the call the agent keys it in."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = (
            Handoff.objects.filter(pk=handoff_id, state=HandoffState.WAITING)
            .filter(handoff_free_q(now) | Q(claimed_by=agent))
            .update(claimed_by=agent, claimed_at=now, claim_expires_at=now + _lease())
        )
        if changed != 1:
            raise HandoffTaken("Another agent has taken this call, or it is no longer waiting.")
        handoff = Handoff.objects.select_related("draft").get(pk=handoff_id)
        call = Call.objects.filter(handoff=handoff, agent=agent, application__isnull=True).first()
        if call is None:
            call = Call.objects.create(
                agent=agent, handoff=handoff, draft=handoff.draft, verified_at=now
            )  # the caller is on this call already
            trail_record(
                action="phone.handoff_claimed",
                object_type="phone_handoff",
                object_id=handoff.pk,
                actor=agent,
                note="picked up from the voice bot",
            )
    return call


def handoff_renew(*, call: Call, now: dt.datetime | None = None) -> None:
    """Keying keeps the lease: refused when it ran out and someone else took the call."""
    if not call.handoff_id:
        return
    now = now or timezone.now()
    held = (
        Handoff.objects.filter(pk=call.handoff_id, state=HandoffState.WAITING)
        .filter(Q(claimed_by=call.agent) | handoff_free_q(now))
        .update(claimed_by=call.agent, claim_expires_at=now + _lease())
    )
    if held != 1:
        raise HandoffTaken("Your hold on this call ran out and another agent has it now.")


def handoff_release(*, handoff_id: Any, agent: Any) -> bool:
    return (
        Handoff.objects.filter(pk=handoff_id, claimed_by=agent, state=HandoffState.WAITING).update(
            claimed_by=None, claimed_at=None, claim_expires_at=None
        )
        == 1
    )


def handoff_complete(*, handoff_id: Any, agent: Any) -> None:
    Handoff.objects.filter(pk=handoff_id).update(
        state=HandoffState.DONE, completed_at=timezone.now(), claimed_by=agent
    )
