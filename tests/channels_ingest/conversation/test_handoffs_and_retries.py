"""Hand-offs from every conversational channel into the agent screen's queue, and voice
webhooks Twilio sends again: each request built as Twilio sends it (signed), following the
action URL of the TwiML it was answered with, as Twilio does."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from channels_ingest.conversation.engine import TurnInput, conversation_for, conversation_turn
from channels_ingest.conversation.models import Conversation, InboundMessage, Transport
from channels_ingest.phone.models import Handoff, HandoffState
from tests.channels_ingest.conversation.test_sms import sms

pytestmark = pytest.mark.django_db
CALLER = "+447700900777"
CALL_SID = "CA" + "7" * 32


class Call:
    """One phone call: posts where the last TwiML said to (Gather's action, or Redirect)."""

    def __init__(self, client: Client, call_sid: str = CALL_SID) -> None:
        self.client = client
        self.call_sid = call_sid
        self.action = reverse("twilio:voice")
        self.redirect = ""
        self.last_form: dict[str, str] = {}
        self.last_path = ""

    def post(self, path: str, **params: str) -> ET.Element:
        form = {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": CALLER,
            "To": "+447700900000",
            "CallStatus": "in-progress",
            "Direction": "inbound",
            **params,
        }
        self.last_form, self.last_path = form, path
        return self._send(path, form)

    def _send(self, path: str, form: dict[str, str]) -> ET.Element:
        signature = RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
            "http://testserver" + path, form
        )
        response = self.client.post(path, form, HTTP_X_TWILIO_SIGNATURE=signature)
        assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
        root = ET.fromstring(response.content)  # noqa: S314 (our own TwiML, in a test)
        gather = root.find("Gather")
        redirect = root.find("Redirect")
        self.action = gather.get("action", "") if gather is not None else ""
        self.redirect = redirect.text or "" if redirect is not None else ""
        return root

    def start(self) -> ET.Element:
        return self.post(reverse("twilio:voice"))

    def say(self, text: str, confidence: str = "0.93") -> ET.Element:
        return self.post(self.action, SpeechResult=text, Confidence=confidence)

    def press(self, digits: str) -> ET.Element:
        return self.post(self.action, Digits=digits)

    def silence(self) -> ET.Element:
        return self.post(self.redirect)

    def again(self) -> ET.Element:
        """Twilio sends the very same request once more (a retry)."""
        return self._send(self.last_path, self.last_form)


def said(root: ET.Element) -> str:
    return " ".join(el.text or "" for el in root.iter("Say"))


def enqueued(root: ET.Element) -> bool:
    enqueue = root.find("Enqueue")
    return enqueue is not None and enqueue.text == settings.TWILIO_VOICE_QUEUE


def the_handoff() -> Handoff:
    conversation = Conversation.objects.get(transport=Transport.VOICE)
    return Handoff.objects.select_related("draft").get(conversation_ref=str(conversation.pk))


@pytest.mark.parametrize("how", ["say agent", "press 0", "silence twice", "not understood three times"])
def test_a_voice_hand_off_is_enqueued_and_waits_in_the_agent_queue(client: Client, how: str) -> None:
    call = Call(client)
    call.start()
    call.say("Jane Example", confidence="0.88")
    call.say("23rd April 1986", confidence="0.91")
    call.press("")  # nothing keyed: the question again (not a miss)
    if how == "say agent":
        root = call.say("I want to talk to a person")
    elif how == "press 0":
        root = call.press("0")
    elif how == "silence twice":
        call.silence()
        root = call.silence()
    else:
        call.say("AB-123456-C")  # the national id; then the email, never understood
        for _ in range(settings.VOICE_MAX_MISSES):
            root = call.say("purple elephant", confidence="0.9")
        assert "not getting this right" in said(root)
    assert enqueued(root), how
    handoff = the_handoff()
    assert handoff.state == HandoffState.WAITING and handoff.draft.channel == "voice"
    assert handoff.draft.answers["full_name"] == "Jane Example"
    assert handoff.draft.answers["date_of_birth"] == "1986-04-23"
    for name, confidence in (("full_name", 0.88), ("date_of_birth", 0.91)):
        current = handoff.draft.provenance[name][-1]
        assert current["method"] == "speech" and current["confidence"] == confidence
        assert current["by"] == f"conversation:{handoff.conversation_ref}"


