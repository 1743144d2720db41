"""Mail entry's smaller pages: the live check of one keyed field (htmx, the one-field
service, as the agent screen does), a clerk marking a paper form unreadable, and the
supervisor's decision on it. Views parse and answer; services decide; accounts.access says
who may."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.access import can_key_mail, can_supervise_mail
from accounts.types import AuthenticatedHttpRequest
from applicants.drafts import DraftClosed
from applicants.schema import get_schema
from channels_ingest.mail import problems, selectors, services
from channels_ingest.mail.models import KeyingPass
from channels_ingest.mail.views import _forbidden, _keyed_fields
from channels_ingest.webform import presenters


@login_required
@require_POST
def check_field(request: HttpRequest, pass_id: int, name: str) -> HttpResponse:
    """One answer of the clerk's own pass, checked and kept as it is typed. Blind: the reply
    is drawn from this pass's draft alone."""
    if not can_key_mail(request.user):
        return _forbidden(request, "Forms are keyed by mail clerks.")
    keying = KeyingPass.objects.filter(pk=pass_id).select_related("draft").first()
    if keying is None or keying.clerk_id != request.user.pk:
        raise Http404("No such pass of yours")
    spec = next((f for f in _keyed_fields() if f.name == name), None)
    if spec is None:
        raise Http404("No such question")
    raw = request.POST.get(name, "")[:2000]
    if spec.must_be_true:
        raw = "yes" if raw else "no"
    try:
        result = services.pass_answer(keying=keying, clerk=request.user, name=name, raw=raw)
    except (services.MailRefused, DraftClosed) as exc:
        return HttpResponse(str(exc), status=409)
    error = result.error or (result.rule_errors.get(name) or [""])[0]
    value = str(raw) if error else presenters.input_value(spec, result.value)
    view = presenters.FieldView(spec=spec, value=value, error=error)
    others = [
        {"id": f"error-{f.name}", "text": (result.rule_errors.get(f.name) or [""])[0]}
        for f in presenters.rule_neighbours(get_schema(), name)
    ]
    context: dict[str, Any] = {"keying": keying, "field": view, "others": others, "live": True}
    return render(request, "mail/_field_checked.html", context)


@login_required
@require_POST
def mark_unreadable(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    if not can_key_mail(request.user):
        return _forbidden(request, "Forms are marked unreadable by mail clerks.")
    item = selectors.item_get(item_id)
    if item is None:
        raise Http404("No such form")
    try:
        problems.item_mark_unreadable(item=item, clerk=request.user, reason=request.POST.get("reason", ""))
    except services.MailRefused as exc:
        messages.error(request, f"Form {item}: {exc}")
        mine = item.passes.filter(clerk_id=request.user.pk, finished_at__isnull=True).first()
        return redirect("mail:key", pass_id=mine.pk) if mine else redirect("mail:home")
    messages.success(request, f"Form {item} is marked unreadable; a supervisor decides what happens to it.")
    return redirect("mail:home")


@login_required
@require_POST
def decide(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    """The supervisor's decision on a form marked unreadable: void it, or send it back."""
    if not can_supervise_mail(request.user):
        return _forbidden(request, "A mail supervisor decides what happens to an unreadable form.")
    item = selectors.item_get(item_id)
    if item is None:
        raise Http404("No such form")
    action, note = request.POST.get("action", ""), request.POST.get("note", "")
    try:
        if action == "void":
            problems.item_void(item=item, supervisor=request.user, note=note)
            messages.success(request, f"Form {item} is voided; nothing was submitted from it.")
        elif action == "send_back":
            problems.item_send_back(item=item, supervisor=request.user, note=note)
            messages.success(request, f"Form {item} is back in the clerks' keying list.")
        else:
            messages.error(request, f"Form {item}: choose Void or Send back.")
    except services.MailRefused as exc:
        messages.error(request, f"Form {item}: {exc}")
    return redirect("mail:home")
