"""Label quality for auditor leads: how auditors label, and how far they follow the model."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import can_search_trail
from auditing import selectors
from auditing.views import allowed

MAX_DAYS = 3650  # a typed `days` beyond what a date can go back to was a 500


@require_GET
@allowed(can_search_trail)
def quality(request: HttpRequest) -> HttpResponse:
    try:
        days = min(max(int(request.GET.get("days", "30")), 1), MAX_DAYS)
    except ValueError:
        days = 30
    since = timezone.now() - dt.timedelta(days=days)
    return render(
        request,
        "auditing/quality.html",
        {
            "rows": selectors.label_quality(since=since),
            "days": days,
        },
    )
