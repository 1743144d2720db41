"""Tiers and review routing. The numbers belong to the model version; these are the rules."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from applicants.provenance import Method
from scoring.models import TIERS


def tier_for(probabilities: list[float], thresholds: dict[str, float]) -> str:
    """high if P(high) ≥ thresholds.high; medium if P(medium)+P(high) ≥ thresholds.elevated."""
    _low, medium, high = probabilities
    if high >= thresholds["high"]:
        return TIERS[2]
    if medium + high >= thresholds["elevated"]:
        return TIERS[1]
    return TIERS[0]


def review_route(application_id: Any, tier: str, policy: dict[str, Any]) -> tuple[bool, str]:
    """Whether auditors see this decision, and why.

    Medium and high always go to review. A share of low decisions does too, so auditors keep
    labelling what the model thinks is safe; the draw is a hash of the application id, so a
    re-run decides the same way (idempotent) and nobody can pick which ones are sampled.
    """
    if tier in policy.get("review_tiers", ("medium", "high")):
        return True, f"{tier} risk"
    rate = float(policy.get("low_sample_rate", 0.0))
    draw = int(hashlib.sha256(str(application_id).encode()).hexdigest()[:8], 16) / 0x1_0000_0000
    if draw < rate:
        return True, "random sample of low risk"
    return False, ""


def review_probability(tier: str, policy: dict[str, Any]) -> float:
    """The chance review_route sends a decision of this tier to review under this policy:
    recorded on the decision when it is routed, so quality estimates can weight each label by
    its inverse even after the policy's share changes (monitoring/services/quality.py)."""
    if tier in policy.get("review_tiers", ("medium", "high")):
        return 1.0
    return min(max(float(policy.get("low_sample_rate", 0.0)), 0.0), 1.0)


def answers_behind(schema: Any, feature: str) -> frozenset[str]:
    """The answers a feature is computed from: itself for a field, the inputs of a derived
    value (an age from its date, a ratio from both its terms)."""
    for derived in schema.derived:
        if derived.name == feature:
            return frozenset(derived.inputs)
    return frozenset({feature}) if feature in schema.by_name else frozenset()


def doubtful_speech_answers(
    schema: Any,
    reasons: list[dict[str, Any]],
    provenance: Mapping[str, Sequence[Mapping[str, Any]]] | None,
    *,
    below: float,
) -> list[str]:
    """The rule on how answers were captured (applicants.provenance): the answers behind the
    decision's top reasons that were recognised from speech with less confidence than
    `below`, as "annual income (45%)". Such a decision goes to review: what most moved the
    risk may be a misheard word."""
    doubts: list[str] = []
    for reason in reasons:
        for name in sorted(answers_behind(schema, str(reason.get("feature", "")))):
            history = (provenance or {}).get(name) or []
            current = history[-1] if history else {}
            confidence = current.get("confidence")
            if current.get("method") != Method.SPEECH or confidence is None or float(confidence) >= below:
                continue
            label = schema.by_name[name].label.lower()
            text = f"{label} ({round(float(confidence) * 100)}%)"
            if text not in doubts:
                doubts.append(text)
    return doubts


# Decision.routing_reason's length.
ROUTING_REASON_MAX = 100


class Routing(NamedTuple):
    to_review: bool
    why: str
    # The chance this decision was going to review: the label's weight in quality estimates
    # is its inverse (monitoring/services/quality.py).
    probability: float


def route_with_provenance(
    application_id: Any,
    tier: str,
    policy: dict[str, Any],
    *,
    schema: Any,
    reasons: list[dict[str, Any]],
    provenance: Mapping[str, Sequence[Mapping[str, Any]]] | None,
    speech_below: float,
) -> Routing:
    """review_route, then the provenance rule: a top reason resting on a low-confidence
    speech answer sends the decision to review, and the routing reason names the answer.
    Such a decision was certain to be reviewed: its probability is 1, not the tier's share."""
    to_review, why = review_route(application_id, tier, policy)
    doubts = doubtful_speech_answers(schema, reasons, provenance, below=speech_below)
    if not doubts:
        return Routing(to_review, why, review_probability(tier, policy))
    rule = "top reason rests on unsure speech: " + ", ".join(doubts)
    text = f"{why}; {rule}" if to_review else rule
    text = text if len(text) <= ROUTING_REASON_MAX else text[: ROUTING_REASON_MAX - 1] + "…"
    return Routing(True, text, 1.0)
