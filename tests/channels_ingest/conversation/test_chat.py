"""The web chat's endpoint: a session-bound conversation; anonymous until it sends, when the
person logs in (the verified step linking the conversation and its application to them)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from applicants.models import Application
from channels_ingest.conversation.models import Conversation, Transport
from tests.channels_ingest.conversation.test_engine import SAID

pytestmark = pytest.mark.django_db


def turn(client: Client, text: str) -> dict[str, Any]:
    response = client.post(
        reverse("conversation:chat-turn"), json.dumps({"text": text}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def walk(client: Client) -> dict[str, Any]:
    client.get(reverse("conversation:chat"))
    data: dict[str, Any] = {"field": "full_name"}
    for _ in range(60):
        if not data["field"]:
            return data
        data = turn(client, SAID[data["field"]])
    raise AssertionError(data)


def test_the_page_greets_and_carries_its_script_without_inline_code(client: Client) -> None:
    page = client.get(reverse("conversation:chat"))
    html = page.content.decode()
    assert page.status_code == 200 and "full name" in html and 'role="log"' in html
    assert "conversation/chat.js" in html and "<script>" not in html and " onclick" not in html


def test_anonymous_chat_answers_questions_then_asks_to_log_in(
    client: Client, alice: Any, active_model: Any
) -> None:
    client.get(reverse("conversation:chat"))
    data = turn(client, "what interest rate?")
    assert "rate depends" in " ".join(data["messages"]) and data["field"] == "full_name"
    data = walk(client)
    assert data["kind"] == "confirm"
    data = turn(client, "yes")
    assert data["needs_account"] and "log in" in data["messages"][0]
    assert data["login_url"].startswith(reverse("account_login"))
    assert not Application.objects.exists()
    client.force_login(alice)  # the session (and its conversation) goes through the login
    data = turn(client, "yes")
    assert data["kind"] == "submitted" and data["status_url"]
    application = Application.objects.get()
    assert application.owner_id == alice.pk and application.channel == "chatbot"
    assert client.get(data["status_url"]).status_code == 200  # hers: the web form's status page
    assert Conversation.objects.get(transport=Transport.CHAT).user_id == alice.pk


def test_a_conversation_is_its_session_s_and_then_its_account_s(alice: Any, bob: Any) -> None:
    first, other = Client(), Client()
    first.force_login(alice)
    first.get(reverse("conversation:chat"))  # greeted: the next message answers the question
    turn(first, "Alice Example")
    other.force_login(bob)
    data = turn(other, "hello")
    assert data["field"] == "full_name"  # bob has his own conversation, not alice's
    assert Conversation.objects.filter(transport=Transport.CHAT).count() == 2
    # alice on another device picks hers up
    device = Client()
    device.force_login(alice)
    data = turn(device, "summary")
    assert "Alice Example" in " ".join(data["messages"])


def test_staff_cannot_send_an_application_for_themselves(make_user: Any) -> None:
    agent = make_user("agent_chat", Role.AGENT)
    client = Client()
    client.force_login(agent)
    walk(client)
    data = turn(client, "yes")
    assert data["needs_account"] and "cannot apply" in data["messages"][0]
    assert not Application.objects.exists()


@pytest.mark.parametrize("body", ["", "{}", "[]", "not json", '{"text": 5}', '{"text": "   "}'])
def test_bad_bodies_are_400_never_500(client: Client, body: str) -> None:
    response = client.post(reverse("conversation:chat-turn"), body, content_type="application/json")
    assert response.status_code == 400 and "error" in response.json()


def test_a_message_too_long_is_refused(client: Client) -> None:
    response = client.post(
        reverse("conversation:chat-turn"), json.dumps({"text": "a" * 1001}), content_type="application/json"
    )
    assert response.status_code == 400
