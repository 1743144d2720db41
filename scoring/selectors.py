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
    """The applications an account submitted or owns (see accounts.access), never those
    that merely share an identity number with them."""
    return _with_current_decision(
        Application.objects.filter(Q(submitted_by=user) | Q(owner=user)).order_by("-created_at")
    )


def application_get(application_id: Any) -> Application | None:
    return _with_current_decision(Application.objects.filter(pk=application_id)).first()


def model_version_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()


# --- the model registry pages ---------------------------------------------------------------


def model_versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("trained_by", "approved_by").order_by("-version")


def model_version_get(version: int) -> ModelVersion | None:
    return model_versions().filter(version=version).first()


def shadow_agreement(model: ModelVersion) -> dict[str, Any]:
    """How often a shadow model's tier matched the active model's decision, per active tier."""
    from django.db.models import Count, F

    from scoring.models import TIERS, ShadowScore

    rows = (ShadowScore.objects.filter(model_version=model).values("active_tier")
            .annotate(total=Count("id"), agree=Count("id", filter=Q(tier=F("active_tier")))))
    per_tier = {tier: {"rows": 0, "agree": 0, "share": None} for tier in TIERS}
    for row in rows:
        per_tier[row["active_tier"]] = {"rows": row["total"], "agree": row["agree"],
                                        "share": row["agree"] / row["total"] if row["total"] else None}
    total = sum(v["rows"] for v in per_tier.values())
    agree = sum(v["agree"] for v in per_tier.values())
    return {"per_tier": per_tier, "rows": total, "agree": agree,
            "share": agree / total if total else None}


def rescore_runs(limit: int = 20) -> QuerySet[Any]:
    from scoring.models import RescoreRun

    return RescoreRun.objects.select_related("model_version", "started_by").order_by("-created_at")[:limit]


def history_summary() -> dict[str, Any]:
    from django.db.models import Count

    from scoring.models import HistoricalApplication, HistoryImport

    kinds = dict(HistoricalApplication.objects.values_list("label_kind").annotate(n=Count("id")))
    return {"rows": sum(kinds.values()), "by_kind": kinds,
            "last_import": HistoryImport.objects.order_by("-created_at").first()}
