"""The review queue: items made from routed decisions, and claims on them (leases).

A claim is taken, renewed and released only by conditional UPDATEs that proceed when exactly
one row changed, so two auditors racing for one item can never both hold it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts.access import can_give_second_opinion, can_review_application, review_conflicts_q
from auditing.models import ItemState, ReviewItem, ReviewStatus
from auditing.selectors import exclude_earlier_labellers
from auditing.services.independent import earlier_labellers, may_label_independently

# Making the items lives in queue_items; its entry points are the queue's too (re-exported).
from auditing.services.queue_items import review_queue_add as review_queue_add
from auditing.services.queue_items import review_queue_sync as review_queue_sync

if TYPE_CHECKING:
    from accounts.types import User

OPEN_STATES = (ItemState.WAITING, ItemState.AWAITING_SECOND, ItemState.INDEPENDENT)


class ClaimRefused(Exception):
    """The item cannot be claimed by this user; the message says why, for the auditor."""


# --- claims ----------------------------------------------------------------------------------


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.REVIEW_LEASE_SECONDS)


def _free(now: dt.datetime) -> Q:
    return Q(claimed_by__isnull=True) | Q(claim_expires_at__lte=now)


def _take(item_id: Any, user: User, now: dt.datetime) -> bool:
    """The conditional UPDATE: take the lease only if nobody else holds it right now.
    Renewing one's own lease keeps `claimed_at`, the start of the time the item is open."""
    with transaction.atomic():
        changed = (
            ReviewItem.objects.filter(pk=item_id, state__in=OPEN_STATES)
            .filter(_free(now) | Q(claimed_by=user))
            .update(
                claimed_by=user,
                claim_expires_at=now + _lease(),
                claimed_at=Case(
                    When(Q(claimed_by=user) & Q(claim_expires_at__gt=now), then=F("claimed_at")),
                    default=Value(now),
                ),
            )
        )
        if changed == 1:
            # One item at a time: taking a new one gives back any other the auditor held.
            ReviewItem.objects.filter(claimed_by=user, state__in=OPEN_STATES).exclude(pk=item_id).update(
                claimed_by=None, claimed_at=None, claim_expires_at=None
            )
    return changed == 1


def _check_may_claim(item: ReviewItem, user: User) -> None:
    if item.state == ItemState.DONE:
        raise ClaimRefused("This application has already been reviewed.")
    if item.state == ItemState.AWAITING_SECOND:
        proposal = item.reviews.filter(status=ReviewStatus.PROPOSED).first()
        allowed = can_give_second_opinion(
            user,
            proposed_by_id=proposal.auditor_id if proposal else None,
            submitted_by_id=item.submitted_by_id,
            applicant_user_id=item.applicant_user_id,
            application_id=item.application_id,
        )
        if not allowed and proposal and proposal.auditor_id == user.pk:
            raise ClaimRefused("You proposed this override; a second auditor must agree to it (four eyes).")
    elif item.state == ItemState.INDEPENDENT:
        if user.pk in earlier_labellers(item):
            raise ClaimRefused(
                "You judged this application already; its independent second label must come "
                "from another auditor."
            )
        allowed = may_label_independently(user, item)
    else:
        allowed = can_review_application(
            user,
            submitted_by_id=item.submitted_by_id,
            applicant_user_id=item.applicant_user_id,
            application_id=item.application_id,
        )
    if not allowed:
        raise ClaimRefused(
            "You submitted or keyed this application, or it is your own, so you "
            "cannot review it (segregation of duties)."
        )


def review_item_claim(*, item_id: Any, user: User) -> ReviewItem:
    """Claim (or re-open one's own claim on) an item. Raises ClaimRefused with the reason."""
    item = ReviewItem.objects.filter(pk=item_id).select_related("claimed_by").first()
    if item is None:
        raise ClaimRefused("There is no such review item.")
    _check_may_claim(item, user)
    now = timezone.now()
    if not _take(item.pk, user, now):
        item.refresh_from_db(fields=["claimed_by", "claim_expires_at", "state"])
        if item.state == ItemState.DONE:
            raise ClaimRefused("This application has just been reviewed by someone else.")
        holder = item.claimed_by.get_username() if item.claimed_by else "another auditor"
        until = timezone.localtime(item.claim_expires_at).strftime("%H:%M:%S")
        raise ClaimRefused(f"{holder} is working on this item (claimed until {until}).")
    item.refresh_from_db()
    return item


