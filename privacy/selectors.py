"""Reads of the personal-data lifecycle's records (for the staff page and the command)."""

from __future__ import annotations

from django.db.models import QuerySet

from privacy.models import ErasureRequest


def erasure_requests_recent(*, limit: int = 50) -> QuerySet[ErasureRequest]:
    return ErasureRequest.objects.order_by("-created_at")[:limit]
