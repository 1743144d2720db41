"""SMS (and WhatsApp, through the same webhook) over Twilio Messaging.

Twilio posts each inbound message here (From, Body, MessageSid, ...), signed with the
account's auth token; we answer in TwiML. A wrong or missing signature is a 403 and changes
nothing. One conversation per sender number (kept only as a keyed hash); the conversation owns
its draft and its application (no account: an SMS belongs to whoever holds the phone, so it
links to an account only through a verified step elsewhere). The carrier keywords are honoured
before the engine sees the text: STOP (and its synonyms) stops all replies until START; HELP
says who we are. A MessageSid delivered twice is processed once.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from accounts.access import can_post_twilio_webhook
from channels_ingest.conversation import texts
from channels_ingest.conversation.engine import (
    TurnInput,
    conversation_for,
    conversation_opening,
    conversation_turn,
)
from channels_ingest.conversation.models import Conversation, Transport
from channels_ingest.conversation.transports.twilio_signing import sender_key, signed_by_twilio

logger = logging.getLogger(__name__)

STOP_WORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"})
START_WORDS = frozenset({"start", "unstop", "yes", "subscribe"})
HELP_WORDS = frozenset({"help", "info"})


@csrf_exempt
@require_POST
def inbound_sms(request: HttpRequest) -> HttpResponse:
    if not can_post_twilio_webhook(signed=signed_by_twilio(request)):
        return HttpResponse("Invalid or missing X-Twilio-Signature", status=403, content_type="text/plain")
    sender = request.POST.get("From", "").strip()
    if not sender:
        return _twiml([])  # nothing to key a conversation on: accepted, nothing done
    body = request.POST.get("Body", "")[:1600]
    sid = request.POST.get("MessageSid", "") or request.POST.get("SmsMessageSid", "")
    conversation = conversation_for(transport=Transport.SMS, key=sender_key(sender))
    return _twiml(sms_turn(conversation, body, sid))


def sms_turn(conversation: Conversation, body: str, sid: str) -> list[str]:
    """The replies to one inbound text (empty when nothing may or need be sent)."""
    keyword = re.sub(r"[^a-z]", "", body.lower())
    if keyword in STOP_WORDS:
        Conversation.objects.filter(pk=conversation.pk).update(opted_out=True)
        return [texts.SMS_STOPPED]
    if conversation.opted_out:
        if keyword not in START_WORDS:
            return []  # opted out: nothing is sent until START
        Conversation.objects.filter(pk=conversation.pk).update(opted_out=False)
        conversation.opted_out = False
        return [texts.SMS_STARTED, *conversation_opening(conversation).messages]
    if keyword in HELP_WORDS and keyword == body.strip().lower():
        reply = conversation_turn(conversation, TurnInput(text="help", message_sid=sid))
        return [texts.SMS_HELP, *reply.messages]
    return conversation_turn(conversation, TurnInput(text=body, message_sid=sid)).messages


def split_reply(messages: list[str], limit: int) -> list[str]:
    """Join the replies into as few texts as fit `limit`, breaking between sentences."""
    chunks: list[str] = []
    current = ""
    for message in messages:
        for sentence in re.split(r"(?<=[.!?])\s+", message) if len(message) > limit else [message]:
            candidate = f"{current} {sentence}".strip()
            if len(candidate) <= limit:
                current = candidate
                continue
            if current:
                chunks.append(current)
            current = sentence[:limit]
    if current:
        chunks.append(current)
    return chunks


def _twiml(messages: list[str]) -> HttpResponse:
    response = MessagingResponse()
    for chunk in split_reply(messages, settings.SMS_REPLY_MAX_CHARS):
        response.message(chunk)
    return HttpResponse(str(response), content_type="text/xml")
