"""Reads for the model registry pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q, QuerySet

from modelops.models import HistoricalApplication, HistoryImport, RescoreRun
from scoring.models import TIERS, ModelVersion, ShadowScore


def model_versions() -> QuerySet[ModelVersion]:
    return ModelVersion.objects.select_related("trained_by", "approved_by").order_by("-version")


def model_version_get(version: int) -> ModelVersion | None:
    return model_versions().filter(version=version).first()


def shadow_agreement(model: ModelVersion) -> dict[str, Any]:
    """How often a shadow model's tier matched the active model's decision, per active tier."""
    rows = (
        ShadowScore.objects.filter(model_version=model)
        .values("active_tier")
        .annotate(total=Count("id"), agree=Count("id", filter=Q(tier=F("active_tier"))))
    )
    per_tier: dict[str, dict[str, Any]] = {tier: {"rows": 0, "agree": 0, "share": None} for tier in TIERS}
    for row in rows:
        per_tier[row["active_tier"]] = {
            "rows": row["total"],
            "agree": row["agree"],
            "share": row["agree"] / row["total"] if row["total"] else None,
        }
    total = sum(v["rows"] for v in per_tier.values())
    agree = sum(v["agree"] for v in per_tier.values())
    return {"per_tier": per_tier, "rows": total, "agree": agree, "share": agree / total if total else None}


def rescore_runs(limit: int = 20) -> QuerySet[Any]:
    return RescoreRun.objects.select_related("model_version", "started_by").order_by("-created_at")[:limit]


def history_summary() -> dict[str, Any]:
    kinds = dict(HistoricalApplication.objects.values_list("label_kind").annotate(n=Count("id")))
    return {
        "rows": sum(kinds.values()),
        "by_kind": kinds,
        "last_import": HistoryImport.objects.order_by("-created_at").first(),
    }
