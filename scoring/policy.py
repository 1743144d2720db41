"""Tiers and review routing. The numbers belong to the model version; these are the rules."""

from __future__ import annotations

import hashlib
from typing import Any

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