def review_item_renew(*, item_id: Any, user: User) -> dt.datetime | None:
    """Extend one's own lease while the page is open; None when it was lost to someone else
    (possible only after it expired) or the item was reviewed."""
    expires = timezone.now() + _lease()
    changed = ReviewItem.objects.filter(pk=item_id, claimed_by=user, state__in=OPEN_STATES).update(
        claim_expires_at=expires
    )
    return expires if changed == 1 else None


def review_item_release(*, item_id: Any, user: User) -> bool:
    """Give an item back to the queue (the auditor skipped it)."""
    return (
        ReviewItem.objects.filter(pk=item_id, claimed_by=user).update(
            claimed_by=None, claimed_at=None, claim_expires_at=None
        )
        == 1
    )


def release_expired_claims() -> int:
    """Periodic: clear leases that ran out, so the queue shows who really works on what."""
    return ReviewItem.objects.filter(state__in=OPEN_STATES, claim_expires_at__lte=timezone.now()).update(
        claimed_by=None, claimed_at=None, claim_expires_at=None
    )


@dataclass(frozen=True)
class QueueFilters:
    tier: str = ""
    channel: str = ""
    model_version: int | None = None
    older_than_hours: float | None = None
    duplicates_only: bool = False

    def apply(self, queryset: Any) -> Any:
        if self.tier:
            # Blind items never show under a tier filter: that would reveal the model's tier.
            queryset = queryset.filter(model_tier=self.tier, blind=False)
        if self.channel:
            queryset = queryset.filter(channel=self.channel)
        if self.model_version is not None:
            queryset = queryset.filter(model_version=self.model_version)
        if self.older_than_hours is not None:
            cutoff = timezone.now() - dt.timedelta(hours=self.older_than_hours)
            queryset = queryset.filter(enqueued_at__lte=cutoff)
        if self.duplicates_only:
            queryset = queryset.filter(possible_duplicate=True)
        return queryset


def review_item_claim_next(
    *, user: User, filters: QueueFilters | None = None, skip: Any = None
) -> ReviewItem | None:
    """Claim the most urgent item this user may review: second opinions first (they hold a
    label back), then independent second labels of items this user did not judge (few, and
    oldest first, so the agreement figures stay current), then the queue by priority and
    age. Another auditor taking the same item at the same moment only makes this try the
    next one."""
    filters = filters or QueueFilters()
    skipped = Q(pk=skip) if skip is not None else Q(pk__in=[])
    for _ in range(20):
        now = timezone.now()
        with transaction.atomic():
            candidate = _next_candidate(user, filters, skipped, now)
            if candidate is None:
                return None
            if _take(candidate, user, now):
                return ReviewItem.objects.get(pk=candidate)
    return None


def _next_candidate(user: User, filters: QueueFilters, skipped: Q, now: dt.datetime) -> Any:
    """The id of the item to try next, in the caller's transaction. SKIP LOCKED: auditors
    asking at the same moment are handed different items instead of all racing for the top
    one (PostgreSQL; elsewhere the conditional UPDATE alone keeps a claim single)."""

    def free() -> Any:
        return (
            ReviewItem.objects.select_for_update(skip_locked=True)
            .filter(_free(now))
            .exclude(review_conflicts_q(user))
            .exclude(skipped)
        )

    second = (
        free()
        .filter(state=ItemState.AWAITING_SECOND)
        .exclude(reviews__status=ReviewStatus.PROPOSED, reviews__auditor=user)
        .order_by("enqueued_at")
        .values_list("pk", flat=True)
        .first()
    )
    if second is not None:
        return second
    independent = (
        exclude_earlier_labellers(free().filter(state=ItemState.INDEPENDENT), user)
        .order_by("done_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    if independent is not None:
        return independent
    return (
        filters.apply(free().filter(state=ItemState.WAITING))
        .order_by("-priority", "enqueued_at")
        .values_list("pk", flat=True)
        .first()
    )
