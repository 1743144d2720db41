"""Queue health, live: what waits for people (the review queue) and for machines (the outbox:
work owed to the sinks and other consumers), and how old the oldest of each is. For the
administrator and the auditor lead, who act when a queue backs up (issue #15)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Min, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import can_view_queue_health
from accounts.decorators import allowed
from auditing.models import ItemState, ReviewItem
from outbox.models import OutboxMessage, OutboxStatus
from scoring.models import TIERS


def _age(now: dt.datetime, oldest: dt.datetime | None) -> float | None:
    return (now - oldest).total_seconds() if oldest else None


def review_queue_health() -> dict[str, Any]:
    """Waiting items by tier, claimed ones (and expired claims), overrides awaiting a second."""
    now = timezone.now()
    waiting = ReviewItem.objects.filter(state=ItemState.WAITING)
    figures = waiting.aggregate(
        n=Count("pk"),
        oldest=Min("enqueued_at"),
        claimed=Count("pk", filter=Q(claimed_by__isnull=False, claim_expires_at__gt=now)),
        expired=Count("pk", filter=Q(claimed_by__isnull=False, claim_expires_at__lte=now)),
    )
    by_tier: dict[str, dict[str, Any]] = {
        row["model_tier"]: dict(row)
        for row in waiting.values("model_tier").annotate(n=Count("pk"), oldest=Min("enqueued_at"))
    }
    return {
        "waiting": figures["n"],
        "oldest_seconds": _age(now, figures["oldest"]),
        "claimed": figures["claimed"],
        "expired_claims": figures["expired"],
        "awaiting_second": ReviewItem.objects.filter(state=ItemState.AWAITING_SECOND).count(),
        "tiers": [
            {
                "tier": tier,
                "waiting": by_tier.get(tier, {}).get("n", 0),
                "oldest_seconds": _age(now, by_tier.get(tier, {}).get("oldest")),
            }
            for tier in TIERS
        ],
    }


def outbox_health() -> list[dict[str, Any]]:
    """Per topic: pending, due now, backing off, dead letters, age of the oldest pending."""
    now = timezone.now()
    rows = (
        OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED)
        .values("topic")
        .annotate(
            pending=Count("pk", filter=Q(status=OutboxStatus.PENDING)),
            backing_off=Count("pk", filter=Q(status=OutboxStatus.PENDING, next_attempt_at__gt=now)),
            dead=Count("pk", filter=Q(status=OutboxStatus.DEAD)),
            oldest=Min("created_at", filter=Q(status=OutboxStatus.PENDING)),
        )
        .order_by("topic")
    )
    return [
        {**{k: v for k, v in row.items() if k != "oldest"}, "oldest_seconds": _age(now, row["oldest"])}
        for row in rows
    ]


@require_GET
@allowed(can_view_queue_health, "queue health is for administrators and auditor leads")
def queue_health(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "monitoring/queues.html",
        {"review": review_queue_health(), "outbox": outbox_health(), "now": timezone.now()},
    )
