"""What a locked-out client is told: a page for the login forms, problem+json for the API.

django-axes counts failed logins per username and client IP (in the database, so a cache
outage changes nothing) and refuses a pair that failed LOGIN_FAILURE_LIMIT times until
LOGIN_COOLOFF_MINUTES have passed since its last failure.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

PROBLEM_TYPE = "https://riskscore.readthedocs.io/problems/too-many-login-attempts"


def login_name(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the name a login was tried with, whichever form sent it."""
    sources = [credentials, getattr(request, "POST", None)]
    for source in (s for s in sources if s is not None and hasattr(s, "get")):
        for field in ("username", "email", "login"):
            value = source.get(field)
            if value:
                return str(value)[:255]
    return None


def lockout_seconds_left(*, username: str | None, ip_address: str | None) -> int:
    """Seconds until this username may try again from this address (at least 1)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt

    cool_off = get_cool_off() or timedelta(minutes=settings.LOGIN_COOLOFF_MINUTES)
    last = (
        AccessAttempt.objects.filter(username=username, ip_address=ip_address)
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if last is None:
        return int(cool_off.total_seconds())
    return max(1, math.ceil((last + cool_off - timezone.now()).total_seconds()))


def lockout_detail(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"Too many failed login attempts. Try again in {minutes} minute{'' if minutes == 1 else 's'}."


def lockout_problem(seconds: int) -> dict[str, Any]:
    return {
        "type": PROBLEM_TYPE,
        "title": "Too many login attempts",
        "status": 429,
        "detail": lockout_detail(seconds),
        "retry_after_seconds": seconds,
    }


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: dict | None = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page and the admin login get a page; anything under
    /api/ gets application/problem+json. Both say when to try again (and Retry-After)."""
    seconds = lockout_seconds_left(
        username=login_name(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    )
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            lockout_problem(seconds), status=429, content_type="application/problem+json"
        )
    else:
        response = render(
            request, "accounts/locked_out.html", {"detail": lockout_detail(seconds)}, status=429
        )
    response["Retry-After"] = str(seconds)
    return response
