"""The queue: items from routed decisions, priority order, filters, and claims (leases)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from applicants.models import Status
from auditing.models import ReviewItem
from auditing.selectors import queue_summary, queue_waiting
from auditing.services.queue import (
    ClaimRefused,
    QueueFilters,
    release_expired_claims,
    review_item_claim,
    review_item_claim_next,
    review_item_release,
    review_item_renew,
    review_queue_sync,
)

pytestmark = pytest.mark.django_db


def test_routed_decisions_become_items_with_their_priority_once(routed, answers, risky):
    small = routed({**answers, "requested_amount": 2000})
    large = routed(risky)
    assert review_queue_sync() == 0  # nothing new: a second run adds nothing
    for item in (small, large):
        decision = item.application.decisions.get(is_current=True)
        assert item.model_tier == decision.tier and item.prob_high == decision.prob_high
        amount = item.application.answers["requested_amount"]
        assert item.impact == amount and item.priority == pytest.approx(decision.prob_high * amount)
    assert list(queue_waiting().order_by("-priority", "enqueued_at")) == [large, small]
    summary = queue_summary()
    assert summary.waiting == 2 and summary.oldest_at == small.enqueued_at


def test_filters_narrow_the_queue_and_a_tier_filter_hides_blind_items(routed, answers, risky):
    mail = routed(answers, channel="mail")
    high = routed(risky)
    assert list(QueueFilters(channel="mail").apply(queue_waiting())) == [mail]
    assert list(QueueFilters(tier="high").apply(queue_waiting())) == [high]
    ReviewItem.objects.filter(pk=high.pk).update(blind=True)
    assert not QueueFilters(tier="high").apply(queue_waiting()).exists()
    ReviewItem.objects.filter(pk=mail.pk).update(
        enqueued_at=timezone.now() - dt.timedelta(hours=5), possible_duplicate=True
    )
    assert list(QueueFilters(older_than_hours=4).apply(queue_waiting())) == [mail]
    assert list(QueueFilters(duplicates_only=True).apply(queue_waiting())) == [mail]
    assert QueueFilters(model_version=high.model_version).apply(queue_waiting()).count() == 2
    assert not QueueFilters(model_version=high.model_version + 1).apply(queue_waiting()).exists()


def test_a_blind_share_is_drawn_per_application(routed, answers, settings):
    item = routed(answers)
    ReviewItem.objects.all().delete()
    settings.REVIEW_BLIND_SHARE = 1.0
    review_queue_sync()
    assert ReviewItem.objects.get(application=item.application).blind is True


def test_a_claim_is_a_lease_another_auditor_cannot_take(routed, answers, dave, frank):
    item = routed(answers)
    held = review_item_claim(item_id=item.pk, user=dave)
    assert held.claimed_by == dave and held.claim_expires_at > timezone.now()
    with pytest.raises(ClaimRefused, match="dave is working on this item"):
        review_item_claim(item_id=item.pk, user=frank)
    assert review_item_claim_next(user=frank) is None
    assert review_item_renew(item_id=item.pk, user=frank) is None
    assert review_item_renew(item_id=item.pk, user=dave) > held.claim_expires_at

    # Once the lease runs out, the item is free again; the old holder's renewal then fails.
    ReviewItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now())
    assert review_item_claim(item_id=item.pk, user=frank).claimed_by == frank
    assert review_item_renew(item_id=item.pk, user=dave) is None


def test_claiming_next_takes_the_most_urgent_free_item_and_skipping_gives_it_back(
    routed, answers, risky, dave, frank
):
    small = routed({**answers, "requested_amount": 2000})
    large = routed(risky)
    assert review_item_claim_next(user=dave).pk == large.pk
    assert review_item_claim_next(user=frank).pk == small.pk
    # One item at a time: dave's next claim gives back the one he held.
    review_item_release(item_id=small.pk, user=frank)
    assert review_item_claim_next(user=dave).pk == small.pk
    assert ReviewItem.objects.get(pk=large.pk).claimed_by is None
    assert review_item_claim_next(user=dave, skip=small.pk).pk == large.pk


def test_expired_claims_are_released_periodically(routed, answers, dave):
    item = routed(answers)
    review_item_claim(item_id=item.pk, user=dave)
    assert release_expired_claims() == 0
    ReviewItem.objects.filter(pk=item.pk).update(claim_expires_at=timezone.now())
    assert release_expired_claims() == 1
    assert ReviewItem.objects.get(pk=item.pk).claimed_by is None


def test_a_rescored_decision_refreshes_a_waiting_item(routed, answers):
    from scoring.models import Decision

    item = routed(answers)
    old = Decision.objects.get(pk=item.decision_id)
    Decision.objects.filter(pk=old.pk).update(is_current=False)
    new = Decision.objects.create(
        application_id=old.application_id,
        model_version=old.model_version,
        tier="high",
        prob_low=0.05,
        prob_medium=0.15,
        prob_high=0.8,
        reasons=[],
        feature_snapshot={},
    )
    assert review_queue_sync() == 1
    item.refresh_from_db()
    assert item.decision_id == new.pk and item.model_tier == "high"
    assert item.priority == pytest.approx(0.8 * item.impact)


@pytest.mark.django_db(transaction=True)
def test_two_auditors_racing_for_one_item_never_both_get_it(routed, answers, dave, frank):
    items = [routed(answers) for _ in range(6)]
    assert all(i.application.status == Status.IN_REVIEW for i in items)
    for item in items:
        winners: list[str] = []
        barrier = threading.Barrier(2)

        def race(user, item=item, winners=winners, barrier=barrier):
            try:
                barrier.wait()
                review_item_claim(item_id=item.pk, user=user)
                winners.append(user.username)
            except ClaimRefused:
                pass
            finally:
                connection.close()

        threads = [threading.Thread(target=race, args=(u,)) for u in (dave, frank)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(winners) == 1, winners
        assert ReviewItem.objects.get(pk=item.pk).claimed_by.username == winners[0]
