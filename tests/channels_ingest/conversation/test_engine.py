"""The dialog engine on its own (no transport): the schema's questions in order, answers
through the one-field service, several answers in a sentence, re-asks with the service's
message, every command, corrections, FAQ on the way, the summary and the submission."""

from __future__ import annotations

import json
from typing import Any

import pytest

from applicants.models import Application, Draft
from channels_ingest.conversation.engine import (
    Reply,
    TurnInput,
    conversation_for,
    conversation_opening,
    conversation_turn,
)
from channels_ingest.conversation.models import Conversation, Mode, Transport, Turn

pytestmark = pytest.mark.django_db

# What a person types for each question of the default schema, as people write it.
SAID = {
    "full_name": "my name is Jane Example",
    "date_of_birth": "23rd April 1986",
    "national_id": "AB-123456-C",
    "email": "jane@example.com",
    "phone": "+44 20 7946 0000",
    "address": "1 Example Street, Exampletown",
    "postcode": "EX1 2MP",
    "employment_status": "full time employed",
    "employer": "Example Ltd",
    "years_employed": "six",
    "annual_income": "£54,000",
    "monthly_housing_cost": "1,100",
    "monthly_debt_payments": "350 pounds",
    "existing_credit_lines": "3",
    "delinquencies_2y": "none",
    "credit_history_years": "eleven",
    "requested_amount": "12k",
    "term_months": "3 years",
    "loan_purpose": "home improvements",
    "consent": "yes",
}


@pytest.fixture
def conv() -> Conversation:
    return conversation_for(transport=Transport.SMS, key="test-sender")


def say(conversation: Conversation, text: str, **kwargs: Any) -> Reply:
    return conversation_turn(conversation, TurnInput(text=text, **kwargs))


def answers_of(conversation: Conversation) -> dict[str, Any]:
    conversation.refresh_from_db()
    return dict(conversation.draft.answers) if conversation.draft_id else {}


def test_asks_in_section_order_and_reads_each_answer(conv: Conversation) -> None:
    reply = conversation_opening(conv)
    assert reply.field == "full_name" and "full name" in reply.text
    asked: list[str] = []
    while reply.field:
        assert len(asked) < 3 * len(SAID), f"stuck at {reply.field}: {reply.text}"
        asked.append(reply.field)
        reply = say(conv, SAID[reply.field] if reply.field != "delinquencies_2y" else "0")
    assert asked == list(SAID)
    assert reply.kind == "confirm" and "Shall I send" in reply.text
    got = answers_of(conv)
    assert got["annual_income"] == 54000 and got["requested_amount"] == 12000
    assert got["term_months"] == 36 and got["employment_status"] == "employed_full_time"
    assert got["date_of_birth"] == "1986-04-23" and got["full_name"] == "Jane Example"
    assert got["years_employed"] == 6 and got["credit_history_years"] == 11
    assert got["loan_purpose"] == "home_improvement" and got["consent"] is True
    # every answer's provenance: typed, by this conversation, on the SMS channel
    versions = conv.draft.provenance["annual_income"]
    assert versions[-1]["method"] == "typed" and versions[-1]["by"] == f"conversation:{conv.pk}"
    assert versions[-1]["channel"] == "sms"


def test_several_answers_in_one_sentence(conv: Conversation) -> None:
    conversation_opening(conv)
    reply = say(conv, "I earn 45k and want 10k over 3 years")
    got = answers_of(conv)
    assert got == {"annual_income": 45000, "requested_amount": 10000, "term_months": 36}
    assert "annual income" in reply.text.lower() and reply.field == "full_name"
    # the fields answered are not asked again
    for name in (
        "full_name",
        "date_of_birth",
        "national_id",
        "email",
        "phone",
        "address",
        "postcode",
        "employment_status",
        "employer",
        "years_employed",
    ):
        reply = say(conv, SAID[name])
    assert reply.field == "monthly_housing_cost"


def test_words_and_the_pending_answer_with_more(conv: Conversation) -> None:
    conversation_opening(conv)
    _walk_to(conv, "annual_income")
    reply = say(conv, "forty five thousand and I want to borrow ten thousand")
    got = answers_of(conv)
    assert got["annual_income"] == 45000 and got["requested_amount"] == 10000
    assert reply.field == "monthly_housing_cost"


def test_a_refused_answer_is_asked_again_with_the_reason(conv: Conversation) -> None:
    conversation_opening(conv)
    reply = say(conv, "J")
    assert reply.kind == "reask" and reply.field == "full_name"
    assert "Full name" in reply.text and "at least 2" in reply.text
    say(conv, SAID["full_name"])
    reply = say(conv, "31 February 1990")
    assert reply.field == "date_of_birth" and reply.kind == "reask"
    reply = say(conv, "1 January 2020")
    assert reply.field == "date_of_birth" and "18" in reply.text
    _walk_to(conv, "monthly_debt_payments", start="date_of_birth")
    reply = say(conv, "9000")  # more than the income allows (a cross-field rule)
    assert reply.kind == "reask" and "cannot exceed monthly income" in reply.text
    assert "monthly_debt_payments" not in answers_of(conv)


