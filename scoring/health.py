from __future__ import annotations

from django.db.models import Min
from django.utils import timezone

from applicants.models import Application, Status
from applicants.schema import get_schema
from config.health import CheckResult
from scoring.selectors import NoUsableModel, active_model


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
        "oldest_waiting_seconds": round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0,
    }


def check_endpoint() -> CheckResult:
    """With SCORER=sagemaker and a local endpoint, its /ping (200 once a model is loaded).
    A SageMaker endpoint on AWS has no ping through the runtime API: reported, not probed."""
    import urllib.error
    import urllib.request

    from django.conf import settings

    if settings.SCORER != "sagemaker":
        return {"ok": True, "scorer": settings.SCORER}
    result: CheckResult = {"endpoint": settings.SAGEMAKER_ENDPOINT_NAME}
    if not settings.SAGEMAKER_RUNTIME_URL:
        return {**result, "ok": True, "probed": False}
    url = f"{settings.SAGEMAKER_RUNTIME_URL.rstrip('/')}/ping"
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:  # noqa: S310 (a configured http URL)
            return {**result, "ok": answer.status == 200}
    except urllib.error.HTTPError as exc:
        return {**result, "ok": False, "error": f"ping answered {exc.code} (no model loaded?)"}
    except OSError as exc:
        return {**result, "ok": False, "error": f"unreachable: {exc}"}
