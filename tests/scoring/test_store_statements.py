"""Storing a batch: a decision of the live scorer is its application's first, so nothing is
retired before the insert; the scoring requests are marked done and the sinks' rows written
in one statement; routed applications get their review items without a refresh."""

from __future__ import annotations

import pytest
from django.db import connection

from applicants.models import Application, Status
from applicants.services import application_transition
from applicants.state import ALLOWED
from auditing.models import ReviewItem
from outbox.models import OutboxMessage, OutboxStatus, Topic
from scoring.models import Decision
from scoring.services import score_waiting_applications
from scoring.tasks import score_waiting
from tests.scoring.waiting import one_waiting_after_a_warm_up, submit
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite keeps the former statements"
)

DECIDED = {Status.SCORED, Status.IN_REVIEW, Status.CONFIRMED, Status.OVERRIDDEN}


def test_a_decided_application_never_goes_back_to_be_scored():
    """What lets the scorer insert a decision without retiring a current one first."""
    reachable: set[str] = set(DECIDED)
    todo: list[str] = list(DECIDED)
    while todo:
        for target in ALLOWED[todo.pop()]:
            if target not in reachable:
                reachable.add(target)
                todo.append(target)
    assert Status.SCORING not in reachable and Status.RECEIVED not in reachable


@postgresql_only
def test_a_task_for_one_application_with_two_sinks_takes_nine_statements(
    alice, answers, active_model, settings, django_assert_max_num_queries
):
    settings.SINKS = ["dynamodb", "warehouse"]
    application = one_waiting_after_a_warm_up(alice, answers, active_model, score_waiting)
    # wake-up, models, claim, read, savepoint, move, decision insert, outbox, release
    # (the code before: 11, with a decision update and the sinks' rows apart)
    with django_assert_max_num_queries(9):
        assert score_waiting() == 1
    key = str(application.pk)
    decision = Decision.objects.get(application=application, is_current=True)
    assert OutboxMessage.objects.get(topic=Topic.SCORING, key=key).status == OutboxStatus.DELIVERED
    sent = OutboxMessage.objects.filter(key=key, topic__startswith="sink:").order_by("id")
    assert [(m.topic, m.payload, m.status) for m in sent] == [
        ("sink:dynamodb", {"event": "decision", "decision_id": decision.pk}, OutboxStatus.PENDING),
        ("sink:warehouse", {"event": "decision", "decision_id": decision.pk}, OutboxStatus.PENDING),
    ]


@postgresql_only
def test_a_routed_batch_gets_its_items_in_fewer_statements(
    alice, answers, active_model, settings, django_assert_max_num_queries
):
    settings.SINKS = ["dynamodb"]
    active_model.review_policy = {"review_tiers": ["low", "medium", "high"], "low_sample_rate": 1.0}
    active_model.save()
    submit(alice, answers, 0)
    score_waiting()
    applications = [submit(alice, answers, i) for i in range(1, 6)]
    # + the move to review, the applications with their decisions, the items' insert
    # (the code before: 16, with a decision update, the sinks' rows, the decisions and a
    # refresh apart)
    with django_assert_max_num_queries(12):
        assert score_waiting() == 5
    items = ReviewItem.objects.filter(application__in=applications)
    assert items.count() == 5
    for item in items:
        assert item.decision == Decision.objects.get(application_id=item.application_id, is_current=True)


def test_an_application_that_already_has_a_current_decision_gets_it_replaced(alice, answers, active_model):
    """Data written some other way (not by the state machine): the insert is refused, and the
    batch is stored again retiring the old decision, with one trail entry per move."""
    first = submit(alice, answers, 0)
    score_waiting_applications()
    old = Decision.objects.get(application=first)
    # Put it back to wait with its decision, behind the state machine's back.
    Application.objects.filter(pk=first.pk).update(status=Status.RECEIVED)
    second = submit(alice, answers, 1)
    result = score_waiting_applications()
    assert sorted(result.scored) == sorted([first.pk, second.pk])
    old.refresh_from_db()
    assert not old.is_current
    assert Decision.objects.filter(application=first, is_current=True).exclude(pk=old.pk).count() == 1
    assert Decision.objects.filter(application=second, is_current=True).count() == 1
    to_scored = TrailEntry.objects.filter(
        object_id=str(second.pk), action="application.transition", after__status=Status.SCORED
    )
    assert to_scored.count() == 1


def test_a_routed_move_is_still_conditional(alice, answers, active_model):
    """The scorer's handler call skips the refresh only: items are added for what moved."""
    application = submit(alice, answers, 0)
    application_transition(
        application_ids=[application.pk], from_status=Status.RECEIVED, to_status=Status.FAILED
    )
    assert score_waiting_applications().scored == []
    assert not ReviewItem.objects.filter(application=application).exists()
