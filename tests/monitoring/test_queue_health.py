"""Queue health (issue #15): the administrator and the auditor lead see, live, what waits for
auditors (by tier, the oldest, expired claims, second opinions) and what the outbox still owes
(pending, backing off, dead letters, the oldest pending), from the navigation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from auditing.models import ItemState, ReviewItem
from monitoring.queues import outbox_health, review_queue_health
from monitoring.templatetags.monitoring_tags import age
from outbox.models import OutboxMessage, OutboxStatus

pytestmark = pytest.mark.django_db


def _waiting(decision, *, hours_ago: float, state=ItemState.WAITING, claimed_by=None, claim_left_s=0):
    now = timezone.now()
    return ReviewItem.objects.create(
        application_id=decision.application_id,
        decision=decision,
        state=state,
        priority=0.5,
        prob_high=decision.prob_high,
        model_tier=decision.tier,
        model_version=decision.model_version.version,
        channel="api",
        enqueued_at=now - dt.timedelta(hours=hours_ago),
        claimed_by=claimed_by,
        claim_expires_at=now + dt.timedelta(seconds=claim_left_s) if claimed_by else None,
    )


def test_queue_health_counts_the_review_queue_and_the_outbox(active_model, make_decisions, make_user):
    day = timezone.localdate()
    high, high2, medium, second = make_decisions(
        active_model, [{"day": day, "tier": t} for t in ("high", "high", "medium", "high")]
    )
    lead = make_user("lena", Role.AUDITOR_LEAD)
    _waiting(high, hours_ago=5)
    _waiting(high2, hours_ago=1, claimed_by=lead, claim_left_s=-60)  # an expired claim
    _waiting(medium, hours_ago=2, claimed_by=lead, claim_left_s=600)
    _waiting(second, hours_ago=3, state=ItemState.AWAITING_SECOND)
    health = review_queue_health()
    assert (health["waiting"], health["claimed"], health["expired_claims"], health["awaiting_second"]) == (
        3,
        1,
        1,
        1,
    )
    assert 5 * 3600 - 60 < health["oldest_seconds"] < 5 * 3600 + 60
    tiers = {t["tier"]: t["waiting"] for t in health["tiers"]}
    assert tiers == {"low": 0, "medium": 1, "high": 2}

    OutboxMessage.objects.all().delete()
    created = timezone.now() - dt.timedelta(days=1)
    for status, later in (
        (OutboxStatus.PENDING, None),
        (OutboxStatus.PENDING, 600),
        (OutboxStatus.DEAD, None),
    ):
        OutboxMessage.objects.create(
            topic="warehouse",
            key="k",
            payload={},
            status=status,
            next_attempt_at=timezone.now() + dt.timedelta(seconds=later) if later else None,
        )
    OutboxMessage.objects.update(created_at=created)  # auto_now_add: set afterwards
    (row,) = outbox_health()
    assert (row["topic"], row["pending"], row["backing_off"], row["dead"]) == ("warehouse", 2, 1, 1)
    assert row["oldest_seconds"] > 20 * 3600


def test_the_admin_finds_queue_health_in_the_navigation_and_others_do_not(make_user):
    admin = make_user("ada", Role.ADMIN)
    client = Client()
    client.force_login(admin)
    start = client.get("/").content.decode()
    assert 'href="/monitoring/queues/"' in start
    page = client.get("/monitoring/queues/").content.decode()
    assert "Queue health" in page and "Review queue" in page and "none waiting" in page
    auditor = make_user("aud", Role.AUDITOR)
    client.force_login(auditor)
    assert 'href="/monitoring/queues/"' not in client.get("/review/").content.decode()
    assert client.get("/monitoring/queues/").status_code == 403


def test_ages_read_as_a_person_says_them():
    assert [age(None), age(42), age(125), age(3 * 3600 + 300), age(2 * 86400 + 4 * 3600)] == [
        "none waiting",
        "42 s",
        "2 min",
        "3 h 5 min",
        "2 d 4 h",
    ]
