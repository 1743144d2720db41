"""Reads for the review queue, the item page, label quality and the audit trail search."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Avg, Count, Min, Q, QuerySet
from django.utils import timezone

from accounts.access import review_conflicts_q
from applicants.models import Application
from auditing.models import ExportJob, ItemState, Review, ReviewItem, ReviewStatus
from scoring.models import TIERS
from trail.models import TrailEntry
from trail.selectors import trail_for_object

if TYPE_CHECKING:
    from accounts.types import User


@dataclass(frozen=True)
class QueueSummary:
    waiting: int
    oldest_at: dt.datetime | None
    awaiting_second: int
    independent: int = 0

    @property
    def oldest_age(self) -> dt.timedelta | None:
        return timezone.now() - self.oldest_at if self.oldest_at else None


def queue_summary(queryset: QuerySet[ReviewItem] | None = None) -> QueueSummary:
    """How much waits and how old the oldest is (in the filtered view when given one)."""
    waiting = queryset if queryset is not None else ReviewItem.objects.filter(state=ItemState.WAITING)
    figures = waiting.aggregate(n=Count("pk"), oldest=Min("enqueued_at"))
    return QueueSummary(
        waiting=figures["n"],
        oldest_at=figures["oldest"],
        awaiting_second=ReviewItem.objects.filter(state=ItemState.AWAITING_SECOND).count(),
        independent=ReviewItem.objects.filter(state=ItemState.INDEPENDENT).count(),
    )


def queue_waiting() -> QuerySet[ReviewItem]:
    return ReviewItem.objects.filter(state=ItemState.WAITING)


def queue_page(queryset: QuerySet[ReviewItem], *, limit: int) -> list[ReviewItem]:
    """The most urgent items first: priority, then age (the review_queue_order index)."""
    return list(queryset.select_related("claimed_by").order_by("-priority", "enqueued_at")[:limit])


def second_opinions_for(user: User) -> list[ReviewItem]:
    """Overrides waiting for a second auditor that this user may give."""
    return list(
        ReviewItem.objects.filter(state=ItemState.AWAITING_SECOND)
        .exclude(review_conflicts_q(user))
        .exclude(reviews__status=ReviewStatus.PROPOSED, reviews__auditor=user)
        .select_related("claimed_by")
        .order_by("enqueued_at")[:50]
    )


def exclude_earlier_labellers(queryset: Any, user: User) -> Any:
    """Leave out the items `user` judged before (labelled, proposed, or gave the four-eyes
    opinion on): they may not give an independent second label (services/independent.py)."""
    return queryset.exclude(reviews__auditor=user).exclude(reviews__second_auditor=user)


def independent_labels_for(user: User) -> list[ReviewItem]:
    """Labelled items of the independent share waiting for a second label that this user
    may give: not one they judged before, nor one they may not review."""
    return list(
        exclude_earlier_labellers(
            ReviewItem.objects.filter(state=ItemState.INDEPENDENT).exclude(review_conflicts_q(user)), user
        )
        .select_related("claimed_by")
        .order_by("done_at", "pk")[:50]
    )


def model_versions_in_queue() -> list[int]:
    return sorted(set(queue_waiting().values_list("model_version", flat=True).distinct()))


def item_for_page(item_id: Any) -> ReviewItem | None:
    return (
        ReviewItem.objects.filter(pk=item_id)
        .select_related(
            "application__applicant", "application__submitted_by", "decision__model_version", "claimed_by"
        )
        .first()
    )


def open_proposal(item: ReviewItem) -> Review | None:
    return item.reviews.filter(status=ReviewStatus.PROPOSED).select_related("auditor").first()


def item_reviews(item: ReviewItem) -> list[Review]:
    return list(item.reviews.select_related("auditor", "second_auditor").order_by("created_at"))


def possible_duplicates(application: Application) -> list[Application]:
    """Other applications from the same person within the duplicate window, and the one
    this was flagged against."""
    window = dt.timedelta(days=settings.DUPLICATE_WINDOW_DAYS)
    same_person = Q(
        applicant_id=application.applicant_id,
        created_at__gte=application.created_at - window,
        created_at__lte=application.created_at + window,
    )
    flagged = Q(pk=application.duplicate_of_id) if application.duplicate_of_id else Q(pk=None)
    return list(
        Application.objects.filter(same_person | flagged)
        .exclude(pk=application.pk)
        .only("id", "status", "channel", "created_at", "final_tier")
        .order_by("-created_at")[:20]
    )


def application_history(application: Application) -> list[TrailEntry]:
    return list(trail_for_object("application", application.pk)[:200])


# --- label quality ---------------------------------------------------------------------------


def label_quality(*, since: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per auditor: reviews, override rate, and agreement with the model when its tier was
    shown against when it was hidden (blind). A large gap means auditors follow the model.
    Independent second labels count too: they are the auditor's own judgement."""
    reviews = Review.objects.filter(status=ReviewStatus.EFFECTIVE)
    if since:
        reviews = reviews.filter(created_at__gte=since)
    agree = Q(outcome="confirmed")
    rows = (
        reviews.values("auditor_label")
        .annotate(
            n_reviews=Count("pk"),
            n_overrides=Count("pk", filter=Q(outcome="overridden")),
            n_shown=Count("pk", filter=Q(blind=False)),
            n_shown_agree=Count("pk", filter=Q(blind=False) & agree),
            n_blind=Count("pk", filter=Q(blind=True)),
            n_blind_agree=Count("pk", filter=Q(blind=True) & agree),
            mean_seconds=Avg("seconds_open"),
        )
        .order_by("auditor_label")
    )
    result = []
    for row in rows:
        result.append(
            {
                "auditor_label": row["auditor_label"],
                "reviews": row["n_reviews"],
                "overrides": row["n_overrides"],
                "blind": row["n_blind"],
                "mean_seconds": row["mean_seconds"],
                "override_rate": row["n_overrides"] / row["n_reviews"] if row["n_reviews"] else None,
                "shown_agreement": row["n_shown_agree"] / row["n_shown"] if row["n_shown"] else None,
                "blind_agreement": row["n_blind_agree"] / row["n_blind"] if row["n_blind"] else None,
            }
        )
    return result


