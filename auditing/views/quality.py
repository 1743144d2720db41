"""Label quality for auditor leads: how auditors label, and how far they follow the model."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import can_search_trail
from accounts.decorators import allowed
from auditing import pictures, selectors
from auditing.forms import QualityForm
from auditing.quality import label_quality_series, quality_unit


@require_GET
@allowed(can_search_trail)
def quality(request: HttpRequest) -> HttpResponse:
    form = QualityForm(request.GET or None)
    days = form.period_days()  # the default period when what was typed is refused (the form says why)
    since = timezone.now() - dt.timedelta(days=days)
    over_time = label_quality_series(since=since, unit=quality_unit(days), auditor=form.auditor_label())
    return render(
        request,
        "auditing/quality.html",
        {
            "form": form,
            "rows": selectors.label_quality(since=since),
            "disagreements": selectors.independent_disagreements(since=since),
            "days": days,
            "over_time": over_time,
            "pictures": pictures.quality_pictures(over_time),
        },
        status=400 if form.errors else 200,
    )
