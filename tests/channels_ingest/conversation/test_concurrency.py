"""Two messages of one conversation arriving at once (two workers) are taken one after the
other: the conversation row is locked for the turn, so neither answer is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from channels_ingest.conversation.engine import TurnInput, conversation_for, conversation_turn
from channels_ingest.conversation.models import Conversation, Transport, Turn

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_messages_at_once_both_count() -> None:
    conversation = conversation_for(transport=Transport.SMS, key="concurrent")
    conversation_turn(conversation, TurnInput(text="hello"))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def send(text: str) -> None:
        try:
            start.wait()
            conversation_turn(Conversation.objects.get(pk=conversation.pk), TurnInput(text=text))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(text,))
        for text in ("I earn 45k", "I want to borrow 10k over 4 years")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    conversation.refresh_from_db()
    assert conversation.turns == 3 and Turn.objects.filter(conversation=conversation).count() == 3
    assert conversation.draft.answers == {
        "annual_income": 45000,
        "requested_amount": 10000,
        "term_months": 48,
    }
