"""The phone simulator (/dev/phone/): absent (404) unless DEBUG; with DEBUG, it plays SMS and
voice against the platform's own webhooks with requests signed as Twilio signs them, and
shows the replies as a conversation."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from channels_ingest.conversation.models import Conversation, Transport
from channels_ingest.conversation.simulator import service
from channels_ingest.conversation.transports.twilio_signing import sender_key
from channels_ingest.phone.models import Handoff

pytestmark = pytest.mark.django_db
NUMBER = "+15005550123"


@pytest.fixture
def debug(settings: Any) -> Any:
    settings.DEBUG = True
    return settings


def act(client: Client, **form: str) -> str:
    response = client.post(reverse("simulator:phone"), form, follow=True)
    assert response.status_code in (200, 400)
    return response.content.decode()


def test_without_debug_there_is_no_simulator(client: Client, settings: Any, make_user: Any) -> None:
    settings.DEBUG = False
    assert client.get("/dev/phone/").status_code == 404
    assert client.post("/dev/phone/", {"do": "sms", "text": "hello"}).status_code == 404
    client.force_login(make_user("boss", "admin"))
    assert client.get("/dev/phone/").status_code == 404
    assert not Conversation.objects.exists()


def test_an_sms_conversation_through_the_signed_webhook(client: Client, debug: Any) -> None:
    page = client.get(reverse("simulator:phone")).content.decode()
    assert "Phone simulator" in page and "Nothing yet." in page
    act(client, do="setup", channel="sms", number=NUMBER)
    page = act(client, do="sms", text="hello")
    assert "full name" in page
    page = act(client, do="sms", text="Jane Example")
    assert "date of birth" in page
    conversation = Conversation.objects.get(transport=Transport.SMS, key=sender_key(NUMBER))
    assert conversation.draft.answers == {"full_name": "Jane Example"}
    assert "&lt;Response&gt;" in page  # the TwiML, shown escaped


def test_a_voice_call_with_a_settable_confidence_and_a_hand_off(client: Client, debug: Any) -> None:
    act(client, do="setup", channel="voice", number=NUMBER)
    page = act(client, do="call")
    assert "full name" in page and "Say it" in page
    page = act(client, do="say", text="Jane Exemple", confidence="0.31")
    assert "I heard: Jane Exemple. Is that right?" in page
    page = act(client, do="say", text="yes", confidence="0.95")
    assert "date of birth" in page
    page = act(client, do="silence")
    assert "didn&#x27;t catch" in page or "didn't catch" in page
    page = act(client, do="keys", digits="0")
    assert "for a person" in page and "Call the platform" in page  # the call went to the queue
    conversation = Conversation.objects.get(transport=Transport.VOICE, key=sender_key(NUMBER))
    assert conversation.draft.provenance["full_name"][-1]["confidence"] == 0.31
    assert Handoff.objects.filter(conversation_ref=str(conversation.pk)).exists()


def test_hanging_up_sends_the_status_callback(client: Client, debug: Any) -> None:
    act(client, do="setup", channel="voice", number=NUMBER)
    act(client, do="call")
    act(client, do="say", text="Jane Example", confidence="0.9")
    page = act(client, do="hangup")
    assert "you hung up" in page
    assert Conversation.objects.get(transport=Transport.VOICE).last_call_status == "completed"


@pytest.mark.parametrize(
    "form",
    [
        {"do": "setup", "channel": "fax", "number": NUMBER},
        {"do": "setup", "channel": "sms", "number": "call me"},
        {"do": "say", "text": "hello", "confidence": "2"},
        {"do": "keys", "digits": "abc"},
        {"do": "sms", "text": ""},
        {"do": "teleport"},
    ],
)
def test_bad_input_is_a_message_and_sends_nothing(client: Client, debug: Any, form: dict[str, str]) -> None:
    if form["do"] in ("say", "keys"):
        act(client, do="setup", channel="voice", number=NUMBER)
        act(client, do="call")
    before = Conversation.objects.count()
    response = client.post(reverse("simulator:phone"), form)
    assert response.status_code == 400 and 'id="sim-error"' in response.content.decode()
    assert Conversation.objects.count() == before


def test_the_service_signs_as_twilio_does(client: Client, debug: Any, settings: Any) -> None:
    """What the service sends is what the twilio library's validator accepts: the webhook
    takes it, while the same form with another account's signature is refused."""
    from twilio.request_validator import RequestValidator

    params = {"From": NUMBER, "Body": "hello", "MessageSid": service.new_sid("SM")}
    path = reverse("twilio:sms")
    forged = RequestValidator("another-account-token").compute_signature("http://testserver" + path, params)
    assert client.post(path, params, HTTP_X_TWILIO_SIGNATURE=forged).status_code == 403
    assert not Conversation.objects.exists()
    status, body = service.signed_post(host="testserver", secure=False, path=path, params=params)
    assert status == 200 and "full name" in body
    assert Conversation.objects.filter(key=sender_key(NUMBER)).exists()
