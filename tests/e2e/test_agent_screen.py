"""The call-centre agent screen in a real browser (headless Chromium), driven by the
keyboard: an agent finds a caller, checks their identity, keys a phone application section
by section with the shortcuts, sees the duplicate warning as soon as the identity number is
keyed, submits with the caller's verbal consent and sees the application scored; another
picks up a voice-bot hand-off and corrects an answer the bot heard with low confidence.

Set AGENT_SCREENSHOTS=<folder> to keep a screenshot of the pages these tests visit.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from applicants.models import Application, Channel, Draft, Status
from applicants.services import application_submit
from channels_ingest.phone.handoffs import handoff_create
from scoring.services import score_waiting_applications
from tests.e2e.keyboard import choose_option

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("AGENT_SCREENSHOTS", "")


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        # caret="initial": hiding the caret would inject a style the CSP refuses.
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True, caret="initial")


def watch_console(page: Any) -> list[str]:
    """Script errors and policy violations; a page answered 422 on purpose (a refused
    identity check) is not one."""
    problems: list[str] = []

    def on_console(m: Any) -> None:
        if m.type == "error" and "status of 422" not in m.text:
            problems.append(f"{page.url}: {m.text}")

    page.on(
        "console",
        on_console,
    )
    return problems


def focused(page: Any) -> str:
    return page.evaluate("document.activeElement.name || document.activeElement.id")


def key_field(page: Any, name: str, value: str, *, select: bool = False) -> None:
    """Tab to the field (never the mouse), type the value, and leave it with Tab (the
    one-field check runs on change)."""
    for _ in range(12):
        if focused(page) == name:
            break
        page.keyboard.press("Tab")
    assert focused(page) == name, f"Tab never reached {name}"
    if select:
        choose_option(page, f"#f-{name}", value)
    else:
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
    page.keyboard.press("Tab")


def next_section(page: Any, expect: str) -> None:
    page.keyboard.press("Alt+Shift+N")
    page.wait_for_url(re.compile(expect))


def test_an_agent_finds_a_caller_keys_an_application_and_sees_it_scored(
    browser_as, live_server, carol, answers, active_model
):
    earlier = application_submit(
        answers=answers, channel=Channel.WEB, idempotency_key=str(uuid.uuid4())
    ).application
    base = live_server.url
    page = browser_as("carol")
    problems = watch_console(page)
    page.goto(f"{base}/agent/")
    assert focused(page) == "q"

    # Find the caller by the phone number they give, the way they say it.
    page.keyboard.type("020 7946 0000")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=1 possible caller")
    assert "Jane" not in page.inner_text("main")  # nothing personal before the check
    shot(page, "agent-01-search")
    assert focused(page) == "" or page.evaluate("document.activeElement.textContent") == "Check identity"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/verify/$"))

    # Identity check: a wrong postcode first, then the right one.
    page.keyboard.type("23/04/1986")
    page.keyboard.press("Tab")
    page.keyboard.type("ZZ9 9ZZ")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=These do not match our records")
    # The page autofocuses its first field; wait for that before moving the focus, or a late
    # autofocus takes the typing below into the date of birth (seen on a busy machine).
    page.wait_for_function("document.activeElement && document.activeElement.name === 'date_of_birth'")
    page.fill("#f-postcode", "")  # cleared; typed again below by keyboard
    page.focus("#f-postcode")
    page.keyboard.type("ex1 2mp")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/agent/calls/[0-9a-f-]+/$"))
    assert str(earlier.pk) in page.inner_text("main")
    shot(page, "agent-02-caller-verified")
    page.keyboard.press("Enter")  # "Start a new application" has the focus
    page.wait_for_url(re.compile(r"/key/identity/$"))

    # Identity: the duplicate warning appears as soon as the ID is keyed.
    key_field(page, "full_name", "Jane Q. Example")
    key_field(page, "date_of_birth", "23/04/1986")
    key_field(page, "national_id", "ab 123456 c")
    page.wait_for_selector("#duplicate-warning .duplicate")
    assert "Possible duplicate" in page.inner_text("#duplicate-warning")
    shot(page, "agent-03-duplicate-warning")
    next_section(page, r"/key/contact/$")

    for name, value in (
        ("email", "jane@example.com"),
        ("phone", "+44 20 7946 0000"),
        ("address", "1 Example Street, Exampletown"),
        ("postcode", "EX1 2MP"),
    ):
        key_field(page, name, value)
    next_section(page, r"/key/employment/$")
    key_field(page, "employment_status", "Employed", select=True)
    assert page.input_value("#f-employment_status") == "employed_full_time"
    key_field(page, "employer", "Example Ltd")
    key_field(page, "years_employed", "6")
    # A bad amount is refused as it is keyed, and corrected.
    next_section(page, r"/key/finances/$")
    key_field(page, "annual_income", "lots")
    page.wait_for_selector("#k-annual_income .has-error")
    shot(page, "agent-04-inline-error")
    page.focus("#f-annual_income")
    page.keyboard.press("Control+A")
    page.keyboard.type("£54,000")
    page.keyboard.press("Tab")
    page.wait_for_selector("#k-annual_income .field:not(.has-error)")
    key_field(page, "monthly_housing_cost", "1,100")
    key_field(page, "monthly_debt_payments", "350")
    next_section(page, r"/key/credit/$")
    key_field(page, "existing_credit_lines", "3")
    key_field(page, "delinquencies_2y", "0")
    key_field(page, "credit_history_years", "11")
    # Previous section and back again, by keys.
    page.keyboard.press("Alt+Shift+P")
    page.wait_for_url(re.compile(r"/key/finances/$"))
    assert page.input_value("#f-annual_income") == "54000"
    next_section(page, r"/key/credit/$")
    next_section(page, r"/key/loan/$")
    key_field(page, "requested_amount", "12,000")
    key_field(page, "term_months", "36", select=True)
    key_field(page, "loan_purpose", "Home", select=True)
    assert page.input_value("#f-loan_purpose") == "home_improvement"
    next_section(page, r"/review/$")
    shot(page, "agent-05-summary")

    # Consent read out and agreed verbally: the agent ticks it and attests.
    assert focused(page) == "attest"
    page.keyboard.press("Space")
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "consent"
    page.keyboard.press("Space")
    page.keyboard.press("Alt+Shift+Enter")
    page.wait_for_url(re.compile(r"/done/$"))
    assert "Received" in page.inner_text("#app-status")
    keyed = Application.objects.exclude(pk=earlier.pk).get()
    assert keyed.channel == Channel.PHONE_AGENT and keyed.owner is None and keyed.possible_duplicate
    assert keyed.provenance["annual_income"][-1]["method"] == "keyed"

    score_waiting_applications()
    # The page asks for news by itself (htmx polling) until the decision is in.
    page.wait_for_selector("#app-status.status-scored, #app-status.status-in_review")
    keyed.refresh_from_db()
    assert keyed.status in (Status.SCORED, Status.IN_REVIEW)
    assert page.inner_text("#app-tier") in ("low", "medium", "high")
    shot(page, "agent-06-scored")
    page.keyboard.press("Enter")  # "Next caller" has the focus
    page.wait_for_url(f"{base}/agent/")
    assert str(keyed.pk)[:8] in page.inner_text("#today-title + table")
    shot(page, "agent-07-keyed-today")
    assert problems == []


def test_an_agent_picks_up_a_voice_hand_off_and_corrects_a_doubtful_answer(browser_as, live_server, carol):
    handoff, _ = handoff_create(
        conversation_ref="e2e-voice",
        answers={
            "full_name": ("Vera Voice", 0.97),
            "date_of_birth": ("1975-05-06", 0.92),
            "national_id": ("VV-300400-X", 0.41),
        },
        reason="could not understand the ID number twice",
    )
    page = browser_as("carol")
    problems = watch_console(page)
    page.goto(f"{live_server.url}/agent/handoffs/")
    assert "1 low confidence" in page.inner_text("main")
    shot(page, "agent-08-handoff-queue")
    page.keyboard.press("Enter")  # "Take this call" has the focus
    page.wait_for_url(re.compile(r"/key/identity/$"))
    assert "41% sure" in page.inner_text("#k-national_id")
    assert "low-confidence" in page.get_attribute("#k-national_id", "class")
    assert "low-confidence" not in page.get_attribute("#k-full_name", "class")
    shot(page, "agent-09-handoff-low-confidence")

    key_field(page, "national_id", "VV-300401-X")  # the caller spells it out
    page.wait_for_selector("#k-national_id:not(.low-confidence)")
    assert page.inner_text("#low-notice") == ""  # nothing left to confirm on this page
    history = Draft.objects.get(pk=handoff.draft_id).provenance["national_id"]
    assert [(v["method"], v.get("confidence")) for v in history] == [("speech", 0.41), ("keyed", None)]
    assert history[-1]["value"] == "VV-300401-X" and history[-1]["by"] == f"user:{carol.pk}"
    shot(page, "agent-10-handoff-corrected")
    assert problems == []
