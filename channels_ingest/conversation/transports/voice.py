"""The voice bot over Twilio Voice webhooks: one <Gather input="speech dtmf"> per question,
with hints from the field's choices. A spoken answer is captured as `speech` with Twilio's
Confidence; keyed digits as `keypad`. Pressing 0 or saying "agent" hands the call to a person
(<Enqueue> to TWILIO_VOICE_QUEUE, and an entry in the agent screen's hand-off queue); silence
re-prompts, then offers a person. One conversation per calling number (a keyed hash), so a
hang-up keeps the draft and calling again carries on.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.voice_response import VoiceResponse

from accounts.access import can_post_twilio_webhook
from applicants.provenance import Method
from applicants.schema import get_schema
from channels_ingest.conversation.engine import (
    Reply,
    TurnInput,
    conversation_for,
    conversation_opening,
    conversation_turn,
)
from channels_ingest.conversation.models import Conversation, Transport
from channels_ingest.conversation.transports.twilio_signing import sender_key, signed_by_twilio

NO_INPUT = "Sorry, I didn't catch that."


@csrf_exempt
@require_POST
def inbound_call(request: HttpRequest) -> HttpResponse:
    if not can_post_twilio_webhook(signed=signed_by_twilio(request)):
        return HttpResponse("Invalid or missing X-Twilio-Signature", status=403, content_type="text/plain")
    caller = request.POST.get("From", "").strip() or request.POST.get("CallSid", "")
    if not caller:
        return _twiml(_hangup("We could not identify this call. Goodbye."))
    conversation = conversation_for(transport=Transport.VOICE, key=sender_key(caller))
    speech = request.POST.get("SpeechResult", "").strip()
    digits = request.POST.get("Digits", "").strip()
    silent = _counter(request, "silent")
    misses = _counter(request, "misses")
    delivery = _delivery_id(request, speech, digits)
    if digits == "0":
        speech, digits = "agent", ""
    if speech:
        confidence = _confidence(request.POST.get("Confidence", ""))
        said = TurnInput(text=speech[:500], method=Method.SPEECH, confidence=confidence, message_sid=delivery)
        reply = conversation_turn(conversation, said)
    elif digits:
        reply = conversation_turn(
            conversation, TurnInput(text=digits[:40], method=Method.KEYPAD, message_sid=delivery)
        )
    elif silent >= 2:
        reply = conversation_turn(conversation, TurnInput(text="agent", message_sid=delivery))
    else:
        reply = conversation_opening(conversation)
        if silent:
            reply.messages.insert(0, NO_INPUT)
    if reply.duplicate:
        # Twilio sent this request again: the turn was taken; ask what is pending now.
        return _twiml(_respond(conversation_opening(conversation), conversation, silent=0, misses=misses))
    misses = misses + 1 if reply.kind in MISSED else 0
    if misses >= settings.VOICE_MAX_MISSES and not reply.handoff:
        reply = conversation_turn(conversation, TurnInput(text="agent"))
        reply.messages.insert(0, NOT_GETTING_IT)
    return _twiml(_respond(reply, conversation, silent=silent, misses=misses))


# Replies that mean the answer was not understood or not accepted (the question is asked again).
MISSED = frozenset({"reask", "unread"})
NOT_GETTING_IT = "I'm sorry, I'm not getting this right."


def _counter(request: HttpRequest, name: str) -> int:
    raw = request.GET.get(name, "")
    return min(int(raw), 9) if raw.isdigit() else 0


def _delivery_id(request: HttpRequest, speech: str, digits: str) -> str:
    """An id for this delivery, so a request Twilio sends again is taken once: the call, the
    question it answers (the `step` our own Gather put in its action URL) and what was said.
    Without a step (not a reply to one of our Gathers) there is nothing to dedupe on."""
    step = request.GET.get("step", "")
    call_sid = request.POST.get("CallSid", "")
    if not step.isdigit() or not call_sid:
        return ""
    silent = request.GET.get("silent", "")
    raw = "\x1f".join((call_sid, step, silent, speech, digits))
    return "voice:" + hashlib.sha256(raw.encode()).hexdigest()[:58]


CALL_STATUSES = frozenset(
    {"queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"}
)


@csrf_exempt
@require_POST
def call_status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback: how the call ended, kept on the caller's conversation (the
    draft stays whatever the ending: calling again carries on)."""
    if not can_post_twilio_webhook(signed=signed_by_twilio(request)):
        return HttpResponse("Invalid or missing X-Twilio-Signature", status=403, content_type="text/plain")
    caller = request.POST.get("From", "").strip()
    status = request.POST.get("CallStatus", "").strip().lower()
    if caller and status in CALL_STATUSES:
        Conversation.objects.filter(transport=Transport.VOICE, key=sender_key(caller)).update(
            last_call_status=status
        )
    return HttpResponse(status=204)


def _respond(reply: Reply, conversation: Conversation, *, silent: int, misses: int) -> VoiceResponse:
    response = VoiceResponse()
    if reply.handoff:
        response.say(" ".join(reply.messages))
        response.enqueue(settings.TWILIO_VOICE_QUEUE)
        return response
    if reply.kind in ("stopped", "submitted", "status"):
        return _hangup(" ".join(reply.messages))
    # The step (how many turns the conversation has taken) makes each question's answer a
    # distinct delivery: the same request sent again by Twilio carries the same step.
    base = f"{reverse('twilio:voice')}?step={conversation.turns}"
    action = base + (f"&misses={misses}" if misses else "")
    gather = response.gather(
        input="speech dtmf",
        action=action,
        method="POST",
        speech_timeout="auto",
        timeout=6,
        hints=_hints(reply.field),
        finish_on_key="#",
    )
    gather.say(" ".join(reply.messages))
    # No answer: Twilio goes on to the next verb, which asks again (then offers a person).
    response.redirect(f"{base}&silent={silent + 1}", method="POST")
    return response


def _hints(field_name: str) -> str:
    spec = get_schema().by_name.get(field_name)
    words = ["agent", "back", "help", "summary", "yes", "no", "skip"]
    if spec is not None and spec.choices:
        words = [c.label for c in spec.choices] + words
    return ", ".join(words)[:1000]


def _hangup(text: str) -> VoiceResponse:
    response = VoiceResponse()
    response.say(text)
    response.hangup()
    return response


def _confidence(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return min(max(value, 0.0), 1.0)


def _twiml(response: VoiceResponse) -> HttpResponse:
    return HttpResponse(str(response), content_type="text/xml")
