"""The web chat in a real browser (headless Chromium): an anonymous visitor chats through a
whole application with a question in the middle, is asked to log in before sending, logs in,
comes back to the chat, says yes, and follows the link to the scored status."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

import pytest
from allauth.account.models import EmailAddress

from accounts.roles import Role
from applicants.models import Application
from modelops.registry import model_version_bootstrap, model_version_register
from scoring.services import score_waiting_applications
from tests.channels_ingest.conversation.test_engine import SAID
from tests.e2e.conftest import ARGS, chromium, playwright_driver  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(playwright_driver: Any, chromium: Any) -> Any:  # noqa: F811
    profile = tempfile.mkdtemp(prefix="e2e-chat-")
    context = playwright_driver.chromium.launch_persistent_context(
        profile, executable_path=str(chromium), headless=True, args=ARGS
    )
    context.set_default_timeout(15_000)
    page = context.pages[0] if context.pages else context.new_page()
    page.problems = []
    page.on("console", lambda m: m.type == "error" and page.problems.append(m.text))
    yield page
    context.close()
    shutil.rmtree(profile, ignore_errors=True)


def say(page: Any, text: str) -> str:
    """Type a message, wait for the reply, return the last bot bubble's text."""
    before = page.locator("#chat-log li.bot").count()
    page.fill("#chat-text", text)
    page.keyboard.press("Enter")
    page.wait_for_function("n => document.querySelectorAll('#chat-log li.bot').length > n", arg=before)
    return page.locator("#chat-log li.bot").last.inner_text()


def test_chat_from_greeting_to_scored_status(
    page: Any, live_server: Any, make_user: Any, trained_default: Any
) -> None:
    from applicants.schema import get_schema

    model_version_bootstrap(
        model=model_version_register(
            trained=trained_default,
            schema=get_schema(),
            training_source="tests",
            review_policy={"review_tiers": ["medium", "high"], "low_sample_rate": 0.0},
        ),
        note="chat",
    )
    user = make_user("chatter", Role.APPLICANT)
    user.email = "chatter@example.com"
    user.set_password("a-long-pass-phrase-9")
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    base = live_server.url
    page.goto(f"{base}/chat/")
    assert "full name" in page.locator("#chat-log").inner_text()
    assert page.locator("#chat-log").get_attribute("aria-live") == "polite"
    assert page.evaluate("document.activeElement.id") == "chat-text"  # keyboard ready

    for index, (name, said) in enumerate(SAID.items()):
        if index == 5:  # a question on the way, then back to the pending question
            reply = say(page, "how long does it take?")
            assert "What is your home address?" in reply
        reply = say(page, said)
        del name
    assert "Shall I send" in reply
    reply = say(page, "yes")
    assert "log in" in reply
    assert page.locator("#chat-login").is_visible()
    assert not Application.objects.exists()

    page.click("#chat-login")
    page.fill("#id_login", user.email)
    page.fill("#id_password", "a-long-pass-phrase-9")
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/chat/")
    assert "Shall I send" in page.locator("#chat-log").inner_text()  # the place is kept
    reply = say(page, "yes")
    assert "your application is sent" in reply
    application = Application.objects.get()
    assert application.owner_id == user.pk and application.channel == "chatbot"

    score_waiting_applications()
    page.click("#chat-status")
    page.wait_for_url(f"{base}/apply/applications/{application.pk}/")
    page.wait_for_selector("text=Decided")
    assert page.problems == []
