"""The staff page of erasures: request one, watch the sinks follow, re-drive a stuck one.
Administrators only (accounts.access.can_erase_personal_data)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.access import can_erase_personal_data
from accounts.decorators import allowed
from accounts.types import AuthenticatedHttpRequest
from privacy.forms import ErasureForm
from privacy.models import ErasureRequest
from privacy.selectors import erasure_requests_recent
from privacy.services.erasure import (
    ErasureRefused,
    erasure_follow_up,
    erasure_redrive,
    erasure_request,
)


@require_http_methods(["GET", "POST"])
@allowed(can_erase_personal_data)
def erasures(request: AuthenticatedHttpRequest) -> HttpResponse:
    action = request.POST.get("action", "erase")
    if request.method == "POST" and action in {"refresh", "redrive"}:
        return _follow(request, action)
    form = ErasureForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                done = erasure_request(
                    actor=request.user,
                    application_id=data["application_id"],
                    national_id=(data["national_id"] or "").strip() or None,
                    reference=data["reference"] or "",
                )
            except ErasureRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Erasure {done.pk}: {len(done.application_ids)} applications erased in the database.",
                )
                return redirect(reverse("privacy:erasures"))
        status = 400
    return render(
        request, "privacy/erasures.html", {"form": form, "requests": erasure_requests_recent()}, status=status
    )


def _follow(request: HttpRequest, action: str) -> HttpResponse:
    try:
        request_id = uuid.UUID(request.POST.get("request", ""))
    except ValueError:
        raise Http404("no such erasure request") from None
    if not ErasureRequest.objects.filter(pk=request_id).exists():
        raise Http404("no such erasure request")
    done = erasure_redrive(request_id) if action == "redrive" else erasure_follow_up(request_id)
    messages.info(request, f"Erasure {done.pk}: {done.get_status_display()}.")
    return redirect(reverse("privacy:erasures"))
