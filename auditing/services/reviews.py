"""Confirm or override a decision; four eyes for overrides that lower risk by two tiers;
the independent second label of items in the share (measurement only).

A review that takes effect moves the application (in_review → confirmed | overridden) with
its label (final_tier, labelled_at), records trail entries and owes the sinks a "review"
event through the outbox — all in one transaction, so none of it exists without the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.access import can_give_second_opinion, can_review_application
from applicants.models import Status
from applicants.services import application_label
from auditing.models import ItemState, Outcome, Review, ReviewItem, ReviewStatus
from auditing.services.independent import (
    independent_label_record,
    may_label_independently,
    state_after_label,
)
from outbox.services import outbox_fan_out
from scoring.models import TIERS
from trail.services import trail_record

if TYPE_CHECKING:
    from accounts.types import Actor, User

# The reason recorded when an auditor who saw the model's tier simply agrees with it.
CONFIRM_REASON = "agrees_with_model"


class ReviewRefused(Exception):
    """The review cannot be recorded; the message says why, in words for the auditor."""


def needs_second_auditor(model_tier: str, final_tier: str) -> bool:
    """Four eyes when an override lowers risk by two tiers (high → low)."""
    return TIERS.index(model_tier) - TIERS.index(final_tier) >= 2


def _validate(*, item: ReviewItem, final_tier: str, reason_code: str, note: str) -> str:
    if final_tier not in TIERS:
        raise ReviewRefused(f"Pick a tier: {', '.join(TIERS)} (got {final_tier!r}).")
    codes = settings.REVIEW_REASON_CODES
    overriding = final_tier != item.model_tier
    if not reason_code:
        if overriding or item.blind:
            raise ReviewRefused("Pick a reason for this tier from the list.")
        return CONFIRM_REASON
    if reason_code not in codes and not (reason_code == CONFIRM_REASON and not item.blind):
        raise ReviewRefused(f"Unknown reason {reason_code!r}; choose one of: {', '.join(codes)}.")
    if reason_code == "other" and not note.strip():
        raise ReviewRefused("The reason 'Other' needs a note that explains it.")
    return reason_code


def _locked_item(item_id: Any) -> ReviewItem:
    item = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("application", "decision__model_version")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise ReviewRefused("There is no such review item.")
    return item


def _check_holds_claim(item: ReviewItem, user: User) -> None:
    """The auditor must hold the item. A lease that ran out still counts while nobody else
    took it: the auditor was slow, not displaced."""
    if item.claimed_by_id == user.pk:
        return
    if (
        item.claimed_by_id is not None
        and item.claim_expires_at is not None
        and item.claim_expires_at > timezone.now()
    ):
        raise ReviewRefused("Another auditor holds this item now; your claim ran out. Nothing was recorded.")
    raise ReviewRefused("You do not hold this item; open it from the queue to claim it first.")


def review_record(
    *, item_id: Any, auditor: User, final_tier: str, reason_code: str = "", note: str = ""
) -> Review:
    """Record the auditor's tier for a claimed item. The same tier as the model's is a
    confirmation; another is an override, which needs a reason code. An override from high
    to low is only proposed: it waits for a second auditor."""
    note = note.strip()
    with transaction.atomic():
        item = _locked_item(item_id)
        if item.state == ItemState.DONE:
            raise ReviewRefused("This application has already been reviewed.")
        if item.state == ItemState.AWAITING_SECOND:
            raise ReviewRefused("This override waits for a second auditor's agreement.")
        if item.state == ItemState.INDEPENDENT:
            return _record_independent(
                item=item, auditor=auditor, final_tier=final_tier, reason_code=reason_code, note=note
            )
        if not can_review_application(
            auditor,
            submitted_by_id=item.submitted_by_id,
            applicant_user_id=item.applicant_user_id,
            application_id=item.application_id,
        ):
            raise ReviewRefused(
                "You submitted or keyed this application, or it is your own, so "
                "you cannot review it (segregation of duties)."
            )
        _check_holds_claim(item, auditor)
        reason_code = _validate(item=item, final_tier=final_tier, reason_code=reason_code, note=note)
        now = timezone.now()
        review = Review.of_item(
            item, auditor, final_tier=final_tier, reason_code=reason_code, note=note, now=now
        )
        if needs_second_auditor(item.model_tier, final_tier):
            review.status = ReviewStatus.PROPOSED
            review.save()
            ReviewItem.objects.filter(pk=item.pk).update(
                state=ItemState.AWAITING_SECOND,
                claimed_by=None,
                claimed_at=None,
                claim_expires_at=None,
            )
            trail_record(
                action="review.proposed",
                object_type="application",
                object_id=item.application_id,
                actor=auditor,
                before={"tier": item.model_tier},
                after={
                    "final_tier": final_tier,
                    "reason_code": reason_code,
                    "review_id": review.pk,
                    "needs": "second auditor",
                },
                note=note,
            )
            return review
        review.status = ReviewStatus.EFFECTIVE
        review.save()
        _take_effect(item=item, review=review, actor=auditor, now=now)
        return review


def _record_independent(
    *, item: ReviewItem, auditor: User, final_tier: str, reason_code: str, note: str
) -> Review:
    """The second, independent label of an item in the share: measurement only (see
    auditing/services/independent.py); the decision and its label stay as they are."""
    if not may_label_independently(auditor, item):
        raise ReviewRefused(
            "You judged this application already, submitted or keyed it, or it is your own: "
            "its independent second label must come from another auditor."
        )
    _check_holds_claim(item, auditor)
    reason_code = _validate(item=item, final_tier=final_tier, reason_code=reason_code, note=note)
    return independent_label_record(
        item=item,
        auditor=auditor,
        final_tier=final_tier,
        reason_code=reason_code,
        note=note,
        now=timezone.now(),
    )


def review_second_opinion(*, item_id: Any, auditor: User, agree: bool, note: str = "") -> Review:
    """A second auditor agrees to a proposed override (it takes effect) or refuses it (the
    item returns to the queue, still held by this auditor, to be reviewed afresh)."""
    note = note.strip()
    with transaction.atomic():
        item = _locked_item(item_id)
        if item.state != ItemState.AWAITING_SECOND:
            raise ReviewRefused("This item has no override waiting for a second opinion.")
        proposal = Review.objects.select_for_update().get(item=item, status=ReviewStatus.PROPOSED)
        if not can_give_second_opinion(
            auditor,
            proposed_by_id=proposal.auditor_id,
            submitted_by_id=item.submitted_by_id,
            applicant_user_id=item.applicant_user_id,
            application_id=item.application_id,
        ):
            raise ReviewRefused(
                "A second opinion must come from another auditor, who did not "
                "submit or key the application (four eyes)."
            )
        _check_holds_claim(item, auditor)
        if not agree and not note:
            raise ReviewRefused("Say why you disagree: the note is required.")
        now = timezone.now()
        proposal.second_auditor, proposal.second_note, proposal.second_at = auditor, note, now
        trail_record(
            action="review.second_opinion",
            object_type="application",
            object_id=item.application_id,
            actor=auditor,
            after={
                "review_id": proposal.pk,
                "agree": agree,
                "proposed_by": proposal.auditor_label,
                "final_tier": proposal.final_tier,
            },
            note=note,
        )
        if agree:
            proposal.status = ReviewStatus.EFFECTIVE
            proposal.save()
            _take_effect(item=item, review=proposal, actor=auditor, now=now)
        else:
            proposal.status = ReviewStatus.REJECTED
            proposal.save()
            ReviewItem.objects.filter(pk=item.pk).update(state=ItemState.WAITING, claimed_at=now)
        return proposal


def _take_effect(*, item: ReviewItem, review: Review, actor: Actor, now: Any) -> None:
    """Inside the caller's transaction: the label, the state change, the trail, the outbox."""
    to_status = Status.CONFIRMED if review.outcome == Outcome.CONFIRMED else Status.OVERRIDDEN
    moved = application_label(
        application_id=item.application_id,
        to_status=to_status,
        final_tier=review.final_tier,
        labelled_at=now,
        actor=actor,
        note=f"review {review.pk}: {review.model_tier} → {review.final_tier} ({review.reason_code})",
    )
    if not moved:
        item.application.refresh_from_db(fields=["status"])
        raise ReviewRefused(
            f"The application is no longer in review (it is {item.application.status}); nothing was recorded."
        )
    Review.objects.filter(pk=review.pk).update(effective_at=now)
    review.effective_at = now
    # An item in the independent share goes back to the queue for a second label.
    ReviewItem.objects.filter(pk=item.pk).update(
        state=state_after_label(item), done_at=now, claimed_by=None, claimed_at=None, claim_expires_at=None
    )
    trail_record(
        action=f"review.{review.outcome}",
        object_type="application",
        object_id=item.application_id,
        actor=review.auditor,
        before={"tier": review.model_tier},
        after={
            "final_tier": review.final_tier,
            "reason_code": review.reason_code,
            "review_id": review.pk,
            "blind": review.blind,
            "seconds_open": round(review.seconds_open, 1),
            **({"second_auditor": review.second_auditor.get_username()} if review.second_auditor else {}),
        },
        note=review.note,
    )
    outbox_fan_out(event="review", items=[(str(item.application_id), review_event(review, to_status))])


def review_event(review: Review, application_status: str) -> dict[str, Any]:
    """The payload the sinks consume (see docs/review.md): exactly these keys."""
    return {
        "review_id": review.pk,
        "outcome": review.outcome,
        "final_tier": review.final_tier,
        "model_tier": review.model_tier,
        "reason_code": review.reason_code,
        "auditor": review.auditor_label,
        "reviewed_at": review.created_at.isoformat(),
        "seconds_open": round(float(review.seconds_open), 3),
        "blind": review.blind,
        "application_status": str(application_status),
    }
