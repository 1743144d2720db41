"""The web form: an applicant's drafts and applications, one step per schema section, the
review-and-consent page and the status page. Every page works without JavaScript; with it,
htmx checks each answer as it is given (the one-field service) and the status page updates
itself. Views parse and answer; applicants.drafts decides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import can_edit_draft, can_start_draft, can_view_application
from applicants.drafts import (
    DraftClosed,
    draft_answer,
    draft_answer_many,
    draft_set_section,
    draft_start,
    draft_submit,
    is_expired,
)
from applicants.models import Channel, Draft
from applicants.provenance import Capture
from applicants.schema import get_schema
from applicants.selectors import draft_get, drafts_open_of_user
from applicants.validation import ApplicationInvalid
from channels_ingest.webform import presenters as p
from scoring.selectors import application_get, applications_owned_by, current_decision

if TYPE_CHECKING:
    from accounts.types import AuthenticatedHttpRequest, HtmxHttpRequest

applicant_login_required = login_required(login_url=reverse_lazy("account_login"))


# --- the applicant's home -----------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    schema = get_schema()
    if not request.user.is_authenticated:
        return render(request, "webform/welcome.html", {"schema": schema, "steps": p.steps(schema)})
    drafts = [
        {"draft": d, "done": p.steps_done(schema, d.answers), "total": len(p.steps(schema))}
        for d in drafts_open_of_user(request.user)[:20]
    ]
    applications = [
        {"application": a, "progress": p.application_progress(a, current_decision(a))}
        for a in applications_owned_by(request.user)[:50]
    ]
    return render(
        request,
        "webform/home.html",
        {
            "schema": schema,
            "drafts": drafts,
            "applications": applications,
            "may_apply": can_start_draft(request.user),
        },
    )


@applicant_login_required
@require_POST
def start(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not can_start_draft(request.user):
        return _forbidden(request)
    schema = get_schema()
    first = p.steps(schema)[0].name
    draft = draft_start(channel=Channel.WEB, owner_user=request.user, first_section=first)
    return redirect("webform:step", draft_id=draft.pk, section=first)


@applicant_login_required
@require_GET
def resume(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    draft = _own_draft(request, draft_id)
    if closed := _closed(request, draft):
        return closed
    schema = get_schema()
    if draft.current_section == p.REVIEW:
        return redirect("webform:review", draft_id=draft.pk)
    step = p.step_get(schema, draft.current_section) or p.steps(schema)[0]
    return redirect("webform:step", draft_id=draft.pk, section=step.name)


# --- one step ------------------------------------------------------------------------------------


@applicant_login_required
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, draft_id: UUID, section: str) -> HttpResponse:
    draft = _own_draft(request, draft_id)
    if closed := _closed(request, draft):
        return closed
    schema = get_schema()
    current = p.step_get(schema, section)
    if current is None:
        raise Http404("No such step")
    returning = request.POST.get("return", request.GET.get("return", "")) == p.RETURN_TO_REVIEW
    if request.method == "GET":
        return _render_step(
            request, draft, current, p.field_views(current.fields, draft.answers), returning=returning
        )

    action = request.POST.get("action", "next")
    raw = {f.name: request.POST.get(f.name, "") for f in current.fields}
    try:
        results = draft_answer_many(draft, raw, _capture(request), section=current.name)
    except DraftClosed:  # it expired, or was sent from another tab, meanwhile
        return redirect("webform:resume", draft_id=draft.pk)
    errors = p.step_errors(current, results)
    if action == "save":
        messages.success(request, _saved_message(draft, errors))
        return redirect("webform:home")
    if action == "back":
        before = p.step_before(schema, current.name)
        if before:
            draft_set_section(draft=draft, section=before)
            return redirect("webform:step", draft_id=draft.pk, section=before)
    if errors:
        views = p.field_views(current.fields, draft.answers, raw=raw, errors=errors)
        return _render_step(request, draft, current, views, returning=returning)
    destination = p.REVIEW if returning else p.step_after(schema, current.name)
    draft_set_section(draft=draft, section=destination)
    if destination == p.REVIEW:
        return redirect("webform:review", draft_id=draft.pk)
    return redirect("webform:step", draft_id=draft.pk, section=destination)


def _render_step(
    request: HttpRequest, draft: Draft, current: p.Step, views: list[p.FieldView], *, returning: bool
) -> HttpResponse:
    schema = get_schema()
    return render(
        request,
        "webform/step.html",
        {
            "schema": schema,
            "draft": draft,
            "step": current,
            "fields": views,
            "steps": p.steps(schema),
            "errors": [v for v in views if v.error],
            "previous": p.step_before(schema, current.name),
            "returning": returning,
        },
    )


def _saved_message(draft: Draft, errors: dict[str, str]) -> str:
    until = draft.expires_at.strftime("%d %B %Y")
    text = f"Your answers are saved. Come back any time before {until} to carry on."
    if errors:
        text += f" {len(errors)} answer(s) on the last page were not saved because they need fixing."
    return text


# --- one answer, checked as it is given (htmx) ---------------------------------------------------


@applicant_login_required
@require_POST
def check_field(request: HttpRequest, draft_id: UUID, name: str) -> HttpResponse:
    draft = _own_draft(request, draft_id, with_answers=False)
    schema = get_schema()
    spec = schema.by_name.get(name)
    if spec is None:
        raise Http404("No such question")
    if not draft.is_open or is_expired(draft):
        # The page behind the form says why (expired, or sent from another tab).
        return HttpResponseClientRedirect(reverse("webform:resume", kwargs={"draft_id": draft.pk}))
    raw = request.POST.get(name, "")
    try:
        result = draft_answer(draft, name, raw, _capture(request))
    except DraftClosed:
        return HttpResponseClientRedirect(reverse("webform:resume", kwargs={"draft_id": draft.pk}))
    error = result.error
    if not error and result.rule_errors.get(name):
        error = result.rule_errors[name][0]
    view = p.FieldView(spec=spec, value=str(raw) if error else p.input_value(spec, result.value), error=error)
    # Rules judged now may concern other questions on the same page: update their messages.
    others = [
        {"id": f"error-{f.name}", "text": (result.rule_errors.get(f.name) or [""])[0]}
        for f in p.rule_neighbours(schema, name)
    ]
    return render(
        request,
        "webform/_field_checked.html",
        {"draft": draft, "field": view, "others": others, "live": True},
    )


# --- review, consent, submit -----------------------------------------------------------------------


@applicant_login_required
@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, draft_id: UUID) -> HttpResponse:
    draft = _own_draft(request, draft_id)
    if closed := _closed(request, draft):
        return closed
    schema = get_schema()
    consents = p.consent_fields(schema)
    if request.method == "GET":
        return _render_review(request, draft, p.field_views(consents, draft.answers))

    # An unticked box is a "no": the schema then says why it must be given.
    raw = {f.name: "yes" if request.POST.get(f.name) else "no" for f in consents}
    try:
        if raw:
            results = draft_answer_many(draft, raw, _capture(request), section=p.REVIEW)
            errors = {n: r.error for n, r in results.items() if r.error}
            if errors:
                return _render_review(
                    request, draft, p.field_views(consents, draft.answers, raw=raw, errors=errors)
                )
        submission = draft_submit(draft=draft, actor=request.user, applicant_user=request.user)
    except DraftClosed:
        return redirect("webform:resume", draft_id=draft.pk)
    except ApplicationInvalid as exc:
        return _render_review(request, draft, p.field_views(consents, draft.answers), problems=exc.errors)
    return redirect("webform:status", application_id=submission.application.pk)


def _render_review(
    request: HttpRequest,
    draft: Draft,
    consent_views: list[p.FieldView],
    problems: dict[str, list[str]] | None = None,
) -> HttpResponse:
    schema = get_schema()
    sections = p.review_sections(schema, draft.answers, problems)
    return render(
        request,
        "webform/review.html",
        {
            "schema": schema,
            "draft": draft,
            "sections": sections,
            "consents": consent_views,
            "steps": p.steps(schema),
            "problems": problems or {},
            "errors": [v for v in consent_views if v.error],
            "missing": [row for s in sections for row in s["rows"] if row["missing"] or row["errors"]],
        },
    )


# --- status --------------------------------------------------------------------------------------


@applicant_login_required
@require_GET
def status(request: HtmxHttpRequest, application_id: UUID) -> HttpResponse:
    application = application_get(application_id)
    if application is None or not can_view_application(request.user, application):
        raise Http404("No application with this id is visible to you")
    progress = p.application_progress(application, current_decision(application))
    template = "webform/_status.html" if request.htmx else "webform/status.html"
    return render(
        request,
        template,
        {
            "application": application,
            "progress": progress,
            "schema": get_schema(),
            "poll_seconds": settings.APPLICANT_STATUS_POLL_SECONDS,
        },
    )


# --- helpers -------------------------------------------------------------------------------------


def _own_draft(request: HttpRequest, draft_id: UUID, *, with_answers: bool = True) -> Draft:
    """The draft, if it is this account's; a 404 otherwise (ids are not an oracle)."""
    draft = draft_get(draft_id, with_answers=with_answers)
    if draft is None or not can_edit_draft(request.user, draft):
        raise Http404("No draft with this id is yours")
    return draft


def _closed(request: HttpRequest, draft: Draft) -> HttpResponse | None:
    """What the owner sees of a draft that takes no more answers: a sent one's status page
    (saying it was sent), or a page saying it expired with a way to start again. None while
    the draft is open."""
    if draft.is_open and not is_expired(draft):
        return None
    if draft.application_id is not None:
        sent = draft.submitted_at.strftime("%d %B %Y") if draft.submitted_at else "earlier"
        messages.info(request, f"You sent this application on {sent}; it can no longer be changed.")
        return redirect("webform:status", application_id=draft.application_id)
    return render(
        request,
        "webform/draft_closed.html",
        {
            "draft": draft,
            "submitted": not draft.is_open,
            "ttl_days": settings.DRAFT_TTL_DAYS,
            "may_apply": can_start_draft(request.user),
        },
        status=410,
    )


def _capture(request: HttpRequest) -> Capture:
    return Capture.by_user(request.user, channel=Channel.WEB)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "webform/forbidden.html", status=403)
