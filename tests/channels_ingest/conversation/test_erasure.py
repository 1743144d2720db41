"""Erasing a person (privacy) reaches their conversations: drafts (the conversation's and the
copy handed to the agent queue) deleted, the phone number's hash and the links cut, the
provider's message ids gone; the redacted transcript stays, linked to nobody."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from applicants.models import Application, Draft
from channels_ingest.conversation.models import Conversation, InboundMessage, Transport, Turn
from channels_ingest.conversation.transports.twilio_signing import sender_key
from channels_ingest.phone.models import Handoff
from privacy.services.erasure import erasure_request
from tests.channels_ingest.conversation.test_engine import SAID
from tests.channels_ingest.conversation.test_sms import SENDER, sms

pytestmark = pytest.mark.django_db


def test_erasing_the_person_erases_their_sms_conversation(client: Client, make_user: Any) -> None:
    sms(client, "hello")
    sms(client, SAID["full_name"])
    sms(client, "agent")  # a copy of the answers waits in the agent queue
    for name, said in SAID.items():
        if name != "full_name":
            reply = sms(client, said)
    assert "Shall I send" in reply
    assert "your application is sent" in sms(client, "yes")
    application = Application.objects.get(channel="sms")
    conversation = Conversation.objects.get(transport=Transport.SMS)
    assert Handoff.objects.filter(conversation_ref=str(conversation.pk)).exists()
    turns = Turn.objects.filter(conversation=conversation).count()

    request = erasure_request(actor=make_user("root", Role.ADMIN), application_id=application.pk)

    conversation.refresh_from_db()
    assert conversation.key.startswith("erased-") and conversation.key != sender_key(SENDER)
    assert conversation.application_id is None and conversation.draft_id is None
    assert conversation.user_id is None and not conversation.unconfirmed
    assert not Draft.objects.filter(owner_ref=conversation.owner_ref).exists()
    assert not Handoff.objects.filter(conversation_ref=str(conversation.pk)).exists()
    assert not InboundMessage.objects.filter(conversation=conversation).exists()
    assert Turn.objects.filter(conversation=conversation).count() == turns  # the transcript stays
    assert request.changes["conversations"] == 1 and request.changes["conversation_drafts"] >= 2
    left = json.dumps(list(Conversation.objects.values()) + list(Draft.objects.values()), default=str)
    for value in ("Jane Example", "jane@example.com", "AB-123456-C", sender_key(SENDER)):
        assert value not in left

    reply = sms(client, "hello")  # the same number again: a new conversation, knowing nothing
    assert "Hello" in reply and "full name" in reply
    assert Conversation.objects.filter(transport=Transport.SMS).count() == 2


def test_an_erasure_leaves_other_peoples_conversations_alone(
    client: Client, make_user: Any, answers: dict[str, Any]
) -> None:
    from applicants.services import application_submit

    sms(client, "hello", sender="+447700900999")
    sms(client, SAID["full_name"], sender="+447700900999")
    other = Conversation.objects.get(key=sender_key("+447700900999"))
    mine = application_submit(answers=answers, channel="api", actor=None, idempotency_key=None).application
    request = erasure_request(actor=make_user("root", Role.ADMIN), application_id=mine.pk)
    assert request.changes["conversations"] == 0
    other.refresh_from_db()
    assert other.key == sender_key("+447700900999") and other.draft.answers["full_name"] == "Jane Example"
