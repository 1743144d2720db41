"""On PostgreSQL the queue adds and refreshes items in one statement each (a rescoring chunk
hands it thousands): the items hold exactly what the decision and the answers say."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

from applicants.models import Application
from auditing.models import ItemState, ReviewItem
from auditing.services.queue_items import _draw, priority_of, review_queue_add
from scoring.models import Decision

pytestmark = pytest.mark.django_db
FIELDS = (
    "decision_id",
    "prob_high",
    "priority",
    "impact",
    "model_tier",
    "model_version",
    "enqueued_at",
    "blind",
    "independent",
    "state",
)


def _expected(application_id: Any, impact: float | None) -> dict[str, object]:
    decision = Decision.objects.get(application_id=application_id, is_current=True)
    return {
        "decision_id": decision.pk,
        "prob_high": decision.prob_high,
        "priority": priority_of(decision.prob_high, impact),
        "impact": impact,
        "model_tier": decision.tier,
        "model_version": decision.model_version.version,
        "enqueued_at": decision.created_at,
        "blind": _draw("blind", application_id) < settings.REVIEW_BLIND_SHARE,
        "independent": _draw("independent", application_id) < settings.REVIEW_INDEPENDENT_SHARE,
        "state": ItemState.WAITING,
    }


def _stored(application_id: Any) -> dict[str, object]:
    return ReviewItem.objects.filter(application_id=application_id).values(*FIELDS)[0]


def test_items_added_together_hold_their_decision_and_impact_exactly(routed, answers, risky, settings):
    settings.REVIEW_BLIND_SHARE = 0.5
    settings.REVIEW_INDEPENDENT_SHARE = 0.5
    items = [routed({**answers, "requested_amount": 2000 + i}) for i in range(4)] + [routed(risky)]
    ids = [item.application_id for item in items]
    ReviewItem.objects.all().delete()
    # An impact answer that is no number counts as none (likelihood alone).
    Application.objects.filter(pk=ids[0]).update(answers={**answers, "requested_amount": True})
    Application.objects.filter(pk=ids[1]).update(answers={**answers, "requested_amount": "lots"})

    assert review_queue_add(application_ids=ids) == 5
    impacts = [None, None, 2002.0, 2003.0, 40000.0]
    for application_id, impact in zip(ids, impacts, strict=True):
        assert _stored(application_id) == _expected(application_id, impact)  # to the microsecond
    item = ReviewItem.objects.get(application_id=ids[4])
    assert (item.channel, item.claimed_by_id, item.done_at) == ("api", None, None)
    # Made again (another transaction got there first): left as it is, nothing added.
    assert review_queue_add(application_ids=ids) == 0
    assert ReviewItem.objects.count() == 5


def test_waiting_items_are_refreshed_together_and_a_labelled_one_is_left_alone(routed, answers):
    items = [routed({**answers, "requested_amount": 3000 + i}) for i in range(3)]
    ReviewItem.objects.filter(pk=items[2].pk).update(state=ItemState.DONE)
    for item, prob_high in zip(items, (0.7, 0.8, 0.9), strict=True):
        old = Decision.objects.get(pk=item.decision_id)
        Decision.objects.filter(pk=old.pk).update(is_current=False)
        Decision.objects.create(
            application_id=old.application_id,
            model_version=old.model_version,
            tier="high",
            prob_low=0.05,
            prob_medium=1 - 0.05 - prob_high,
            prob_high=prob_high,
            reasons=[],
            feature_snapshot={},
        )
    assert review_queue_add(application_ids=[item.application_id for item in items]) == 2
    for item in items[:2]:
        stored = _stored(item.application_id)
        expected = _expected(item.application_id, float(3000 + items.index(item)))
        # A refresh leaves when the item was queued and its draws as they were.
        assert stored == {**expected, "enqueued_at": item.enqueued_at}
    done = ReviewItem.objects.get(pk=items[2].pk)
    assert done.decision_id == items[2].decision_id and done.state == ItemState.DONE
