"""The training report as text, for `train` and logs (the pages show the same figures)."""

from __future__ import annotations

from typing import Any

from scoring.encoding import describe, encoding_of
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
        f"  {metrics.get('split')}: {metrics.get('train_rows') or 0:,} rows, "
        f"{metrics.get('trees_per_class')} trees per class chosen by cross-validation; "
        f"class weights {(model.params or {}).get('class_weights') or 'none'}",
        f"  figures: {metrics.get('evaluation') or 'held-out rows'}",
        f"  choices: {describe(encoding_of(model.params))}",
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
    shares = metrics.get("tier_shares") or {}
    if shares.get("out_of_fold"):
        planned = shares.get("planned")
        lines.append(
            "  tier shares low / medium / high out-of-fold: "
            + " / ".join(f"{s:.0%}" for s in shares["out_of_fold"])
            + (f" (planned {' / '.join(f'{s:.0%}' for s in planned)})" if planned else "")
        )
    out_of_time = metrics.get("out_of_time")
    if out_of_time:
        lines.append(
            f"  out-of-time check (fit on the oldest {out_of_time['train_rows']:,} rows, judged on the "
            f"newest {out_of_time['evaluation_rows']:,}): "
            f"ROC AUC {_fmt(out_of_time.get('roc_auc_high_vs_rest'))}, "
            f"log loss {_fmt(out_of_time.get('log_loss'))}"
        )
    elif metrics.get("split"):
        lines.append("  no out-of-time check: the rows carry no dates of their own")
    searched = (model.params or {}).get("searched")
    if searched:
        chosen = searched.get("chosen") or {}
        lines.append(
            f"  search: {searched.get('tried')} candidates by cross-validated log loss; chosen "
            + ", ".join(f"{k} {v}" for k, v in chosen.items())
        )
    for note in metrics.get("training_notes", []):
        lines.append(f"  note: {note}")
    lines.append("")
    return "\n".join(lines)
