"""The scorer's batch in few statements: the claim and each move one statement with their
trail entries, the models read again only when a version changed (docs/persistence.md)."""

from __future__ import annotations

import pytest

from applicants.models import Application, Status
from scoring.models import Decision, ModelStatus
from scoring.selectors import NoUsableModel
from scoring.services import score_waiting_applications
from tests.scoring.waiting import one_waiting_after_a_warm_up, submit
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


def test_one_application_is_claimed_scored_and_stored_in_a_few_statements(
    alice, answers, active_model, django_assert_max_num_queries
):
    application = one_waiting_after_a_warm_up(alice, answers, active_model, score_waiting_applications)
    # models, claim, read, store (savepoint, move, decision insert, outbox, release)
    with django_assert_max_num_queries(10):
        result = score_waiting_applications()
    assert result.scored == [application.pk]


def test_every_move_of_a_batch_is_in_the_trail(alice, answers, active_model):
    active_model.review_policy = {"review_tiers": ["low", "medium", "high"], "low_sample_rate": 1.0}
    active_model.save()
    applications = [submit(alice, answers, i) for i in range(3)]
    assert len(score_waiting_applications().scored) == 3
    for application in applications:
        moves = list(
            TrailEntry.objects.filter(
                object_type="application", object_id=str(application.pk), action="application.transition"
            ).values_list("before__status", "after__status")
        )
        assert moves == [
            (None, Status.RECEIVED),
            (Status.RECEIVED, Status.SCORING),
            (Status.SCORING, Status.SCORED),
            (Status.SCORED, Status.IN_REVIEW),
        ]


def test_the_first_id_is_claimed_first(alice, answers, active_model):
    applications = [submit(alice, answers, i) for i in range(3)]
    result = score_waiting_applications(first_id=applications[-1].pk, limit=1)
    assert result.scored == [applications[-1].pk]
    assert score_waiting_applications(limit=1).scored == [applications[0].pk]


def test_a_model_edited_in_the_same_transaction_counts_from_the_next_batch(alice, answers, active_model):
    active_model.review_policy = {"review_tiers": [], "low_sample_rate": 0.0}
    active_model.save()
    first = submit(alice, answers, 0)
    score_waiting_applications()
    assert Application.objects.get(pk=first.pk).status == Status.SCORED

    # The test's one transaction: the row keeps its xmin, so the scorer must see more than that.
    active_model.review_policy = {"review_tiers": ["low", "medium", "high"], "low_sample_rate": 1.0}
    active_model.save()
    second = submit(alice, answers, 1)
    score_waiting_applications()
    assert Application.objects.get(pk=second.pk).status == Status.IN_REVIEW
    assert Decision.objects.get(application=second).model_version == active_model

    active_model.status = ModelStatus.RETIRED
    active_model.save()
    submit(alice, answers, 2)
    with pytest.raises(NoUsableModel):
        score_waiting_applications()
