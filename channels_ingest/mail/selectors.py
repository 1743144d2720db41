"""Reads of mail entry: batches, the work waiting for a clerk or a supervisor, a form's
comparison, and the clerks' quality figures."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from channels_ingest.mail.models import ItemState, KeyingPass, MailBatch, MailItem

if TYPE_CHECKING:
    from accounts.types import AnyUser


def applications_worked_on_by(user: AnyUser) -> QuerySet:
    """Ids of the applications from forms `user` keyed (either pass) or resolved: they may
    not review them (accounts.access.review_conflicts_q). Never NULL: `NOT IN` a list with a
    NULL excludes everything."""
    return (
        MailItem.objects.filter(application__isnull=False)
        .filter(Q(passes__clerk_id=user.pk) | Q(resolutions__resolved_by_id=user.pk))
        .values("application_id")
    )


def batches() -> QuerySet:
    return MailBatch.objects.annotate(
        items_total=Count("items", distinct=True),
        items_submitted=Count("items", filter=Q(items__state=ItemState.SUBMITTED), distinct=True),
        items_mismatch=Count("items", filter=Q(items__state=ItemState.MISMATCH), distinct=True),
    ).select_related("opened_by")


def batch_get(batch_id: Any) -> MailBatch | None:
    return MailBatch.objects.filter(pk=batch_id).first()


def item_get(item_id: Any) -> MailItem | None:
    return (
        MailItem.objects.filter(pk=item_id)
        .select_related("batch", "application")
        .prefetch_related("passes")
        .first()
    )


def batch_items(batch: MailBatch) -> list[MailItem]:
    return list(batch.items.prefetch_related("passes__clerk").order_by("sequence"))


def work_for_clerk(user: AnyUser, *, limit: int = 50) -> list[dict[str, Any]]:
    """Forms a clerk may key now: scanned, still being keyed, and either their own open pass
    or a pass nobody has taken, never the second pass of a form they keyed first."""
    items = (
        MailItem.objects.filter(state=ItemState.KEYING)
        .select_related("batch")
        .prefetch_related("passes")
        .order_by("batch__received_on", "batch_id", "sequence")
    )
    work = []
    for item in items:
        passes = list(item.passes.all())
        mine = next((p for p in passes if p.clerk_id == user.pk), None)
        if mine is not None:
            if not mine.is_finished:
                work.append({"item": item, "pass": mine, "action": "continue"})
            continue
        if len(passes) < 2:
            work.append({"item": item, "pass": None, "action": "start"})
        if len(work) >= limit:
            break
    return work


def mismatches_waiting(user: AnyUser) -> list[MailItem]:
    """Forms whose clerks disagree, oldest first, that `user` did not key."""
    return list(
        MailItem.objects.filter(state=ItemState.MISMATCH)
        .exclude(passes__clerk_id=user.pk)
        .select_related("batch")
        .order_by("compared_at")
    )


def unreadable_waiting() -> list[MailItem]:
    """Forms a clerk marked unreadable, oldest first, for a supervisor to void or send back."""
    return list(
        MailItem.objects.filter(state=ItemState.UNREADABLE)
        .select_related("batch", "problem_by")
        .order_by("problem_at")
    )


def person_name(user: Any) -> str:
    """How staff are shown to each other: the full name, else the username."""
    if user is None:
        return "—"
    return user.get_full_name().strip() or user.get_username()


def clerk_quality() -> list[dict[str, Any]]:
    """Per clerk: forms keyed (finished passes), fields compared and how many differed from
    the other clerk, the share of forms with any difference, and the mean time per form."""
    finished = KeyingPass.objects.filter(finished_at__isnull=False)
    duration = ExpressionWrapper(F("finished_at") - F("started_at"), output_field=DurationField())
    rows = (
        finished.values("clerk_id", "clerk__username", "clerk__first_name", "clerk__last_name")
        .annotate(
            forms=Count("id"),
            compared=Count("id", filter=Q(item__compared_at__isnull=False)),
            forms_with_mismatch=Count("id", filter=Q(fields_mismatched__gt=0)),
            fields=Coalesce(Sum("fields_compared"), 0),
            mismatched=Coalesce(Sum("fields_mismatched"), 0),
            total_time=Sum(duration),
        )
        .order_by("clerk__username")
    )
    result = []
    for row in rows:
        seconds = row["total_time"].total_seconds() if row["total_time"] else 0.0
        result.append(
            {
                "clerk": f"{row['clerk__first_name']} {row['clerk__last_name']}".strip()
                or row["clerk__username"],
                "forms": row["forms"],
                "compared": row["compared"],
                "forms_with_mismatch": row["forms_with_mismatch"],
                "form_mismatch_rate": (
                    row["forms_with_mismatch"] / row["compared"] if row["compared"] else None
                ),
                "field_mismatch_rate": row["mismatched"] / row["fields"] if row["fields"] else None,
                "seconds_per_form": seconds / row["forms"] if row["forms"] else None,
            }
        )
    return result
