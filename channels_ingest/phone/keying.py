"""Keying a phone application in a call: one page per schema section (the web form's steps,
built by its presenters), each answer checked as it is keyed (htmx, the one-field service),
a duplicate warning as soon as the identity number is in, then the summary where the agent
records the caller's verbal consent and submits. Every answer's provenance: `keyed`, by
this agent, channel phone_agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can_see_duplicate_flags
from applicants.drafts import DraftClosed, draft_answer, draft_answer_many, draft_set_section
from applicants.models import Draft
from applicants.schema import get_schema
from applicants.validation import ApplicationInvalid
from channels_ingest.phone import selectors as s
from channels_ingest.phone.handoffs import HandoffTaken, handoff_renew
from channels_ingest.phone.models import Call
from channels_ingest.phone.services import CallRefused, call_capture, call_submit
from channels_ingest.phone.views import agent_only, own_call
from channels_ingest.webform import presenters as p

# Private to the web form's views (one step's errors, rule errors included); shared as is.
from scoring.selectors import application_get, current_decision

if TYPE_CHECKING:
    from accounts.types import HtmxHttpRequest


def _open_draft(call: Call) -> Draft:
    if call.application_id:
        raise _Done()
    if call.draft is None:
        raise Http404("This call has no application in progress")
    return call.draft


class _Done(Exception):
    pass


def _duplicate(request: HttpRequest, draft: Draft) -> Any:
    schema = get_schema()
    if not schema.identity_field or not can_see_duplicate_flags(request.user):
        return None
    return s.recent_application_of_identity(str((draft.answers or {}).get(schema.identity_field, "")))


def _keying_context(
    request: HttpRequest, call: Call, draft: Draft, current: p.Step, views: list[p.FieldView]
) -> dict[str, Any]:
    schema = get_schema()
    notes = s.capture_notes(draft.provenance)
    return {
        "call": call,
        "draft": draft,
        "step": current,
        "steps": p.steps(schema),
        "fields": [{"view": v, "note": notes.get(v.name)} for v in views],
        "errors": [v for v in views if v.error],
        "previous": p.step_before(schema, current.name),
        "low": [v.spec.label for v in views if (notes.get(v.name) or {}).get("low")],
        "duplicate": _duplicate(request, draft),
        "schema": schema,
    }


@agent_only()
@require_http_methods(["GET", "POST"])
def key(request: HttpRequest, call_id: UUID, section: str) -> HttpResponse:
    call = own_call(request, call_id)
    try:
        draft = _open_draft(call)
    except _Done:
        return redirect("phone:done", call_id=call.pk)
    schema = get_schema()
    current = p.step_get(schema, section)
    if current is None:
        raise Http404("No such section")
    if request.method == "GET":
        views = p.field_views(current.fields, draft.answers)
        if views and not any(v.autofocus for v in views):
            views[0].autofocus = True
        return render(request, "phone/key.html", _keying_context(request, call, draft, current, views))

    action = request.POST.get("action", "next")
    raw = {f.name: request.POST.get(f.name, "")[:2000] for f in current.fields}
    # Only what the agent changed, left unanswered, or confirmed (a doubtful speech answer
    # shown to them) is recorded as keyed by them: an answer the caller typed on the web
    # and the agent left alone keeps its own provenance.
    notes = s.capture_notes(draft.provenance)
    stored = {f.name: p.input_value(f, (draft.answers or {}).get(f.name)) for f in current.fields}
    changed = {
        n: v
        for n, v in raw.items()
        if v.strip() != stored[n] or n not in (draft.answers or {}) or (notes.get(n) or {}).get("low")
    }
    try:
        handoff_renew(call=call)
        results = draft_answer_many(draft, changed, call_capture(call), section=current.name)
    except (DraftClosed, HandoffTaken) as exc:
        messages.error(request, str(exc))
        return redirect("phone:home")
    errors = p.step_errors(current, results) if results else {}
    if action == "save":
        messages.success(request, f"Saved. {len(errors)} answer(s) need fixing." if errors else "Saved.")
        return redirect("phone:key", call_id=call.pk, section=current.name)
    if action == "back":
        before = p.step_before(schema, current.name)
        if before:
            draft_set_section(draft=draft, section=before)
            return redirect("phone:key", call_id=call.pk, section=before)
    if errors:
        views = p.field_views(current.fields, draft.answers, raw=raw, errors=errors)
        return render(
            request, "phone/key.html", _keying_context(request, call, draft, current, views), status=422
        )
    destination = p.step_after(schema, current.name) if action != "review" else p.REVIEW
    draft_set_section(draft=draft, section=destination)
    if destination == p.REVIEW:
        return redirect("phone:review", call_id=call.pk)
    return redirect("phone:key", call_id=call.pk, section=destination)


@agent_only()
@require_POST
def check_field(request: HttpRequest, call_id: UUID, name: str) -> HttpResponse:
    """One answer, checked as it is keyed; with the identity number, the duplicate check."""
    call = own_call(request, call_id)
    schema = get_schema()
    spec = schema.by_name.get(name)
    try:
        draft = _open_draft(call)
    except _Done:
        return HttpResponse("This application was submitted.", status=409)
    if spec is None:
        raise Http404("No such question")
    raw = request.POST.get(name, "")[:2000]
    try:
        handoff_renew(call=call)
        result = draft_answer(draft, name, raw, call_capture(call))
    except (DraftClosed, HandoffTaken) as exc:
        return HttpResponse(str(exc), status=409)
    error = result.error or (result.rule_errors.get(name) or [""])[0]
    view = p.FieldView(spec=spec, value=str(raw) if error else p.input_value(spec, result.value), error=error)
    others = [
        {"id": f"error-{f.name}", "text": (result.rule_errors.get(f.name) or [""])[0]}
        for f in p.rule_neighbours(schema, name)
    ]
    notes = s.capture_notes(draft.provenance)
    section = p.step_get(schema, schema.section_of(name))
    low = [f.label for f in (section.fields if section else ()) if (notes.get(f.name) or {}).get("low")]
    return render(
        request,
        "phone/_field_checked.html",
        {
            "call": call,
            "item": {"view": view, "note": notes.get(name)},
            "low": low,
            "others": others,
            "live": True,
            "duplicate_oob": name == schema.identity_field,
            "duplicate": _duplicate(request, draft),
        },
    )


@agent_only()
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, call_id: UUID) -> HttpResponse:
    call = own_call(request, call_id)
    try:
        draft = _open_draft(call)
    except _Done:
        return redirect("phone:done", call_id=call.pk)
    schema = get_schema()
    consents = p.consent_fields(schema)
    if request.method == "GET":
        return _render_review(request, call, draft, p.field_views(consents, draft.answers))
    raw = {f.name: "yes" if request.POST.get(f.name) else "no" for f in consents}
    attested = bool(request.POST.get("attest"))
    try:
        handoff_renew(call=call)
        if raw:
            results = draft_answer_many(draft, raw, call_capture(call), section=p.REVIEW)
            errors = {n: r.error for n, r in results.items() if r.error}
            if errors:
                return _render_review(
                    request, call, draft, p.field_views(consents, draft.answers, raw=raw, errors=errors)
                )
        call_submit(call=call, consent_attested=attested)
    except (CallRefused, DraftClosed, HandoffTaken) as exc:
        return _render_review(request, call, draft, p.field_views(consents, draft.answers), refusal=str(exc))
    except ApplicationInvalid as exc:
        return _render_review(
            request, call, draft, p.field_views(consents, draft.answers), problems=exc.errors
        )
    return redirect("phone:done", call_id=call.pk)


def _render_review(
    request: HttpRequest,
    call: Call,
    draft: Draft,
    consent_views: list[p.FieldView],
    problems: dict[str, list[str]] | None = None,
    refusal: str = "",
) -> HttpResponse:
    schema = get_schema()
    sections = p.review_sections(schema, draft.answers, problems)
    failed = bool(problems or refusal or any(v.error for v in consent_views))
    return render(
        request,
        "phone/review.html",
        {
            "call": call,
            "draft": draft,
            "sections": sections,
            "consents": consent_views,
            "steps": p.steps(schema),
            "problems": problems or {},
            "refusal": refusal,
            "errors": [v for v in consent_views if v.error],
            "duplicate": _duplicate(request, draft),
            "missing": [row for sec in sections for row in sec["rows"] if row["missing"] or row["errors"]],
        },
        status=422 if failed else 200,
    )


@agent_only()
@require_GET
def done(request: HtmxHttpRequest, call_id: UUID) -> HttpResponse:
    call = own_call(request, call_id)
    if not call.application_id:
        return redirect("phone:home")
    application = application_get(call.application_id)
    assert application is not None  # a submitted call's application stays
    decision = current_decision(application)
    context = {
        "call": call,
        "application": application,
        "decision": decision,
        "progress": p.application_progress(application, decision),
    }
    template = "phone/_done_status.html" if request.htmx else "phone/done.html"
    return render(request, template, context)
