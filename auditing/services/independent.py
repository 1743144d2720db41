"""Independent second labels: a share of items is labelled twice, for inter-rater agreement.

Items in the share (`ReviewItem.independent`, drawn when the item is made, like the blind
share) are reviewed as usual; when their label takes effect the item does not close but
waits (state "independent") for another auditor, who labels it without seeing the first
label. That second label is a Review (`independent=True`, status "effective" so the label
quality rollup pairs it with the first for Cohen's kappa) that never changes the decision:
no transition, no outbox event, not in labelled exports. When its tier differs from the
label's it is flagged (`disagrees`) for the auditor lead, on the label-quality page and in the
trail; the label stands unless people act on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from accounts.access import can_review_application
from auditing.models import ItemState, Review, ReviewItem, ReviewStatus
from trail.services import trail_record

if TYPE_CHECKING:
    import datetime as dt

    from accounts.types import AnyUser, User


def earlier_labellers(item: ReviewItem) -> set[Any]:
    """Everyone who judged this item before: who labelled or proposed, and who gave the
    four-eyes opinion (they saw the proposal). None of them is independent."""
    ids: set[Any] = set()
    for auditor_id, second_id in Review.objects.filter(item_id=item.pk).values_list(
        "auditor_id", "second_auditor_id"
    ):
        ids |= {auditor_id, second_id}
    return ids - {None}


def may_label_independently(user: AnyUser, item: ReviewItem) -> bool:
    """Segregation of duties as for any review, and someone who has not judged it yet."""
    return can_review_application(
        user,
        submitted_by_id=item.submitted_by_id,
        applicant_user_id=item.applicant_user_id,
        application_id=item.application_id,
    ) and user.pk not in earlier_labellers(item)


def state_after_label(item: ReviewItem) -> ItemState:
    """Where an item goes when its label takes effect: done, or (in the share) back to the
    queue for an independent second label."""
    return ItemState.INDEPENDENT if item.independent else ItemState.DONE


def independent_label_record(
    *,
    item: ReviewItem,
    auditor: User,
    final_tier: str,
    reason_code: str,
    note: str,
    now: dt.datetime,
) -> Review:
    """Inside the caller's transaction, the item locked and claimed by `auditor`, the tier and
    reason validated: the second label, the item closed, the trail entry. The application,
    its label and the sinks are left alone."""
    label = Review.objects.filter(item_id=item.pk, status=ReviewStatus.EFFECTIVE, independent=False).first()
    if label is None:  # only an item whose label took effect waits in this state
        raise ValueError(f"review item {item.pk} waits for an independent label but has no label")
    review = Review.of_item(
        item,
        auditor,
        final_tier=final_tier,
        reason_code=reason_code,
        note=note,
        now=now,
        status=ReviewStatus.EFFECTIVE,
        independent=True,
        disagrees=final_tier != label.final_tier,
    )
    review.save()
    ReviewItem.objects.filter(pk=item.pk).update(
        state=ItemState.DONE, claimed_by=None, claimed_at=None, claim_expires_at=None
    )
    trail_record(
        action="review.independent",
        object_type="application",
        object_id=item.application_id,
        actor=auditor,
        before={"label_tier": label.final_tier, "label_review_id": label.pk},
        after={
            "final_tier": final_tier,
            "reason_code": reason_code,
            "review_id": review.pk,
            "agrees": not review.disagrees,
            "blind": review.blind,
        },
        note=note,
    )
    return review