def test_keyed_answers_keep_their_method_in_the_queue(client: Client) -> None:
    call = Call(client)
    call.start()
    for _ in range(7):  # up to the employment status
        pending = Conversation.objects.get().pending_field
        if pending == "employment_status":
            break
        from tests.channels_ingest.conversation.test_engine import SAID

        call.say(SAID[pending])
    call.press("1")
    assert enqueued(call.press("0"))
    current = the_handoff().draft.provenance["employment_status"][-1]
    assert current["method"] == "keypad" and "confidence" not in current


def test_asking_twice_queues_once(client: Client) -> None:
    call = Call(client)
    call.start()
    call.say("agent")
    Call(client, call_sid="CA" + "8" * 32).start()
    call2 = Call(client, call_sid="CA" + "8" * 32)
    call2.start()
    assert enqueued(call2.say("agent"))
    assert Handoff.objects.count() == 1


def test_an_sms_hand_off_reaches_the_queue_as_typed_on_the_sms_channel(client: Client) -> None:
    sms(client, "hello")
    sms(client, "Jane Example")
    reply = sms(client, "can I talk to a person please")
    assert "member of our team" in reply
    conversation = Conversation.objects.get(transport=Transport.SMS)
    handoff = Handoff.objects.get(conversation_ref=str(conversation.pk))
    assert handoff.draft.channel == "sms" and "SMS" in handoff.reason
    current = handoff.draft.provenance["full_name"][-1]
    assert current["method"] == "typed" and current["channel"] == "sms" and "confidence" not in current


def test_a_chat_hand_off_reaches_the_queue_as_typed_on_the_chatbot_channel() -> None:
    conversation = conversation_for(transport=Transport.CHAT, key="chat-handoff")
    conversation_turn(conversation, TurnInput(text="hello"))
    conversation_turn(conversation, TurnInput(text="Jane Example"))
    reply = conversation_turn(conversation, TurnInput(text="agent"))
    assert reply.handoff
    handoff = Handoff.objects.get(conversation_ref=str(conversation.pk))
    assert handoff.draft.channel == "chatbot" and handoff.draft.answers["full_name"] == "Jane Example"
    assert handoff.draft.provenance["full_name"][-1]["method"] == "typed"


def test_the_agent_queue_page_says_how_each_person_asked(client: Client, carol: Any) -> None:
    sms(client, "hello")
    sms(client, "agent")
    agent = Client()
    agent.force_login(carol)
    page = agent.get(reverse("phone:handoffs")).content.decode()
    assert "asked for a person by SMS" in page and "<td>SMS</td>" in page


# --- Twilio sending the same request again -------------------------------------------------------


def test_a_repeated_gather_request_does_not_advance_the_dialog_twice(client: Client) -> None:
    call = Call(client)
    call.start()
    first = call.say("Jane Example")
    assert "date of birth" in said(first)
    again = call.again()  # the same CallSid, the same action URL, the same SpeechResult
    assert "date of birth" in said(again)
    conversation = Conversation.objects.get()
    assert conversation.turns == 1 and conversation.pending_field == "date_of_birth"
    assert len(conversation.draft.provenance["full_name"]) == 1
    call.say("23rd April 1986")
    call.again()
    call.again()
    conversation.refresh_from_db()
    assert conversation.turns == 2 and conversation.pending_field == "national_id"
    assert InboundMessage.objects.filter(conversation=conversation).count() == 2


def test_a_repeated_yes_to_a_read_back_is_taken_once(client: Client) -> None:
    call = Call(client)
    call.start()
    call.say("Jane Exemple", confidence="0.3")
    call.say("yes")
    call.again()  # a second "yes" would have answered the date of birth question
    conversation = Conversation.objects.get()
    assert conversation.pending_field == "date_of_birth" and conversation.turns == 2
    assert conversation.draft.answers == {"full_name": "Jane Exemple"}


def test_the_same_words_to_the_next_question_are_a_new_answer(client: Client) -> None:
    """Saying the same thing to two questions is two turns: the step tells them apart."""
    call = Call(client)
    call.start()
    call.say("Jane Example")
    call.post(call.action, SpeechResult="Jane Example", Confidence="0.93")  # to the next question
    conversation = Conversation.objects.get()
    assert conversation.turns == 2


def test_a_repeated_hand_off_queues_once(client: Client) -> None:
    call = Call(client)
    call.start()
    call.press("0")
    root = call.again()
    assert Handoff.objects.count() == 1 and root is not None


def test_a_retry_with_a_forged_signature_is_refused(client: Client) -> None:
    call = Call(client)
    call.start()
    call.say("Jane Example")
    response = client.post(call.last_path, call.last_form, HTTP_X_TWILIO_SIGNATURE="Zm9yZ2Vk")
    assert response.status_code == 403
