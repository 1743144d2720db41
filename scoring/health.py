from __future__ import annotations

from django.db.models import Min
from django.utils import timezone

from applicants.models import Application, Status
from applicants.schema import get_schema
from config.health import CheckResult
from scoring.registry import NoUsableModel, active_model


def check_model() -> CheckResult:
    try:
        model = active_model(get_schema())
    except NoUsableModel as exc:
        return {"ok": False, "error": str(exc)}
    return {"ok": True, "version": model.version, "schema": model.schema_name}


def check_scoring_backlog() -> CheckResult:
    """Waiting applications are normal; report them so an operator sees a growing queue."""
    waiting = Application.objects.filter(status__in=[Status.RECEIVED, Status.SCORING])
    stats = waiting.aggregate(oldest=Min("created_at"))
    oldest = stats["oldest"]
    return {
        "ok": True,
        "waiting": waiting.count(),
        "oldest_waiting_seconds": round((timezone.now() - oldest).total_seconds(), 1)
        if oldest else 0,
    }
