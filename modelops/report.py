"""The training report as text, for `train` and logs (the pages show the same figures)."""

from __future__ import annotations

from typing import Any

from scoring.models import TIERS, ModelVersion, Target


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def comparison_rows(model: ModelVersion) -> list[tuple[str, Any, Any, Any]]:
    """(figure, this model, logistic regression, active model) for the headline figures."""
    metrics = model.metrics or {}
    baseline = metrics.get("baseline_logistic_regression") or {}
    active = (metrics.get("comparison_with_active") or {}).get("metrics") or {}
    names = [
        (
            "roc_auc_high_vs_rest",
            "ROC AUC " + ("adverse" if model.target == Target.BINARY else "high") + " vs rest",
        ),
        ("log_loss", "log loss"),
        ("accuracy", "accuracy"),
    ]
    if model.target == Target.BINARY:
        names.append(("brier", "Brier score"))
    else:
        # high vs rest is the headline above; the other tiers one-vs-rest:
        names += [(f"auc:{tier}", f"ROC AUC {tier} vs rest") for tier in TIERS if tier != "high"]
    rows = []
    for key, label in names:
        if key.startswith("auc:"):
            tier = key[4:]
            values = [m.get("roc_auc_per_tier", {}).get(tier) for m in (metrics, baseline, active)]
        else:
            values = [m.get(key) for m in (metrics, baseline, active)]
        rows.append((label, *values))
    return rows


def training_report(model: ModelVersion) -> str:
    metrics = model.metrics or {}
    comparison = metrics.get("comparison_with_active") or {}
    lines = [
        "",
        f"Model v{model.version} ({model.target}) on {model.training_source}",
        f"  split: {metrics.get('split')}  train {metrics.get('train_rows'):,} / validation "
        f"{metrics.get('validation_rows'):,} / evaluation {metrics.get('evaluation_rows'):,} rows; "
        f"class weights {(model.params or {}).get('class_weights') or 'none'}",
        "",
        f"  {'figure':<26} {'XGBoost':>9} {'log. reg.':>9} "
        f"{'active v' + str(comparison.get('version', '-')):>10}",
    ]
    for label, mine, baseline, active in comparison_rows(model):
        lines.append(f"  {label:<26} {_fmt(mine):>9} {_fmt(baseline):>9} {_fmt(active):>10}")
    if metrics.get("baseline_better"):
        lines.append(
            "  ! the logistic regression has the lower log loss on these rows: consider more "
            "labelled data, `train --search`, or whether boosting earns its place here"
        )
    if not comparison.get("available"):
        lines.append(f"  (no comparison with the active model: {comparison.get('reason', 'n/a')})")
    lines.append("")
    if model.target == Target.BINARY:
        lines.append(
            "  adverse rate by assigned tier: "
            + ", ".join(
                f"{tier} {_fmt(v.get('adverse_rate'))} ({v.get('rows')} rows)"
                for tier, v in metrics.get("per_tier", {}).items()
            )
        )
        lines.append(
            "  confusion (rows: not adverse, adverse; columns: low, medium, high): "
            f"{metrics.get('confusion_matrix')}"
        )
        reliability = metrics.get("calibration", {}).get("adverse", {})
    else:
        lines.append(
            "  per tier: "
            + ", ".join(
                f"{tier} precision {_fmt(v['precision'])} recall {_fmt(v['recall'])}"
                for tier, v in metrics.get("per_tier", {}).items()
            )
        )
        lines.append(f"  confusion (rows: true low, medium, high): {metrics.get('confusion_matrix')}")
        reliability = metrics.get("calibration", {}).get("high", {})
    lines.append(
        f"  calibration: expected calibration error "
        f"{_fmt(reliability.get('expected_calibration_error'))}; predicted → observed: "
        + ", ".join(
            f"{b['predicted']:.2f}→{b['observed']:.2f} ({b['rows']})" for b in reliability.get("bins", [])
        )
    )
    for note in metrics.get("training_notes", []):
        lines.append(f"  note: {note}")
    lines.append("")
    return "\n".join(lines)
