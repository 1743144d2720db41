"""Reads for the governance pages: replay runs and their migration tables."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from governance.models import ReplayRun
from scoring.models import TIERS, ModelVersion


def replay_runs(*, model: ModelVersion | None = None, limit: int = 20) -> QuerySet[ReplayRun]:
    runs = ReplayRun.objects.select_related("model_version", "started_by").order_by("-created_at")
    return (runs.filter(model_version=model) if model else runs)[:limit]


def window_days() -> int:
    return int(settings.GOVERNANCE_REPLAY_WINDOW_DAYS)


def matrix_rows(cells: list[int]) -> dict[str, Any]:
    """A 3x3 count list as rows for a table: stored tier, counts per replayed tier, the row
    total, and how many stay, move up (riskier) or down."""
    cells = list(cells or [0] * 9)
    rows = [
        {"tier": TIERS[i], "cells": cells[i * 3 : i * 3 + 3], "total": sum(cells[i * 3 : i * 3 + 3])}
        for i in range(3)
    ]
    total = sum(cells)
    stay = sum(cells[i * 3 + i] for i in range(3))
    up = sum(cells[i * 3 + j] for i in range(3) for j in range(3) if j > i)
    return {
        "rows": rows,
        "columns": [sum(cells[j::3]) for j in range(3)],
        "total": total,
        "stay": stay,
        "up": up,
        "down": total - stay - up,
        "moved_share": (total - stay) / total if total else None,
    }


def replay_tables(run: ReplayRun) -> dict[str, Any]:
    results = run.results or {}
    return {
        "overall": matrix_rows(results.get("overall") or []),
        "by_channel": [(name, matrix_rows(cells)) for name, cells in (results.get("channel") or {}).items()],
        "by_group": [
            (attribute, [(group, matrix_rows(cells)) for group, cells in groups.items()])
            for attribute, groups in (results.get("groups") or {}).items()
        ],
        "review": results.get("review") or {},
        "progress": round(100 * run.processed / run.total) if run.total else 100,
        "tiers": TIERS,
    }
