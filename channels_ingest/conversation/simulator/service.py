"""The phone simulator's service (DEBUG only): play an SMS or a voice conversation against the
platform's own Twilio webhooks, as Twilio would.

Each request carries the form parameters Twilio documents for the webhook, and an
X-Twilio-Signature computed exactly as Twilio computes it (the twilio library's
RequestValidator: HMAC-SHA1 under the auth token of the full URL followed by the POST
parameters sorted by name) with the local TWILIO_AUTH_TOKEN, over the URL the webhook will
check (TWILIO_WEBHOOK_BASE_URL when set, else this site's own address). The request goes
through the whole Django stack in-process (middleware, URL routing, the view), so it needs no
second server thread. The TwiML reply is read back into lines of a conversation: <Message>
texts for SMS; for voice the <Say> prompts, and what Twilio would do next (<Gather>'s action,
<Redirect> on silence, <Enqueue>, <Hangup>).
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

TO_NUMBER = "+15005550006"  # Twilio's test "to" number: no real line is involved


@dataclass
class Outcome:
    status: int
    lines: list[str] = field(default_factory=list)  # what the platform said
    notes: list[str] = field(default_factory=list)  # what Twilio would do (enqueue, hang up)
    action: str = ""  # voice: where Twilio posts the next answer (Gather's action)
    redirect: str = ""  # voice: where Twilio goes on silence
    ended: bool = False  # voice: the call ended or went to a person
    twiml: str = ""


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def signed_post(*, host: str, secure: bool, path: str, params: dict[str, str]) -> tuple[int, str]:
    """POST `params` to our own `path` signed as Twilio signs; (status, body)."""
    base = settings.TWILIO_WEBHOOK_BASE_URL or f"{'https' if secure else 'http'}://{host}"
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(base + path, params)
    client = Client(HTTP_HOST=host, enforce_csrf_checks=True)
    response = client.post(path, params, secure=secure, HTTP_X_TWILIO_SIGNATURE=signature)
    return response.status_code, response.content.decode("utf-8", "replace")


def sms_send(*, host: str, secure: bool, sender: str, body: str) -> Outcome:
    params = {
        "MessageSid": (sid := new_sid("SM")),
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "MessagingServiceSid": "",
        "From": sender,
        "To": TO_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsStatus": "received",
        "ApiVersion": "2010-04-01",
    }
    status, text = signed_post(host=host, secure=secure, path=reverse("twilio:sms"), params=params)
    outcome = Outcome(status=status, twiml=text)
    root = _parse(text)
    if root is not None:
        outcome.lines = [m.text or "" for m in root.iter("Message")]
        if not outcome.lines:
            outcome.notes.append("(no reply sent)")
    return outcome


def voice_post(
    *,
    host: str,
    secure: bool,
    path: str,
    caller: str,
    call_sid: str,
    speech: str = "",
    confidence: str = "",
    digits: str = "",
) -> Outcome:
    params = {
        "CallSid": call_sid,
        "AccountSid": "AC" + "0" * 32,
        "From": caller,
        "To": TO_NUMBER,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    if speech:
        params.update(SpeechResult=speech, Confidence=confidence or "0.9")
    if digits:
        params["Digits"] = digits
    status, text = signed_post(host=host, secure=secure, path=path or reverse("twilio:voice"), params=params)
    return read_voice(status, text)


def call_ended(*, host: str, secure: bool, caller: str, call_sid: str) -> int:
    """Twilio's status callback after a hang-up."""
    params = {"CallSid": call_sid, "From": caller, "To": TO_NUMBER, "CallStatus": "completed"}
    status, _ = signed_post(host=host, secure=secure, path=reverse("twilio:voice-status"), params=params)
    return status


def read_voice(status: int, text: str) -> Outcome:
    outcome = Outcome(status=status, twiml=text)
    root = _parse(text)
    if root is None:
        outcome.ended = True
        return outcome
    outcome.lines = [say.text or "" for say in root.iter("Say")]
    gather = root.find("Gather")
    if gather is not None:
        outcome.action = gather.get("action", "")
        hints = gather.get("hints", "")
        if hints:
            outcome.notes.append(f"(listening for speech or keys; hints: {hints[:120]})")
    redirect = root.find("Redirect")
    if redirect is not None:
        outcome.redirect = redirect.text or ""
    enqueue = root.find("Enqueue")
    if enqueue is not None:
        outcome.notes.append(f"(call put in the queue “{enqueue.text}” for a person)")
        outcome.ended = True
    if root.find("Hangup") is not None:
        outcome.notes.append("(the platform hung up)")
        outcome.ended = True
    return outcome


def _parse(text: str) -> Any:
    try:
        return ET.fromstring(text)  # noqa: S314 (our own webhook's TwiML)
    except ET.ParseError:
        return None
