"""The audit trail search (auditor leads, admins) and its CSV export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import can_search_trail
from auditing import selectors
from auditing.forms import TrailSearchForm
from auditing.services.trail_export import TrailExportTooLarge, trail_export_csv
from auditing.views import allowed

PAGE = 100


@require_GET
@allowed(can_search_trail)
def trail(request: HttpRequest) -> HttpResponse:
    form = TrailSearchForm(request.GET or None)
    entries, before = [], None
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else selectors.TrailFilters()
        try:
            before = int(request.GET.get("before", "") or 0) or None
        except ValueError:
            before = None
        entries = selectors.trail_search(filters, before_id=before, limit=PAGE)
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "auditing/trail.html",
        {
            "form": form,
            "entries": entries,
            "query": query.urlencode(),
            "older": entries[-1].pk if len(entries) == PAGE else None,
            "actions": selectors.trail_actions(),
        },
        status=200 if not form.errors else 400,
    )


@require_GET
@allowed(can_search_trail)
def trail_export(request: HttpRequest) -> HttpResponse:
    form = TrailSearchForm(request.GET)
    if not form.is_valid():
        return render(request, "auditing/trail.html", {"form": form, "entries": []}, status=400)
    try:
        data, _rows, fingerprint = trail_export_csv(filters=form.filters(), actor=request.user)
    except TrailExportTooLarge as exc:
        form.add_error(None, str(exc))
        return render(request, "auditing/trail.html", {"form": form, "entries": []}, status=413)
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    name = f"audit-trail-{timezone.now():%Y%m%d-%H%M%S}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Export-Fingerprint"] = fingerprint
    return response
