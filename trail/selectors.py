from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from trail.models import TrailEntry


def trail_for_object(object_type: str, object_id: Any) -> QuerySet[TrailEntry]:
    return TrailEntry.objects.filter(object_type=object_type, object_id=str(object_id)).order_by("at", "id")
