"""The review queue and the item page: claim, renew, skip, confirm / override, four eyes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts.access import (
    can_give_second_opinion,
    can_review_application,
    can_see_pii,
    can_work_review_queue,
)
from accounts.decorators import allowed
from applicants.provenance import describe as describe_provenance
from applicants.schema import get_schema
from auditing import selectors
from auditing.forms import QueueFilterForm, ReviewForm, SecondOpinionForm, reason_choices
from auditing.models import ItemState, ReviewItem, ReviewStatus
from auditing.services.independent import earlier_labellers, may_label_independently
from auditing.services.pii import application_answers, pii_unmask
from auditing.services.queue import (
    ClaimRefused,
    review_item_claim,
    review_item_claim_next,
    review_item_release,
    review_item_renew,
)
from auditing.services.reviews import ReviewRefused, review_record, review_second_opinion

if TYPE_CHECKING:
    from accounts.types import AuthenticatedHttpRequest


@require_GET
@allowed(can_work_review_queue)
def queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    versions = selectors.model_versions_in_queue()
    form = QueueFilterForm(request.GET or None, versions=versions)
    filters = form.filters()
    waiting = filters.apply(selectors.queue_waiting())
    return render(
        request,
        "auditing/queue.html",
        {
            "form": form,
            "filters_query": request.GET.urlencode(),
            "summary": selectors.queue_summary(waiting),
            "items": selectors.queue_page(waiting, limit=settings.REVIEW_QUEUE_PAGE_SIZE),
            "second_opinions": selectors.second_opinions_for(request.user),
            "independent_items": selectors.independent_labels_for(request.user),
            "now": timezone.now(),
        },
        status=400 if form.errors else 200,
    )


def _queue_url(filters_query: str = "") -> str:
    return reverse("auditing:queue") + (f"?{filters_query}" if filters_query else "")


def _next_or_queue(
    request: AuthenticatedHttpRequest, *, filters_query: str = "", skip: Any = None
) -> HttpResponse:
    """The next item, one keystroke after the last: claimed and opened, or the queue when
    nothing is left."""
    form = QueueFilterForm(QueryDict(filters_query), versions=selectors.model_versions_in_queue())
    if filters_query and not form.is_valid():
        messages.error(request, "Those filters cannot be used; nothing was claimed. Fix them below.")
        return redirect(_queue_url(filters_query))
    item = review_item_claim_next(user=request.user, filters=form.filters(), skip=skip)
    if item is None:
        messages.info(
            request, "Nothing left for you to review" + (" with these filters." if filters_query else ".")
        )
        return redirect(_queue_url(filters_query))
    return redirect(_item_url(item.pk, filters_query))


def _item_url(item_id: Any, filters_query: str = "") -> str:
    url = reverse("auditing:item", args=[item_id])
    return url + (f"?{urlencode({'q': filters_query})}" if filters_query else "")


@require_POST
@allowed(can_work_review_queue)
def claim_next(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _next_or_queue(request, filters_query=request.POST.get("q", ""))


@require_POST
@allowed(can_work_review_queue)
def claim(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    try:
        review_item_claim(item_id=item_id, user=request.user)
    except ClaimRefused as exc:
        messages.error(request, str(exc))
    return redirect(_item_url(item_id, request.POST.get("q", "")))


@require_POST
@allowed(can_work_review_queue)
def renew(request: AuthenticatedHttpRequest, item_id: int) -> JsonResponse:
    expires = review_item_renew(item_id=item_id, user=request.user)
    if expires is None:
        return JsonResponse(
            {
                "error": "You no longer hold this item: it was reviewed, or another "
                "auditor took it after your claim ran out."
            },
            status=409,
        )
    return JsonResponse({"expires_at": expires.isoformat(), "lease_seconds": settings.REVIEW_LEASE_SECONDS})


@require_POST
@allowed(can_work_review_queue)
def release(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    if review_item_release(item_id=item_id, user=request.user):
        messages.info(request, "The item is back in the queue.")
    return redirect(_queue_url(request.POST.get("q", "")))


@require_POST
@allowed(can_work_review_queue)
def skip(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    review_item_release(item_id=item_id, user=request.user)
    return _next_or_queue(request, filters_query=request.POST.get("q", ""), skip=item_id)


@require_GET
@allowed(can_work_review_queue)
def item(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    return _render_item(request, item_id)


@require_POST
@allowed(can_work_review_queue)
def review(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    form = ReviewForm(request.POST)
    filters_query = request.POST.get("q", "")
    if not form.is_valid():
        return _render_item(request, item_id, form=form, status=400)
    data = form.cleaned_data
    try:
        done = review_record(
            item_id=item_id,
            auditor=request.user,
            final_tier=data["final_tier"],
            reason_code=data["reason_code"],
            note=data["note"],
        )
    except ReviewRefused as exc:
        form.add_error(None, str(exc))
        return _render_item(request, item_id, form=form, status=409)
    if done.status == ReviewStatus.PROPOSED:
        messages.success(
            request,
            f"Override to {done.final_tier} proposed: it takes effect when a "
            "second auditor agrees (four eyes).",
        )
    elif done.independent:
        messages.success(request, f"Independent label recorded: {done.final_tier}. Thank you.")
    else:
        messages.success(request, f"{done.get_outcome_display()}: {done.final_tier}.")
    return _next_or_queue(request, filters_query=filters_query)


@require_POST
@allowed(can_work_review_queue)
def second_opinion(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    form = SecondOpinionForm(request.POST)
    if not form.is_valid():
        return _render_item(request, item_id, second_form=form, status=400)
    agree = form.cleaned_data["agree"]
    try:
        review_second_opinion(
            item_id=item_id, auditor=request.user, agree=agree, note=form.cleaned_data["note"]
        )
    except ReviewRefused as exc:
        form.add_error(None, str(exc))
        return _render_item(request, item_id, second_form=form, status=409)
    if agree:
        messages.success(request, "Agreed: the override took effect.")
        return _next_or_queue(request, filters_query=request.POST.get("q", ""))
    messages.info(request, "Override refused. The item is yours to review afresh.")
    return redirect(_item_url(item_id, request.POST.get("q", "")))


@require_POST
@allowed(can_work_review_queue)
def unmask(request: AuthenticatedHttpRequest, item_id: int) -> HttpResponse:
    """Show personal answers to a role that may read them; the unmasking is recorded first."""
    found = selectors.item_for_page(item_id)
    if found is None:
        raise Http404("no such review item")
    answers = pii_unmask(
        application=found.application, user=request.user, purpose=f"review page, item {found.pk}"
    )
    return _render_item(request, item_id, answers=answers)


def _render_item(
    request: HttpRequest,
    item_id: int,
    *,
    answers: Any = None,
    form: ReviewForm | None = None,
    second_form: SecondOpinionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    found: ReviewItem | None = selectors.item_for_page(item_id)
    if found is None:
        raise Http404("no such review item")
    user, now = request.user, timezone.now()
    application, decision = found.application, found.decision
    proposal = selectors.open_proposal(found)
    holder = found.claimed_by if found.claim_expires_at and found.claim_expires_at > now else None
    held = found.held_by(user, now=now)
    # An independent second label: whoever gives it must not see the first label, so the
    # page leaves out the application's status, its reviews and its history until then.
    independent = found.state == ItemState.INDEPENDENT
    if found.state == ItemState.AWAITING_SECOND:
        may_act = proposal is not None and can_give_second_opinion(
            user,
            proposed_by_id=proposal.auditor_id,
            submitted_by_id=found.submitted_by_id,
            applicant_user_id=found.applicant_user_id,
            application_id=found.application_id,
        )
    elif independent:
        may_act = may_label_independently(user, found)
    else:
        may_act = can_review_application(
            user,
            submitted_by_id=found.submitted_by_id,
            applicant_user_id=found.applicant_user_id,
            application_id=found.application_id,
        )
    labelling = found.state in (ItemState.WAITING, ItemState.INDEPENDENT)
    show_model = not found.blind or not labelling
    filters_query = request.GET.get("q", request.POST.get("q", ""))
    return render(
        request,
        "auditing/item.html",
        {
            "item": found,
            "application": application,
            "decision": decision,
            "model": decision.model_version,
            "show_model": show_model,
            "answers": answers if answers is not None else application_answers(application),
            # How each answer was captured (channel, method, who, when; corrections): field provenance.
            "provenance": describe_provenance(
                application.provenance, {f.name: f.label for f in get_schema().fields}
            ),
            "can_unmask": can_see_pii(user) and answers is None,
            "reasons": decision.reasons if show_model else [],
            "duplicates": selectors.possible_duplicates(application),
            "history": [] if independent else selectors.application_history(application),
            "reviews": [] if independent else selectors.item_reviews(found),
            "independent": independent,
            "labelling": labelling,
            "labelled_before": independent and user.pk in earlier_labellers(found),
            "proposal": proposal,
            "holder": holder,
            "held": held,
            "may_act": may_act,
            "form": form or ReviewForm(initial={"final_tier": "" if found.blind else found.model_tier}),
            "second_form": second_form or SecondOpinionForm(),
            "reason_choices": reason_choices(),
            "tiers": selectors.tiers(),
            "lease_seconds": settings.REVIEW_LEASE_SECONDS,
            "filters_query": filters_query,
            "now": now,
        },
        status=status,
    )
