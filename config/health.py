"""/healthz (the process is alive) and /readyz (it can do its work).

Each dependency registers a check; /readyz runs them all and answers 503 with a JSON body
naming what is not ready. Apps add their own with `register_check` in AppConfig.ready().
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse

CheckResult = dict[str, Any]
_CHECKS: dict[str, Callable[[], CheckResult]] = {}


def register_check(name: str, check: Callable[[], CheckResult]) -> None:
    """`check` returns {"ok": bool, ...details}; an exception counts as not ready."""
    _CHECKS[name] = check


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> CheckResult:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        return {"ok": True, "transport": conn.transport_cls}


register_check("database", check_database)
register_check("broker", check_broker)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "alive"})


def readyz(request: HttpRequest) -> JsonResponse:
    results: dict[str, CheckResult] = {}
    for name, check in _CHECKS.items():
        started = time.perf_counter()
        try:
            result = check()
        except Exception as exc:
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        result["ms"] = round((time.perf_counter() - started) * 1000, 1)
        results[name] = result
    not_ready = sorted(name for name, result in results.items() if not result.get("ok"))
    body = {"status": "ready" if not not_ready else "not ready", "not_ready": not_ready, "checks": results}
    return JsonResponse(body, status=200 if not not_ready else 503)
