"""The model page's pictures: server-side SVG drawn by the monitoring dashboards' chart module
(charts/__init__.py), from the figures stored with the model at training. This model, the
logistic regression on the same rows and the active model (measured on this model's held-out
rows when it was trained) share the axes. Each picture comes with a sentence; the page keeps
its tables beside them as the text alternative."""

from __future__ import annotations

from typing import Any

from django.utils.safestring import SafeString

import charts
from scoring.models import TIERS, ModelVersion, Target

MISSING = "not recorded for this model (trained before the page drew it): retrain to see it"


def _compared(model: ModelVersion) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, CSS class, metrics) of this model and what it is compared with."""
    metrics = model.metrics or {}
    out = [(f"v{model.version} (this model)", "curve-0", metrics)]
    baseline = metrics.get("baseline_logistic_regression") or {}
    if baseline:
        out.append(("logistic regression", "curve-1", baseline))
    active = metrics.get("comparison_with_active") or {}
    if active.get("available") and active.get("metrics"):
        out.append((f"active model v{active['version']}", "curve-2", active["metrics"]))
    return out


def _picture(svg: SafeString | None, alt: str, legend: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    return {"svg": svg, "alt": alt, "legend": legend or []}


def _roc(model: ModelVersion, compared: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    riskiest = "adverse" if model.target == Target.BINARY else "high"
    series, said = [], []
    for name, cls, metrics in compared:
        points = (metrics.get("roc_curves") or {}).get(riskiest)
        if points:
            series.append({"name": name, "cls": cls, "points": points})
            auc = metrics.get("roc_auc_high_vs_rest")
            said.append(f"{name} {auc:.3f}" if auc is not None else name)
    if not series:
        return _picture(None, f"ROC curve: {MISSING}.")
    label = f"ROC curve, {riskiest} against the rest: area under the curve " + ", ".join(said)
    svg = charts.curves(series, label=label, x_title="false-positive rate", y_title="true-positive rate")
    return _picture(svg, label + ". The dashed diagonal is chance.", [(s["cls"], s["name"]) for s in series])


def _roc_per_tier(model: ModelVersion) -> dict[str, Any] | None:
    if model.target == Target.BINARY:
        return None
    metrics = model.metrics or {}
    per_tier = metrics.get("roc_curves") or {}
    aucs = metrics.get("roc_auc_per_tier") or {}
    series = [
        {"name": f"{tier} vs rest", "cls": f"curve-{tier}", "points": per_tier[tier]}
        for tier in TIERS
        if per_tier.get(tier)
    ]
    if not series:
        return _picture(None, f"ROC curves per tier: {MISSING}.")
    said = ", ".join(
        f"{tier} {aucs[tier]:.3f}" for tier in TIERS if per_tier.get(tier) and aucs.get(tier) is not None
    )
    label = f"ROC curves of v{model.version}, each tier against the rest: area under the curve {said}"
    svg = charts.curves(series, label=label, x_title="false-positive rate", y_title="true-positive rate")
    return _picture(svg, label + ".", [(s["cls"], s["name"]) for s in series])


def _calibration(model: ModelVersion, compared: list[tuple[str, str, dict[str, Any]]]) -> dict[str, Any]:
    riskiest = "adverse" if model.target == Target.BINARY else "high"
    series: list[dict[str, Any]] = []
    said: list[str] = []
    for name, cls, metrics in compared:
        reliability = (metrics.get("calibration") or {}).get(riskiest) or {}
        bins = reliability.get("bins") or []
        if bins:
            series.append(
                {"name": name, "cls": cls, "points": [(b["predicted"], b["observed"]) for b in bins]}
            )
            said.append(f"{name} {reliability.get('expected_calibration_error', 0):.3f}")
    if not series:
        return _picture(None, "Calibration: no reliability table recorded.")
    label = f"Calibration of P({riskiest}): expected calibration error " + ", ".join(said)
    svg = charts.curves(
        series, label=label, x_title=f"predicted P({riskiest})", y_title=f"observed share {riskiest}"
    )
    return _picture(
        svg,
        label + ". On the dashed diagonal, predicted equals observed.",
        [(s["cls"], s["name"]) for s in series],
    )


def _distribution(model: ModelVersion) -> dict[str, Any]:
    riskiest = "adverse" if model.target == Target.BINARY else "high"
    spread = (model.metrics or {}).get("score_distribution") or {}
    if not spread.get("counts"):
        return _picture(None, f"Score distribution: {MISSING}.")
    classes = {"low": "tier-low-fill", "medium": "tier-medium-fill", "high": "tier-high-fill"}
    classes.update({"not adverse": "tier-low-fill", "adverse": "tier-high-fill"})
    # JSONB keeps keys in its own order; classes read best from the safest to the riskiest.
    order = [*TIERS, "not adverse", "adverse"]
    names = sorted(spread["counts"], key=lambda n: order.index(n) if n in order else len(order))
    series = [{"name": n, "cls": classes.get(n, "series-5"), "counts": spread["counts"][n]} for n in names]
    means = []
    edges = spread["edges"]
    for s in series:
        total = sum(s["counts"])
        if total:
            centre = sum(c * (edges[i] + edges[i + 1]) / 2 for i, c in enumerate(s["counts"])) / total
            means.append(f"true {s['name']}: {total:,} rows, mean P({riskiest}) about {centre:.2f}")
    label = f"Distribution of P({riskiest}) by true class on held-out rows; " + "; ".join(means)
    svg = charts.distribution(edges, series, label=label, x_title=f"P({riskiest})")
    return _picture(svg, label + ".", [(s["cls"], f"true {s['name']}") for s in series])


def _confusion(model: ModelVersion, confusion: list[tuple[str, list[int]]]) -> dict[str, Any]:
    if not confusion:
        return _picture(None, "Confusion matrix: not recorded.")
    rows = [name for name, _ in confusion]
    matrix = [row for _, row in confusion]
    agree = sum(matrix[i][i] for i in range(min(len(rows), 3))) if model.target != Target.BINARY else None
    total = sum(sum(r) for r in matrix)
    label = (
        f"Confusion matrix of v{model.version}: true class by row, assigned tier by column, {total:,} rows"
    )
    if agree is not None and total:
        label += f"; {agree:,} ({agree / total:.0%}) on the diagonal"
    svg = charts.confusion_heatmap(
        matrix, label=label, rows=rows, columns=list(TIERS), row_title="true", column_title="assigned tier"
    )
    return _picture(svg, label + ". The table below gives every count.")


def model_pictures(
    model: ModelVersion, confusion: list[tuple[str, list[int]]]
) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(id, title, picture) in the page's order; None where a picture does not apply."""
    compared = _compared(model)
    riskiest = "adverse" if model.target == Target.BINARY else "high"
    return [
        ("roc", f"ROC curve, {riskiest} vs rest", _roc(model, compared)),
        ("calibration", "Calibration", _calibration(model, compared)),
        ("roc-per-tier", "ROC curves per tier", _roc_per_tier(model)),
        ("confusion", "Confusion matrix", _confusion(model, confusion)),
        ("distribution", "Score distribution by true class", _distribution(model)),
    ]