def independent_disagreements(*, since: dt.datetime | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Independent second labels whose tier differs from the label's, newest first, each
    beside the label it disagrees with: flagged for the auditor lead."""
    found = Review.objects.filter(independent=True, disagrees=True)
    if since:
        found = found.filter(created_at__gte=since)
    rows = list(found.order_by("-created_at", "-id")[:limit])
    labels = {
        r.item_id: r
        for r in Review.objects.filter(
            item_id__in=[r.item_id for r in rows], status=ReviewStatus.EFFECTIVE, independent=False
        )
    }
    return [{"independent": r, "label": labels.get(r.item_id)} for r in rows]


# --- the audit trail search -----------------------------------------------------------------


@dataclass(frozen=True)
class TrailFilters:
    application: str = ""
    username: str = ""
    action: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    def as_dict(self) -> dict[str, str]:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in self.__dict__.items() if v}

    def apply(self, queryset: QuerySet[TrailEntry]) -> QuerySet[TrailEntry]:
        if self.application:
            queryset = queryset.filter(object_type="application", object_id=self.application)
        if self.username:
            queryset = queryset.filter(actor_label=self.username)
        if self.action:
            queryset = queryset.filter(action__startswith=self.action)
        if self.since:
            queryset = queryset.filter(at__gte=day_start(self.since))
        if self.until:
            queryset = queryset.filter(at__lt=day_start(self.until + dt.timedelta(days=1)))
        return queryset


def day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def trail_search(
    filters: TrailFilters, *, before_id: int | None = None, limit: int = 100
) -> list[TrailEntry]:
    """Newest first, a page at a time (keyset on id: fast however long the trail is)."""
    queryset = filters.apply(TrailEntry.objects.all())
    if before_id:
        queryset = queryset.filter(pk__lt=before_id)
    return list(queryset.order_by("-id")[:limit])


def trail_actions() -> list[str]:
    """Each action once. order_by() first: TrailEntry's default ordering would otherwise put
    `at` and `id` into the SELECT DISTINCT and repeat every action once per entry."""
    return sorted(TrailEntry.objects.order_by().values_list("action", flat=True).distinct())


def review_items_of(application_ids: Any) -> dict[str, int]:
    """Application id (as the trail writes it) → its review item's id, for those that have one."""
    ids = {str(i) for i in application_ids}
    valid = []
    for value in ids:
        try:
            valid.append(uuid.UUID(value))
        except ValueError:
            continue
    rows = ReviewItem.objects.filter(application_id__in=valid).values_list("application_id", "pk")
    return {str(application_id): pk for application_id, pk in rows}


# --- exports ---------------------------------------------------------------------------------


def export_jobs_visible_to(user: User, *, is_admin: bool) -> QuerySet[ExportJob]:
    jobs = ExportJob.objects.all()
    return jobs if is_admin else jobs.filter(requested_by=user)


def tiers() -> tuple[str, ...]:
    return TIERS