def test_optional_fields_can_be_skipped_required_ones_cannot(conv: Conversation) -> None:
    conversation_opening(conv)
    reply = say(conv, "skip")
    assert reply.field == "full_name" and "cannot be skipped" in reply.text
    _walk_to(conv, "employer")
    reply = say(conv, "skip")
    assert reply.field == "years_employed"
    conv.refresh_from_db()
    assert conv.skipped == ["employer"]


def test_back_help_summary_start_over(conv: Conversation) -> None:
    conversation_opening(conv)
    say(conv, SAID["full_name"])
    reply = say(conv, "back")
    assert reply.field == "full_name" and "Jane Example" in reply.text
    reply = say(conv, "Jane Other")
    assert reply.field == "date_of_birth" and answers_of(conv)["full_name"] == "Jane Other"
    reply = say(conv, "help")
    assert "18 or over" in reply.text and reply.field == "date_of_birth"
    reply = say(conv, "summary")
    assert "Full name: Jane Other." in reply.text and reply.field == "date_of_birth"
    draft_id = conv.draft_id
    assert draft_id is not None
    reply = say(conv, "start over")
    assert reply.field == "full_name" and "Starting again" in reply.text
    assert not Draft.objects.filter(pk=draft_id).exists()
    assert answers_of(conv) == {}


def test_agent_records_the_hand_off_and_keeps_the_place(conv: Conversation) -> None:
    conversation_opening(conv)
    say(conv, SAID["full_name"])
    reply = say(conv, "can I talk to a person")
    assert reply.handoff and reply.kind == "handoff"
    conv.refresh_from_db()
    assert conv.handoff_requested_at is not None
    reply = say(conv, SAID["date_of_birth"])
    assert reply.field == "national_id"


def test_stop_keeps_the_answers_and_a_later_message_resumes(conv: Conversation) -> None:
    conversation_opening(conv)
    say(conv, SAID["full_name"])
    reply = say(conv, "stop")
    assert reply.kind == "stopped" and "30 days" in reply.text
    conv.refresh_from_db()
    assert conv.mode == Mode.STOPPED
    reply = conversation_opening(conv)
    assert "Welcome back" in reply.text and reply.field == "date_of_birth"


def test_faq_on_the_way_returns_to_the_question(conv: Conversation) -> None:
    conversation_opening(conv)
    say(conv, SAID["full_name"])
    reply = say(conv, "what interest rate will I get?")
    assert reply.kind == "faq" and "rate depends" in reply.text
    assert reply.field == "date_of_birth" and reply.messages[-1].startswith("What is your date")
    reply = say(conv, "how long does it take")
    assert "within minutes" in reply.text and reply.field == "date_of_birth"
    reply = say(conv, "what colour is the sky on mars?")
    assert "don't know" in reply.text and "agent" in reply.text


def test_correction_by_field_name(conv: Conversation) -> None:
    conversation_opening(conv)
    say(conv, "I earn 45k")
    reply = say(conv, "change my income to 52,000")
    assert "Annual income is now 52,000" in reply.text
    assert answers_of(conv)["annual_income"] == 52000
    assert len(conv.draft.provenance["annual_income"]) == 2  # the earlier version kept
    reply = say(conv, "change my salary to lots")
    assert reply.kind == "reask" and reply.field == "annual_income"


def test_summary_confirmation_then_submission(conv: Conversation, active_model: Any) -> None:
    conversation_opening(conv)
    reply = _walk_to(conv, None)
    assert reply.kind == "confirm" and "Annual income: 54,000." in reply.text
    reply = say(conv, "no")
    assert reply.kind == "what_to_change"
    reply = say(conv, "change the term to 48 months")
    assert "Term is now 48 months" in reply.text and reply.kind == "confirm"
    reply = say(conv, "maybe")
    assert reply.kind == "confirm" and "yes" in reply.text
    reply = say(conv, "yes")
    assert reply.kind == "submitted" and reply.application_id
    application = Application.objects.get(pk=reply.application_id)
    assert application.channel == "sms" and application.answers["term_months"] == 48
    assert application.provenance["term_months"][-1]["method"] == "typed"
    # the draft keeps only the link; asking afterwards reports the status
    reply = say(conv, "how is it going")
    assert reply.kind == "status" and reply.application_id == application.pk


def test_transcript_holds_no_personal_value(conv: Conversation) -> None:
    conversation_opening(conv)
    for name in list(SAID)[:8]:
        say(conv, SAID[name])
    say(conv, "what do you do with my information? my name is Jane Example, 07700 900123")
    rows = json.dumps(list(Turn.objects.filter(conversation=conv).values()), default=str)
    for value in ("Jane", "Example", "1986", "AB-123456", "jane@example.com", "7946", "EX1", "07700"):
        assert value not in rows, value
    kinds = list(Turn.objects.filter(conversation=conv).values_list("kind", flat=True))
    assert kinds.count("answer") == 8 and kinds[-1] == "question"


def _walk_to(conv: Conversation, target: str | None, *, start: str | None = None) -> Reply:
    """Answer every question until `target` is asked (None: to the confirmation)."""
    conv.refresh_from_db()
    reply = conversation_opening(conv)
    for _ in range(3 * len(SAID)):
        if not reply.field or reply.field == target:
            return reply
        reply = say(conv, SAID[reply.field])
    raise AssertionError(f"stuck at {reply.field}: {reply.text}")
