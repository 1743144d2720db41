"""The agent screen: find the caller, check who they are, see their records, start or carry
on an application; the voice bot's hand-off queue. Keying itself is in keying.py.
Views parse and answer; services, handoffs and selectors decide."""

from __future__ import annotations

from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can_take_handoff, can_use_agent_screen, can_work_call
from applicants.schema import get_schema
from channels_ingest.phone import selectors as s
from channels_ingest.phone.handoffs import HandoffTaken, handoff_claim, handoff_release
from channels_ingest.phone.identity import identity_fields
from channels_ingest.phone.models import Call
from channels_ingest.phone.services import (
    CallRefused,
    call_draft_continue,
    call_draft_new,
    call_start,
    call_verify,
)
from channels_ingest.webform import presenters as p

MAX_QUERY = 120


def agent_only(check: Any = can_use_agent_screen) -> Any:
    def decorate(view: Any) -> Any:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                return render(request, "phone/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def own_call(request: HttpRequest, call_id: UUID) -> Call:
    """The call, if it is this agent's; a 404 otherwise (ids are not an oracle)."""
    call = s.call_of_agent(call_id, request.user)
    if call is None or not can_work_call(request.user, call):
        raise Http404("No call with this id is yours")
    return call


# --- find the caller -----------------------------------------------------------------------


@agent_only()
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY]
    results = s.caller_search(query) if query else None
    return render(
        request,
        "phone/home.html",
        {
            "query": query,
            "results": results,
            "today": list(s.keyed_today(request.user)[:50]),
            "waiting": s.handoff_queue().count() if can_take_handoff(request.user) else 0,
        },
    )


@agent_only()
@require_POST
def call_new(request: HttpRequest) -> HttpResponse:
    """Start a call: with a caller from the results (identity check next), or a new caller
    with nothing on record (straight to a new application)."""
    try:
        call = call_start(agent=request.user, candidate=request.POST.get("candidate", "")[:80])
    except CallRefused as exc:
        messages.error(request, str(exc))
        return redirect("phone:home")
    if call.has_subject:
        return redirect("phone:verify", call_id=call.pk)
    draft = call_draft_new(call=call, first_section=p.steps(get_schema())[0].name)
    return redirect("phone:key", call_id=call.pk, section=draft.current_section)


@agent_only()
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, call_id: UUID) -> HttpResponse:
    call = own_call(request, call_id)
    if call.verified_at:
        return redirect("phone:caller", call_id=call.pk)
    fields = identity_fields()
    error, stated = "", {}
    if request.method == "POST":
        stated = {f.name: request.POST.get(f.name, "")[:100] for f in fields}
        try:
            if call_verify(call=call, stated=stated):
                return redirect("phone:caller", call_id=call.pk)
            error = "These do not match our records. Nothing of the caller's is shown."
        except CallRefused as exc:
            error = str(exc)
    views = [p.FieldView(spec=f, value=stated.get(f.name, "")) for f in fields]
    if views:
        views[0].autofocus = True
    return render(
        request,
        "phone/verify.html",
        {
            "call": call,
            "fields": views,
            "error": error,
            "status": 422 if error else 200,
        },
        status=422 if error else 200,
    )


@agent_only()
@require_GET
def caller(request: HttpRequest, call_id: UUID) -> HttpResponse:
    call = own_call(request, call_id)
    if not call.verified_at:
        return redirect("phone:verify", call_id=call.pk)
    schema = get_schema()
    drafts = [
        {"draft": d, "done": p.steps_done(schema, d.answers), "total": len(p.steps(schema))}
        for d in s.caller_drafts(call)
    ]
    return render(
        request,
        "phone/caller.html",
        {
            "call": call,
            "drafts": drafts,
            "applications": list(s.caller_applications(call)[:50]),
        },
    )


@agent_only()
@require_POST
def key_draft(request: HttpRequest, call_id: UUID) -> HttpResponse:
    """Key in this call: a new application, or one of the verified caller's drafts."""
    call = own_call(request, call_id)
    first = p.steps(get_schema())[0].name
    try:
        if request.POST.get("draft"):
            if not call.verified_at:
                raise CallRefused("Check the caller's identity first.")
            draft = call_draft_continue(call=call, draft_id=request.POST["draft"][:40])
            section = p.step_get(get_schema(), draft.current_section)
            return redirect("phone:key", call_id=call.pk, section=section.name if section else first)
        if call.has_subject and not call.verified_at:
            raise CallRefused("Check the caller's identity first.")
        call_draft_new(call=call, first_section=first)
    except CallRefused as exc:
        messages.error(request, str(exc))
        return redirect("phone:home")
    return redirect("phone:key", call_id=call.pk, section=first)


# --- the voice bot's hand-offs --------------------------------------------------------------


@agent_only(can_take_handoff)
@require_GET
def handoffs(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    now = timezone.now()
    rows = [
        {
            "handoff": h,
            "answered": len(h.draft.answers or {}),
            "low": sum(1 for n in s.capture_notes(h.draft.provenance).values() if n["low"]),
            "held_by_other": h.claimed_by_id not in (None, request.user.pk)
            and h.claim_expires_at
            and h.claim_expires_at > now,
        }
        for h in s.handoff_queue().select_related("draft")
    ]
    return render(request, "phone/handoffs.html", {"rows": rows})


@agent_only(can_take_handoff)
@require_POST
def handoff_take(request: HttpRequest, handoff_id: UUID) -> HttpResponse:
    try:
        call = handoff_claim(handoff_id=handoff_id, agent=request.user)
    except HandoffTaken as exc:
        messages.error(request, str(exc))
        return redirect("phone:handoffs")
    schema = get_schema()
    assert call.draft is not None  # a handed-off call carries its draft
    section = p.step_get(schema, call.draft.current_section) or p.steps(schema)[0]
    return redirect("phone:key", call_id=call.pk, section=section.name)


@agent_only(can_take_handoff)
@require_POST
def handoff_giveback(request: HttpRequest, handoff_id: UUID) -> HttpResponse:
    if handoff_release(handoff_id=handoff_id, agent=request.user):
        messages.success(request, "The call is back in the queue.")
    return redirect("phone:handoffs")
