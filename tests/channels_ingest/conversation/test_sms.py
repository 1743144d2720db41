"""SMS over Twilio's Messaging webhook, replayed as Twilio sends it: the documented form
parameters, signed with RequestValidator's algorithm under the test auth token."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from twilio.request_validator import RequestValidator

from applicants.models import Application
from channels_ingest.conversation.models import Conversation, InboundMessage, Transport
from channels_ingest.conversation.transports.sms import split_reply
from scoring.models import Decision
from scoring.services import score_waiting_applications
from tests.channels_ingest.conversation.test_engine import SAID

pytestmark = pytest.mark.django_db
SENDER = "+447700900123"
_sids = itertools.count(1)


def twilio_params(body: str, *, sender: str = SENDER, sid: str | None = None) -> dict[str, str]:
    return {
        "ToCountry": "GB",
        "SmsMessageSid": sid or "",
        "NumMedia": "0",
        "MessageSid": sid or f"SM{next(_sids):032x}",
        "AccountSid": "AC" + "0" * 32,
        "From": sender,
        "To": "+447700900000",
        "Body": body,
        "NumSegments": "1",
        "ApiVersion": "2010-04-01",
        "SmsStatus": "received",
    }


def send(
    client: Client, params: dict[str, str], *, token: str | None = None, signature: str | None = None
) -> Any:
    url = "http://testserver" + reverse("twilio:sms")
    signed = RequestValidator(token or settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)
    headers: dict[str, Any] = {} if signature == "" else {"HTTP_X_TWILIO_SIGNATURE": signature or signed}
    return client.post(reverse("twilio:sms"), params, **headers)


def texts_of(response: Any) -> list[str]:
    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own TwiML, in a test)
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


def sms(client: Client, body: str, **kwargs: Any) -> str:
    return " ".join(texts_of(send(client, twilio_params(body, **kwargs))))


@pytest.fixture
def client() -> Client:
    return Client()


def test_a_whole_application_by_sms_to_a_scored_decision(client: Client, active_model: Any) -> None:
    reply = sms(client, "Hi, I'd like a loan")
    assert "Hello" in reply and "full name" in reply
    reply = sms(client, "I earn 54k and want 12k over 3 years")  # three at once
    for name, said in SAID.items():
        if name in ("annual_income", "requested_amount", "term_months"):
            continue
        reply = sms(client, said)
    assert "Shall I send" in reply and "Annual income: 54,000." in reply
    reply = sms(client, "yes")
    assert "your application is sent" in reply
    application = Application.objects.get(channel="sms")
    assert application.answers["requested_amount"] == 12000 and application.submitted_by is None
    assert application.owner_id is None  # an SMS belongs to no account
    score_waiting_applications()
    decision = Decision.objects.get(application=application)
    assert decision.tier in ("low", "medium", "high")
    reply = sms(client, "how is my application going?")
    application.refresh_from_db()
    assert reply  # the status in plain words (or the FAQ answer for "how long")
    # the number is never stored: the conversation is keyed by a keyed hash of it
    conversation = Conversation.objects.get(transport=Transport.SMS)
    assert SENDER not in conversation.key and "7700900123" not in conversation.key


def test_unsigned_and_wrongly_signed_requests_are_refused_and_change_nothing(client: Client) -> None:
    params = twilio_params("hello")
    assert send(client, params, signature="").status_code == 403
    assert send(client, params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert send(client, params, token="another-account-token").status_code == 403
    tampered = send(
        client,
        {**params, "Body": "changed"},
        signature=RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(
            "http://testserver" + reverse("twilio:sms"), params
        ),
    )
    assert tampered.status_code == 403
    assert not Conversation.objects.exists() and not InboundMessage.objects.exists()
    assert client.get(reverse("twilio:sms")).status_code == 405


def test_the_same_message_sid_is_processed_once(client: Client) -> None:
    sms(client, "hello")
    params = twilio_params("Jane Example", sid="SM" + "d" * 32)
    first = texts_of(send(client, params))
    again = texts_of(send(client, params))
    assert first and again == []
    conversation = Conversation.objects.get()
    assert conversation.draft.answers == {"full_name": "Jane Example"}
    assert len(conversation.draft.provenance["full_name"]) == 1


def test_stop_start_and_help_keywords(client: Client) -> None:
    sms(client, "hello")
    sms(client, "Jane Example")
    assert "no more messages" in sms(client, "STOP")
    assert sms(client, "23 April 1986") == ""  # opted out: nothing sent, nothing taken
    conversation = Conversation.objects.get()
    assert conversation.opted_out and "date_of_birth" not in conversation.draft.answers
    reply = sms(client, "START")
    assert "Welcome back" in reply and "date of birth" in reply
    reply = sms(client, "HELP")
    assert "Reply STOP" in reply and "18 or over" in reply


def test_one_conversation_per_number(client: Client) -> None:
    sms(client, "hello")
    sms(client, "Jane Example")
    reply = sms(client, "hello", sender="+447700900999")
    assert "full name" in reply
    assert Conversation.objects.filter(transport=Transport.SMS).count() == 2


def test_bad_input_never_500(client: Client) -> None:
    for body in (
        "",
        " ",
        "\x00\x01",
        "🙂" * 500,
        "a" * 5000,
        "%s{}[]<>&",
        "change to",
        "change my nothing to something",
        "?",
    ):
        assert send(client, twilio_params(body)).status_code == 200
    assert send(client, {**twilio_params("x"), "From": ""}).status_code == 200


def test_long_replies_are_split_between_sentences() -> None:
    parts = split_reply(["First sentence here. " * 40, "Short."], 160)
    assert all(len(p) <= 160 for p in parts) and len(parts) > 3
    assert all(p.endswith((".", "here")) for p in parts)


CLAIM_SAID = {
    "policy_number": "POL123456",
    "claimant_name": "Sam Driver",
    "date_of_birth": "2 March 1980",
    "vehicle_age_years": "five",
    "vehicle_value": "£18k",
    "claim_amount": "2,500",
    "incident_type": "colision",
    "police_report": "yes",
    "prior_claims_3y": "none",
}


def test_a_car_insurance_claim_by_sms(client: Client, settings: Any) -> None:
    """Another schema, no prompts of its own: asked by label, the same parsing, submitted
    and scored."""
    from applicants.schema import get_schema
    from demo.training import model_train_synthetic
    from modelops.registry import model_version_bootstrap
    from tests.conftest import CAR_SCHEMA

    settings.APPLICATION_SCHEMA = CAR_SCHEMA
    schema = get_schema()
    model_version_bootstrap(model=model_train_synthetic(schema=schema, rows=800, seed=3), note="car")
    reply = sms(client, "hello")
    assert "What is your policy number?" in reply
    for _ in range(20):
        if "Shall I send" in reply:
            break
        reply = sms(client, CLAIM_SAID[Conversation.objects.get().pending_field])
    assert "Shall I send" in reply and "Incident type: collision." in reply
    assert "yes" in sms(client, "change my vehicle value to 20,000").lower()
    assert "your application is sent" in sms(client, "yes")
    application = Application.objects.get()
    assert application.answers["vehicle_value"] == 20000 and application.answers["prior_claims_3y"] == 0
    score_waiting_applications()
    assert Decision.objects.get(application=application).tier in ("low", "medium", "high")


def test_deploy_check_refuses_the_local_token(settings: Any) -> None:
    from channels_ingest.conversation.checks import LOCAL_TOKEN, twilio_token_is_real

    settings.TWILIO_AUTH_TOKEN = LOCAL_TOKEN
    assert [e.id for e in twilio_token_is_real()] == ["conversation.E001"]
    settings.TWILIO_AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
    assert twilio_token_is_real() == []
