"""The model card: the evidence pack as a document (intended use, data, metrics, fairness,
limitations), shown as a page and downloadable as Markdown or HTML. Its contents are
assembled with the pack and stored on it, so the card says what the approver saw."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from applicants.schema import get_schema
from governance.models import EvidencePack, ReplayRun
from scoring.models import ModelVersion

METRIC_LABELS = (
    ("roc_auc_high_vs_rest", "ROC AUC (high vs rest)"),
    ("log_loss", "log loss"),
    ("accuracy", "accuracy"),
    ("brier_high", "Brier score (high)"),
)


def card_contents(model: ModelVersion, replay: ReplayRun | None, fairness: list[dict[str, Any]]) -> dict:
    schema = get_schema()
    metrics = model.metrics or {}
    comparison = metrics.get("comparison_with_active") or {}
    active_metrics = comparison.get("metrics") or {}
    protected = [f.label or f.name for f in schema.by_name.values() if f.protected] + [
        d.name for d in schema.derived if d.protected
    ]
    return {
        "title": f"{schema.title}: risk model v{model.version}",
        "intended_use": (
            f"Sorts {schema.title.lower()} applications into low, medium and high risk tiers so that "
            "auditors review the medium and high ones (and a sample of the low ones). It supports a "
            "human decision; it is not the decision, and it is only for applications of the "
            f"{schema.name} schema it was trained on."
        ),
        "target": model.get_target_display(),
        "data": {
            "source": model.training_source,
            "rows": model.training_rows,
            "fingerprint": model.training_data_fingerprint,
            "split": metrics.get("split", ""),
            "train_rows": metrics.get("train_rows"),
            "evaluation_rows": metrics.get("evaluation_rows"),
            "features": list(model.feature_names or []),
            "protected": protected,
            "schema": f"{model.schema_name} ({model.schema_hash[:12]})",
        },
        "metrics": [
            {"label": label, "value": metrics.get(key), "active": active_metrics.get(key)}
            for key, label in METRIC_LABELS
            if metrics.get(key) is not None
        ],
        "active_version": comparison.get("version") if comparison.get("available") else None,
        "thresholds": model.thresholds,
        "replay": {
            "id": replay.pk,
            "since": replay.since.date().isoformat(),
            "until": replay.until.date().isoformat(),
            "decisions": replay.total,
            "moved": replay.moved,
            "review": (replay.results or {}).get("review") or {},
        }
        if replay
        else None,
        "fairness": fairness,
        "fairness_floor": settings.GOVERNANCE_IMPACT_RATIO_MIN,
        "limitations": _limitations(model, metrics, fairness),
        "code_version": model.code_version,
        "library_versions": model.library_versions,
    }


def _limitations(model: ModelVersion, metrics: dict[str, Any], fairness: list[dict[str, Any]]) -> list[str]:
    notes = [
        "Trained on past decisions and outcomes: it repeats what those labels say, including their "
        "mistakes, and auditors' labels are not a random sample (medium and high are always reviewed).",
        "Protected attributes are never features, but features can stand in for them; the fairness "
        "figures are measured on replayed decisions, not guaranteed.",
    ]
    if model.target == "binary":
        notes.append("Predicts a binary outcome; the tiers come from cut-offs on its probability.")
    small = [f"{a['attribute']} {g['group']}" for a in fairness for g in a["groups"] if g["too_small"]]
    if small:
        notes.append(
            f"Groups too small to judge (under {settings.GOVERNANCE_FAIRNESS_MIN_GROUP}): {', '.join(small)}."
        )
    if metrics.get("baseline_better"):
        notes.append("A logistic regression had the lower log loss on the same rows.")
    notes += [str(n) for n in metrics.get("training_notes") or []]
    return notes


def card_context(pack: EvidencePack) -> dict[str, Any]:
    """What the card templates (page, Markdown, HTML file) read."""
    return {
        "pack": pack,
        "model": pack.model_version,
        "card": pack.card,
        "gates": pack.gates,
    }
