"""The phone simulator in a real browser (headless Chromium), with DEBUG on: an SMS exchange,
then a voice call with a low-confidence answer read back, keyed digits and a hand-off, all
from the keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from channels_ingest.conversation.models import Conversation, Transport
from tests.channels_ingest.conversation.test_chat_browser import page  # noqa: F401 (fixture)
from tests.e2e.conftest import chromium, playwright_driver  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_text(page: Any) -> str:  # noqa: F811
    return page.locator("#sim-log").inner_text()


def test_the_simulator_plays_sms_and_voice(page: Any, live_server: Any, settings: Any) -> None:  # noqa: F811
    settings.DEBUG = True
    page.goto(f"{live_server.url}/dev/phone/")
    assert page.locator("h1").inner_text() == "Phone simulator"
    page.fill("#sim-text", "hello")  # SMS is the default channel
    page.keyboard.press("Enter")
    page.wait_for_selector("#sim-log li.sim-platform")
    assert "full name" in log_text(page)
    page.fill("#sim-text", "my name is Jane Example")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#sim-log').innerText.includes('date of birth')")

    page.check("input[name=channel][value=voice]")
    page.click("#sim-setup button[type=submit]")
    page.click("#sim-call button[type=submit]")
    page.wait_for_selector("#sim-speech")
    assert "full name" in log_text(page)
    page.fill("#sim-speech", "Sam Caller")
    page.fill("#sim-confidence", "0.35")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.querySelector('#sim-log').innerText.includes('I heard: Sam Caller')"
    )
    assert "confidence 0.35" in log_text(page)
    page.fill("#sim-speech", "yes")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#sim-log').innerText.includes('date of birth')")
    page.fill("#sim-digits", "0")
    page.keyboard.press("Enter")
    page.wait_for_selector("#sim-call")  # the call went to a person: a new call may start
    assert "for a person" in log_text(page)
    assert (
        Conversation.objects.filter(transport=Transport.VOICE).get().draft.answers["full_name"]
        == "Sam Caller"
    )
    assert Conversation.objects.filter(transport=Transport.SMS).exists()
    assert page.problems == []
