"""Reads of drafts for the channels (an owner's list, one draft by id)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet
from django.utils import timezone

from applicants.models import Draft, DraftOwnerKind, DraftStatus

if TYPE_CHECKING:
    from accounts.types import User


def drafts_open_of_user(user: User) -> QuerySet[Draft]:
    """An account's drafts still in progress and not expired, the latest first."""
    return Draft.objects.filter(
        owner_kind=DraftOwnerKind.USER,
        owner_user=user,
        status=DraftStatus.OPEN,
        expires_at__gt=timezone.now(),
    ).order_by("-updated_at")


def draft_get(draft_id: Any, *, with_answers: bool = True) -> Draft | None:
    """One draft; without its answers (nothing to decrypt) when the caller only checks who
    owns it before answering through applicants.drafts, which reads them under a lock."""
    drafts = Draft.objects.filter(pk=draft_id)
    if not with_answers:
        drafts = drafts.defer("answers", "provenance")
    return drafts.first()
