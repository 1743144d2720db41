"""Reads of applications together with their current decision."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from applicants.models import Application
from scoring.models import Decision, ModelStatus, ModelVersion


def _with_current_decision(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return queryset.select_related("applicant").prefetch_related(
        Prefetch(
            "decisions",
            queryset=Decision.objects.filter(is_current=True).select_related("model_version"),
            to_attr="current_decisions",
        )
    )


def current_decision(application: Application) -> Decision | None:
    prefetched = getattr(application, "current_decisions", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return application.decisions.filter(is_current=True).select_related("model_version").first()


def applications_owned_by(user: Any) -> QuerySet[Application]:
    """The applications a person submitted, or that were keyed for them."""
    return _with_current_decision(
        Application.objects.filter(Q(submitted_by=user) | Q(applicant__user=user)).order_by(
            "-created_at"
        )
    )


def application_get(application_id: Any) -> Application | None:
    return _with_current_decision(Application.objects.filter(pk=application_id)).first()


def model_version_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
