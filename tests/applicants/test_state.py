from __future__ import annotations

import pytest

from applicants.models import Channel, Status
from applicants.services import (
    application_submit,
    application_transition,
    application_transition_one,
)
from applicants.state import ALLOWED, IllegalTransition, check_transition
from trail.selectors import trail_for_object

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("received", "scored"),
        ("received", "in_review"),
        ("scoring", "confirmed"),
        ("scored", "overridden"),
        ("confirmed", "overridden"),
        ("overridden", "in_review"),
        ("failed", "scored"),
    ],
)
def test_illegal_moves_are_refused(current, target):
    with pytest.raises(IllegalTransition, match=f"from {current} to {target}"):
        check_transition(current, target)


def test_every_state_is_in_the_machine():
    assert set(ALLOWED) == set(Status.values)


def test_a_move_records_history_and_a_stale_move_is_refused(alice, answers):
    application = application_submit(
        answers=answers, channel=Channel.API, actor=alice, idempotency_key="k"
    ).application
    application_transition_one(application=application, to_status=Status.SCORING)
    assert application.status == Status.SCORING
    history = trail_for_object("application", application.pk)
    assert [(e.before.get("status"), e.after["status"]) for e in history] == [
        (None, "received"),
        ("received", "scoring"),
    ]
    # Another worker still believes the application is received: its move does nothing.
    assert (
        application_transition(
            application_ids=[application.pk], from_status=Status.RECEIVED, to_status=Status.SCORING
        )
        == []
    )


def test_an_illegal_move_on_a_stored_application_changes_nothing(alice, answers):
    application = application_submit(
        answers=answers, channel=Channel.API, actor=alice, idempotency_key="k"
    ).application
    with pytest.raises(IllegalTransition):
        application_transition_one(application=application, to_status=Status.CONFIRMED)
    application.refresh_from_db()
    assert application.status == Status.RECEIVED
