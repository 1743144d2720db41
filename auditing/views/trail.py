"""The audit trail search (auditor leads, admins) and its CSV export."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.access import can_search_trail
from accounts.decorators import allowed
from auditing import selectors
from auditing.forms import TrailPageForm, TrailSearchForm
from auditing.services.trail_export import TrailExportTooLarge, trail_export_csv

PAGE = 100


@require_GET
@allowed(can_search_trail)
def trail(request: HttpRequest) -> HttpResponse:
    query = request.GET.copy()
    query.pop("before", None)
    form = TrailSearchForm(query or None)
    page = TrailPageForm(request.GET)
    entries = []
    page_ok = page.is_valid()
    if page_ok and (not form.is_bound or form.is_valid()):
        filters = form.filters() if form.is_bound else selectors.TrailFilters()
        entries = selectors.trail_search(filters, before_id=page.cleaned_data.get("before"), limit=PAGE)
    page_error = "" if page_ok else "That page of the trail does not exist: 'before' must be an entry number."
    return render(
        request,
        "auditing/trail.html",
        {
            "form": form,
            "page_error": page_error,
            "entries": entries,
            "query": query.urlencode(),
            "older": entries[-1].pk if len(entries) == PAGE else None,
            "actions": selectors.trail_actions(),
            "review_items": selectors.review_items_of(
                e.object_id for e in entries if e.object_type == "application"
            ),
        },
        status=400 if form.errors or page_error else 200,
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
