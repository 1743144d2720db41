"""Celery beat jobs: the daily roll-ups (recent days again, for late labels), the operations
snapshot, then the alert rules over what they wrote."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(name="monitoring.tasks.rollup_daily")
def rollup_daily() -> dict[str, Any]:
    from monitoring.services.alerts import alerts_evaluate
    from monitoring.services.rollups import recent_days, rollup_days

    totals = rollup_days(recent_days())
    totals["alerts"] = len(alerts_evaluate())
    return totals


@shared_task(name="monitoring.tasks.snapshot_operations")
def snapshot_operations() -> int:
    from monitoring.services.alerts import alerts_evaluate
    from monitoring.services.operations import operations_snapshot

    operations_snapshot()
    return len(alerts_evaluate())
