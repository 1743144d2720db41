"""The review queue, the reviews that become labels, export jobs and retraining runs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from outbox.jobs import LeasedJob

if TYPE_CHECKING:
    from accounts.types import User


class ItemState(models.TextChoices):
    WAITING = "waiting", "Waiting for review"
    AWAITING_SECOND = "awaiting_second", "Waiting for a second auditor"
    # Labelled (the application has its label); waits for another auditor's independent
    # label, which measures agreement and never changes the decision (docs/review.md).
    INDEPENDENT = "independent", "Waiting for an independent second label"
    DONE = "done", "Reviewed"


class ReviewItem(models.Model):
    """One application routed to review: its place in the queue and who holds it.

    The fields the queue filters and orders by are copied here from the decision and the
    application when the item is made, so the queue page reads one indexed table.
    """

    application = models.OneToOneField(
        "applicants.Application", on_delete=models.CASCADE, related_name="review_item"
    )
    decision = models.ForeignKey("scoring.Decision", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=16, choices=ItemState.choices, default=ItemState.WAITING)
    # Likelihood x impact: P(high) x the impact answer (REVIEW_IMPACT_FIELD). Stored, indexed.
    priority = models.FloatField()
    prob_high = models.FloatField()
    impact = models.FloatField(null=True, blank=True)
    model_tier = models.CharField(max_length=8)
    model_version = models.PositiveIntegerField()
    channel = models.CharField(max_length=20)
    possible_duplicate = models.BooleanField(default=False)
    # Copied for segregation of duties: these people may not review the application.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    applicant_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Blind items hide the model's tier, probabilities and reasons from the auditor.
    blind = models.BooleanField(default=False)
    # In the independent-review share (REVIEW_INDEPENDENT_SHARE): once labelled, another
    # auditor labels it again without seeing the first label, for inter-rater agreement.
    independent = models.BooleanField(default=False)
    enqueued_at = models.DateTimeField(default=timezone.now)
    # The claim: a lease, taken and renewed by conditional UPDATEs only.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The queue: highest priority first, then oldest.
            models.Index(
                models.F("priority").desc(),
                "enqueued_at",
                condition=Q(state="waiting"),
                name="review_queue_order",
            ),
            models.Index(fields=["enqueued_at"], condition=Q(state="waiting"), name="review_queue_age"),
            models.Index(
                models.F("model_tier"),
                models.F("priority").desc(),
                condition=Q(state="waiting"),
                name="review_queue_tier",
            ),
            models.Index(
                models.F("channel"),
                models.F("priority").desc(),
                condition=Q(state="waiting"),
                name="review_queue_channel",
            ),
            models.Index(
                models.F("model_version"),
                models.F("priority").desc(),
                condition=Q(state="waiting"),
                name="review_queue_model",
            ),
            models.Index(
                fields=["enqueued_at"], condition=Q(state="awaiting_second"), name="review_queue_second"
            ),
            models.Index(
                fields=["done_at"], condition=Q(state="independent"), name="review_queue_independent"
            ),
        ]

    def __str__(self) -> str:
        return f"review of {self.application_id} ({self.state})"

    def held_by(self, user: object, *, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return (
            self.claimed_by_id is not None
            and self.claimed_by_id == getattr(user, "pk", None)
            and self.claim_expires_at is not None
            and self.claim_expires_at > now
        )


class Outcome(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    OVERRIDDEN = "overridden", "Overridden"


class ReviewStatus(models.TextChoices):
    PROPOSED = "proposed", "Waiting for a second auditor"
    EFFECTIVE = "effective", "Effective"
    REJECTED = "rejected", "Rejected by the second auditor"


class Review(models.Model):
    """An auditor's judgement of one decision: the label and its quality fields."""

    item = models.ForeignKey(ReviewItem, on_delete=models.CASCADE, related_name="reviews")
    application = models.ForeignKey(
        "applicants.Application", on_delete=models.CASCADE, related_name="reviews"
    )
    decision = models.ForeignKey("scoring.Decision", on_delete=models.PROTECT, related_name="+")
    model_version = models.ForeignKey("scoring.ModelVersion", on_delete=models.PROTECT, related_name="+")
    auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="reviews"
    )
    auditor_label = models.CharField(max_length=150)
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    model_tier = models.CharField(max_length=8)
    final_tier = models.CharField(max_length=8)
    reason_code = models.CharField(max_length=60)
    note = models.TextField(blank=True, default="")
    # Label quality: how long the item was open, and whether the model's view was shown.
    seconds_open = models.FloatField()
    blind = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=ReviewStatus.choices)
    # Four eyes: the second auditor who agreed (or refused), and when.
    second_auditor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    second_note = models.TextField(blank=True, default="")
    second_at = models.DateTimeField(null=True, blank=True)
    # The independent second label of an item in the share: status "effective" so label
    # quality counts it, but never the application's label (no effective_at, no outbox
    # event, not exported). `disagrees`: its tier differs from the label's (for the lead).
    independent = models.BooleanField(default=False)
    disagrees = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="effective", independent=False),
                name="one_effective_review_per_application",
            ),
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="proposed"), name="one_open_proposal_per_item"
            ),
            models.UniqueConstraint(
                fields=["item"], condition=Q(independent=True), name="one_independent_label_per_item"
            ),
        ]
        indexes = [
            models.Index(
                fields=["effective_at"], condition=Q(status="effective"), name="review_effective_at"
            ),
            models.Index(fields=["auditor", "created_at"], name="review_auditor"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} {self.model_tier}→{self.final_tier} by {self.auditor_label}"

    @classmethod
    def of_item(
        cls,
        item: ReviewItem,
        auditor: User,
        *,
        final_tier: str,
        reason_code: str,
        note: str,
        now: dt.datetime,
        **fields: Any,
    ) -> Review:
        """An unsaved review of `item` by `auditor` (who holds its claim): the item's facts,
        the outcome against the model's tier, and the time the item was open."""
        return cls(
            item=item,
            application_id=item.application_id,
            decision_id=item.decision_id,
            model_version=item.decision.model_version,
            auditor=auditor,
            auditor_label=auditor.get_username(),
            outcome=Outcome.CONFIRMED if final_tier == item.model_tier else Outcome.OVERRIDDEN,
            model_tier=item.model_tier,
            final_tier=final_tier,
            reason_code=reason_code,
            note=note,
            blind=item.blind,
            created_at=now,
            seconds_open=max((now - (item.claimed_at or now)).total_seconds(), 0.0),
            **fields,
        )


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    PARQUET = "parquet", "Parquet"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ExportJob(LeasedJob):
    """A labelled export running in the background, with its progress and its file; a job
    (outbox.jobs: claimed by a lease, re-driven when its worker dies)."""

    WAITING, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_label = models.CharField(max_length=150, blank=True, default="")
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    filters = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    file_url = models.CharField(max_length=500, blank=True, default="")
    file_name = models.CharField(max_length=200, blank=True, default="")
    size_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format}, {self.status})"

    @property
    def percent(self) -> int:
        if self.status == JobStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(int(100 * self.rows_done / self.rows_total), 99)


class RetrainRun(LeasedJob):
    """One periodic check that found enough new labels and trained a candidate from them; a
    job started running (outbox.jobs.job_start) whose lease its heartbeat renews. A run whose
    worker died fails when its lease expires, and the next check may start another."""

    WAITING, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"

    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.RUNNING)
    new_labels = models.PositiveIntegerField()
    # Labels up to this moment were counted; the next run counts only later ones.
    labels_until = models.DateTimeField()
    model_version = models.ForeignKey(
        "scoring.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    notified = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="running"), name="one_retrain_running"
            ),
        ]

    def __str__(self) -> str:
        return f"retrain {self.started_at:%Y-%m-%d %H:%M} ({self.status})"
