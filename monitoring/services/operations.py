"""Operations, snapshotted every few minutes: review queue size and age, outbox backlog and
the age of its oldest pending message (how far the sinks lag), dead letters."""

from __future__ import annotations

from django.db.models import Count, Min
from django.utils import timezone

from auditing.models import ItemState, ReviewItem
from monitoring.models import OperationsSnapshot
from outbox.models import OutboxMessage, OutboxStatus


def operations_snapshot() -> OperationsSnapshot:
    now = timezone.now()
    queue = ReviewItem.objects.filter(state=ItemState.WAITING).aggregate(
        n=Count("id"), oldest=Min("enqueued_at")
    )
    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING).aggregate(
        n=Count("id"), oldest=Min("created_at")
    )
    return OperationsSnapshot.objects.create(
        taken_at=now,
        queue_waiting=queue["n"],
        queue_oldest_seconds=(now - queue["oldest"]).total_seconds() if queue["oldest"] else 0.0,
        outbox_pending=pending["n"],
        sink_lag_seconds=(now - pending["oldest"]).total_seconds() if pending["oldest"] else 0.0,
        dead_letters=OutboxMessage.objects.filter(status=OutboxStatus.DEAD).count(),
    )
