"""Evidence-gated promotion: the evidence pack the server assembles for a candidate, and the
approval gate (registered into modelops.registry from GovernanceConfig.ready) that refuses
approval when any gate fails.

Gates, each with its figures (thresholds in config/settings/governance.py):
- metrics: on the evaluation rows of its training, scored by both, the candidate's ROC AUC is
  at most GOVERNANCE_METRIC_MAX_DROP under the active model's (modelops computes the
  comparison at training: `metrics.comparison_with_active`);
- replay: a finished replay of the last GOVERNANCE_REPLAY_WINDOW_DAYS days, at most
  GOVERNANCE_REPLAY_MAX_AGE_DAYS old;
- fairness: on the replayed tiers, every protected group large enough to judge has an adverse
  impact ratio of at least GOVERNANCE_IMPACT_RATIO_MIN, or the approver writes a
  justification, which is recorded on the pack and in the audit trail;
- drift baseline: the version's training distribution is stored (monitoring's baseline);
- shadow (only where the candidate ran in shadow): at least GOVERNANCE_SHADOW_MIN_DECISIONS
  shadow scores agreeing with the active tier at least GOVERNANCE_SHADOW_MIN_AGREEMENT often.

The pack stores what was assembled; approval checks again what can change meanwhile (which
model is active, the replay's age, shadow agreement, the baseline) from the same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.types import User
from governance.models import EvidencePack, ReplayRun, ReplayStatus
from modelops.selectors import shadow_agreement
from monitoring.models import ModelBaseline
from monitoring.selectors import impact_ratio
from scoring.models import TIERS, ModelStatus, ModelVersion
from trail.services import trail_record

GATES = (
    ("metrics", "Metrics on the same evaluation rows as the active model"),
    ("replay", "Replay of a recent window"),
    ("fairness", "Fairness (adverse impact ratio per group)"),
    ("baseline", "Drift baseline stored with the version"),
    ("shadow", "Shadow agreement"),
)


def _gate(name: str, passed: bool, summary: str, *, applies: bool = True, **figures: Any) -> dict[str, Any]:
    return {
        "name": name,
        "title": dict(GATES)[name],
        "passed": passed,
        "applies": applies,
        "summary": summary,
        "figures": figures,
    }


# --- each gate -------------------------------------------------------------------------------


def metrics_gate(model: ModelVersion) -> dict[str, Any]:
    active = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).exclude(pk=model.pk).first()
    if active is None:
        return _gate("metrics", True, "No model is active: there is nothing to compare with.", applies=False)
    comparison = (model.metrics or {}).get("comparison_with_active") or {}
    if not comparison.get("available") or comparison.get("version") != active.version:
        why = comparison.get("reason") or (
            f"it was compared with v{comparison['version']}" if comparison.get("version") else "no comparison"
        )
        return _gate(
            "metrics",
            False,
            f"Not evaluated against the active v{active.version} on the same rows ({why}): "
            f"train it again while v{active.version} is active.",
            active_version=active.version,
        )
    mine = (model.metrics or {}).get("roc_auc_high_vs_rest")
    theirs = (comparison.get("metrics") or {}).get("roc_auc_high_vs_rest")
    if mine is None or theirs is None:
        return _gate(
            "metrics", False, "ROC AUC is missing for one of the models.", active_version=active.version
        )
    drop = settings.GOVERNANCE_METRIC_MAX_DROP
    delta = round(mine - theirs, 4)
    return _gate(
        "metrics",
        delta >= -drop,
        f"ROC AUC {mine:.3f} against the active v{active.version}'s {theirs:.3f} on the same "
        f"{comparison.get('rows', 0):,} rows (change {delta:+.3f}; at most {drop:.3f} lower allowed).",
        active_version=active.version,
        rows=comparison.get("rows"),
        roc_auc=mine,
        active_roc_auc=theirs,
        delta=delta,
        log_loss=(model.metrics or {}).get("log_loss"),
        active_log_loss=(comparison.get("metrics") or {}).get("log_loss"),
    )


def recent_replay(model: ModelVersion) -> ReplayRun | None:
    """The newest finished replay of this version recent enough for the gate."""
    oldest = timezone.now() - dt.timedelta(days=settings.GOVERNANCE_REPLAY_MAX_AGE_DAYS)
    return (
        ReplayRun.objects.filter(model_version=model, status=ReplayStatus.FINISHED, finished_at__gte=oldest)
        .order_by("-finished_at")
        .first()
    )


def replay_gate(replay: ReplayRun | None) -> dict[str, Any]:
    days = settings.GOVERNANCE_REPLAY_MAX_AGE_DAYS
    if replay is None:
        return _gate("replay", False, f"No finished replay in the last {days} days: run one.")
    if replay.status != ReplayStatus.FINISHED:
        return _gate("replay", False, f"Replay {replay.pk} is {replay.status}.", replay=replay.pk)
    if replay.finished_at is None or replay.finished_at < timezone.now() - dt.timedelta(days=days):
        return _gate("replay", False, f"Replay {replay.pk} is older than {days} days: run it again.")
    review = (replay.results or {}).get("review") or {}
    share = replay.moved / replay.total if replay.total else 0.0
    return _gate(
        "replay",
        True,
        f"{replay.total:,} decisions of {replay.since:%Y-%m-%d} to {replay.until:%Y-%m-%d} replayed: "
        f"{replay.moved:,} ({share:.1%}) would move tier; expected reviews "
        f"{review.get('expected_before', 0):,.0f} → {review.get('expected_after', 0):,.0f}.",
        replay=replay.pk,
        decisions=replay.total,
        moved=replay.moved,
        moved_share=round(share, 4),
        review_change=review.get("change"),
    )


def fairness_table(replay: ReplayRun | None) -> list[dict[str, Any]]:
    """Per protected attribute and group, on the replayed tiers: size, favourable rate and the
    adverse impact ratio (with its interval) against the group with the highest rate; groups
    under GOVERNANCE_FAIRNESS_MIN_GROUP are too small to judge."""
    if replay is None:
        return []
    favourable = [TIERS.index(t) for t in settings.MONITORING_FAVOURABLE_TIERS if t in TIERS]
    minimum, floor = settings.GOVERNANCE_FAIRNESS_MIN_GROUP, settings.GOVERNANCE_IMPACT_RATIO_MIN
    out = []
    for attribute, by_group in ((replay.results or {}).get("groups") or {}).items():
        groups = []
        for group, cells in by_group.items():
            n = sum(cells)
            fav = sum(cells[i * 3 + j] for i in range(3) for j in favourable)
            stored_fav = sum(cells[i * 3 + j] for i in favourable for j in range(3))
            groups.append(
                {
                    "group": group,
                    "n": n,
                    "too_small": n < minimum,
                    "rate": fav / n if n else None,
                    "stored_rate": stored_fav / n if n else None,
                }
            )
        sized = [g for g in groups if not g["too_small"] and g["rate"]]
        ref = max(sized, key=lambda g: g["rate"], default=None)
        for g in groups:
            found = (
                None
                if g["too_small"] or ref is None or not g["rate"]
                else impact_ratio(g["rate"], g["n"], ref["rate"], ref["n"])
            )
            if found is None and not g["too_small"] and ref is not None:
                found = (0.0, 0.0, 0.0)  # a judged group with no favourable outcome at all
            g["ratio"], g["ratio_low"], g["ratio_high"] = (
                (round(v, 4) for v in found) if found else (None,) * 3
            )
            g["reference"] = g is ref
            g["adverse"] = g["ratio"] is not None and g["ratio"] < floor
        out.append({"attribute": attribute, "groups": groups})
    return out


def fairness_gate(replay: ReplayRun | None) -> dict[str, Any]:
    if replay is None:
        return _gate("fairness", False, "No replay: the replayed tiers per group are needed.")
    table = fairness_table(replay)
    floor = settings.GOVERNANCE_IMPACT_RATIO_MIN
    failing = [
        f"{a['attribute']} {g['group']} ({g['ratio']:.2f})"
        for a in table
        for g in a["groups"]
        if g["adverse"]
    ]
    judged = sum(1 for a in table for g in a["groups"] if g["ratio"] is not None)
    if failing:
        summary = f"Adverse impact ratio under {floor:.2f}: {', '.join(failing)}."
    elif judged:
        summary = f"Every one of {judged} groups large enough to judge has a ratio of at least {floor:.2f}."
    else:
        summary = "No group is large enough to judge (none fails)."
    return _gate("fairness", not failing, summary, failing=failing, judged=judged, floor=floor)


def baseline_gate(model: ModelVersion, *, compute: bool) -> dict[str, Any]:
    """The drift baseline stored with the version; assembling the pack computes a missing one."""
    if compute:
        from monitoring.services.baselines import baseline_for

        try:
            with transaction.atomic():  # a failure leaves the surrounding transaction usable
                baseline_for(model, bins=settings.MONITORING_PSI_BINS)
        except Exception as exc:  # too little data to rebuild the training rows, and the like
            return _gate("baseline", False, f"No drift baseline could be computed: {exc}")
    baseline = ModelBaseline.objects.filter(model_version=model).first()
    if baseline is None or not baseline.rows:
        return _gate("baseline", False, "No drift baseline is stored with this version.")
    return _gate(
        "baseline",
        True,
        f"Stored: {len(baseline.bins)} distributions from {baseline.rows:,} rows ({baseline.source}).",
        rows=baseline.rows,
        distributions=len(baseline.bins),
        computed_at=baseline.computed_at.isoformat(),
    )


def shadow_gate(model: ModelVersion) -> dict[str, Any]:
    agreement = shadow_agreement(model)
    if not agreement["rows"] and not model.shadow:
        return _gate("shadow", True, "Not run in shadow: this gate does not apply.", applies=False)
    needed, share_needed = settings.GOVERNANCE_SHADOW_MIN_DECISIONS, settings.GOVERNANCE_SHADOW_MIN_AGREEMENT
    share = agreement["share"] or 0.0
    passed = agreement["rows"] >= needed and share >= share_needed
    return _gate(
        "shadow",
        passed,
        f"{agreement['agree']:,} of {agreement['rows']:,} shadow scores agree with the active tier "
        f"({share:.1%}); at least {needed:,} scores and {share_needed:.0%} agreement needed.",
        rows=agreement["rows"],
        agree=agreement["agree"],
        share=round(share, 4),
    )


def evaluate_gates(model: ModelVersion, replay: ReplayRun | None, *, compute_baseline: bool) -> list[dict]:
    return [
        metrics_gate(model),
        replay_gate(replay),
        fairness_gate(replay),
        baseline_gate(model, compute=compute_baseline),
        shadow_gate(model),
    ]


# --- the pack --------------------------------------------------------------------------------


def evidence_pack_assemble(*, model: ModelVersion, actor: User | None) -> EvidencePack:
    """Assemble (again) the candidate's pack from the newest recent replay and the figures
    stored with the version; computes the drift baseline when it is missing."""
    from governance.card import card_contents

    replay = recent_replay(model)
    gates = evaluate_gates(model, replay, compute_baseline=True)
    with transaction.atomic():
        pack = EvidencePack.objects.create(
            model_version=model,
            replay=replay,
            gates=gates,
            card=card_contents(model, replay, fairness_table(replay)),
            assembled_by=actor if getattr(actor, "pk", None) else None,
        )
        trail_record(
            action="model.evidence",
            object_type="evidence_pack",
            object_id=pack.pk,
            actor=actor,
            after={
                "model_version": model.version,
                "replay": replay.pk if replay else None,
                "gates": {g["name"]: g["passed"] for g in gates},
            },
        )
    return pack


def latest_pack(model: ModelVersion) -> EvidencePack | None:
    return EvidencePack.objects.filter(model_version=model).select_related("replay").first()


def approval_gate(model: ModelVersion, actor: User, evidence: Mapping[str, Any]) -> list[str]:
    """modelops.registry's approval gate: the reasons approval is refused (none: it passes).
    Runs in the approval's transaction, so a justification it records stays only with the
    approval it allowed."""
    if not settings.GOVERNANCE_GATES_ENABLED:
        return []
    pack = latest_pack(model)
    if pack is None:
        return ["no evidence pack: assemble one on its evidence page"]
    replay = pack.replay
    if replay is not None:
        replay.refresh_from_db()
    gates = evaluate_gates(model, replay, compute_baseline=False)
    fairness = next(g for g in gates if g["name"] == "fairness")
    refusals = [
        f"{g['title'].lower()} failed ({g['summary']})"
        for g in gates
        if not g["passed"] and g is not fairness
    ]
    if not fairness["passed"]:
        text = str(evidence.get("fairness_justification") or "").strip()
        minimum = settings.GOVERNANCE_JUSTIFICATION_MIN_CHARS
        if replay is not None and len(text) >= minimum:
            if not refusals:
                _record_justification(pack, model, actor, text, fairness)
        else:
            refusals.append(
                f"{fairness['title'].lower()} failed ({fairness['summary']}); an approver may approve it "
                f"with a written justification of at least {minimum} characters"
            )
    return refusals


def _record_justification(
    pack: EvidencePack, model: ModelVersion, actor: User, text: str, fairness: dict[str, Any]
) -> None:
    EvidencePack.objects.filter(pk=pack.pk).update(
        fairness_justification=text, justified_by=actor, justified_at=timezone.now()
    )
    trail_record(
        action="model.fairness_justification",
        object_type="model_version",
        object_id=model.version,
        actor=actor,
        after={"pack": pack.pk, "failing": fairness["figures"].get("failing", []), "justification": text},
        note=text,
    )
