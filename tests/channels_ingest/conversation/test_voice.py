"""The voice bot through Twilio Voice webhooks, replayed as Twilio sends them (signed)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from applicants.models import Application
from channels_ingest.conversation.models import Conversation, Transport
from tests.channels_ingest.conversation.test_engine import SAID

pytestmark = pytest.mark.django_db
CALLER = "+447700900555"


def call(client: Client, query: str = "", **params: str) -> ET.Element:
    form = {
        "CallSid": "CA" + "1" * 32,
        "AccountSid": "AC" + "0" * 32,
        "From": CALLER,
        "To": "+447700900000",
        "CallStatus": "in-progress",
        "Direction": "inbound",
        **params,
    }
    path = reverse("twilio:voice") + query
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
        "http://testserver" + path, form
    )
    response = client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    return ET.fromstring(response.content)  # noqa: S314 (our own TwiML, in a test)


def said(root: ET.Element) -> str:
    return " ".join(el.text or "" for el in root.iter("Say"))


def test_a_call_gathers_speech_and_keypad_with_confidence(client: Client, active_model: Any) -> None:
    root = call(client)
    gather = root.find("Gather")
    assert gather is not None and gather.get("input") == "speech dtmf"
    assert "full name" in said(root) and root.find("Redirect") is not None
    root = call(client, SpeechResult="Jane Example", Confidence="0.62")
    assert "date of birth" in said(root)
    for name, answer in SAID.items():
        if name == "full_name":
            continue
        if name == "employment_status":
            root = call(client, Digits="1")  # the first option, keyed
            continue
        root = call(client, SpeechResult=answer, Confidence="0.93")
    assert "Shall I send" in said(root)
    root = call(client, SpeechResult="yes", Confidence="0.95")
    assert "application is sent" in said(root) and root.find("Hangup") is not None
    application = Application.objects.get(channel="voice")
    provenance = application.provenance
    assert provenance["full_name"][-1]["method"] == "speech"
    assert provenance["full_name"][-1]["confidence"] == 0.62
    assert provenance["employment_status"][-1]["method"] == "keypad"


def test_choice_hints_come_from_the_schema(client: Client) -> None:
    call(client)
    for name in ("full_name", "date_of_birth", "national_id", "email", "phone", "address", "postcode"):
        root = call(client, SpeechResult=SAID[name], Confidence="0.9")
    assert "employment status" in said(root)
    assert "Employed full-time" in root.find("Gather").get("hints")


def test_zero_or_agent_hands_off_to_the_queue(client: Client) -> None:
    call(client)
    root = call(client, Digits="0")
    enqueue = root.find("Enqueue")
    assert enqueue is not None and enqueue.text == settings.TWILIO_VOICE_QUEUE
    conversation = Conversation.objects.get(transport=Transport.VOICE)
    assert conversation.handoff_requested_at is not None


def test_a_voice_hand_off_arrives_in_the_agent_queue_with_confidences(client: Client) -> None:
    from channels_ingest.phone.models import Handoff

    call(client)
    root = call(client, SpeechResult="Jane Example", Confidence="0.55")
    assert "I heard: Jane Example. Is that right?" in said(root)
    root = call(client, SpeechResult="yes", Confidence="0.9")
    assert "date of birth" in said(root)
    call(client, SpeechResult="talk to a person", Confidence="0.9")
    handoff = Handoff.objects.get()
    conversation = Conversation.objects.get(transport=Transport.VOICE)
    assert handoff.conversation_ref == str(conversation.pk)
    assert handoff.draft.answers["full_name"] == "Jane Example"
    assert handoff.draft.provenance["full_name"][-1]["confidence"] == 0.55


def test_silence_reprompts_then_offers_a_person(client: Client) -> None:
    call(client)
    root = call(client, "?silent=1")
    assert "didn't catch" in said(root) and root.find("Gather") is not None
    root = call(client, "?silent=2")
    assert root.find("Enqueue") is not None


def test_unsigned_calls_are_refused(client: Client) -> None:
    response = client.post(reverse("twilio:voice"), {"From": CALLER, "SpeechResult": "hi"})
    assert response.status_code == 403 and not Conversation.objects.exists()


def test_a_hang_up_keeps_the_draft_and_calling_again_carries_on(client: Client) -> None:
    call(client)
    call(client, SpeechResult="Jane Example", Confidence="0.9")
    root = call(client, CallSid="CA" + "2" * 32)  # a new call from the same number
    assert "Welcome back" in said(root) and "date of birth" in said(root)


def test_a_low_confidence_answer_is_read_back_before_it_is_kept(client: Client) -> None:
    call(client)
    root = call(client, SpeechResult="Jane Exemple", Confidence="0.31")
    assert "I heard: Jane Exemple" in said(root)
    conversation = Conversation.objects.get()
    assert conversation.draft_id is None or "full_name" not in conversation.draft.answers
    root = call(client, SpeechResult="no", Confidence="0.9")
    assert "try again" in said(root) and "full name" in said(root)
    root = call(client, SpeechResult="Jane Example", Confidence="0.97")  # sure: kept at once
    assert "date of birth" in said(root)
    conversation.refresh_from_db()
    assert conversation.draft.answers["full_name"] == "Jane Example"
    assert conversation.draft.provenance["full_name"][-1]["confidence"] == 0.97
    # a read-back, then the answer said again instead of yes or no: taken as the new answer
    call(client, SpeechResult="23rd April 1986", Confidence="0.4")
    root = call(client, SpeechResult="24th April 1986", Confidence="0.92")
    conversation.refresh_from_db()
    assert conversation.draft.answers["date_of_birth"] == "1986-04-24"
    assert not conversation.unconfirmed


def test_the_status_callback_records_how_the_call_ended(client: Client) -> None:
    call(client)
    call(client, SpeechResult="Jane Example", Confidence="0.9")
    form = {"CallSid": "CA" + "1" * 32, "From": CALLER, "CallStatus": "completed"}
    path = reverse("twilio:voice-status")
    assert client.post(path, form).status_code == 403  # unsigned
    signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
        "http://testserver" + path, form
    )
    assert client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 204
    conversation = Conversation.objects.get()
    assert conversation.last_call_status == "completed"
    assert conversation.draft.answers["full_name"] == "Jane Example"  # the hang-up keeps it
