"""The applicant's view of an application: where it stands, the final outcome once decided
(after review, when a person checked it), what happens next and the main reasons as far as
the lender's settings allow. Never a probability or a model's figure.

Every channel that answers an applicant reads this one selector: the REST API
(channels_ingest/api), the web form's status page, the chat and the agent screen's read-out.
Staff pages and the staff API keep the model's own figures beside it.

The decision is passed in (duck-typed: tier, routed_to_review, reasons, created_at) so this
module stays below scoring in the layers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from applicants.models import Application, Status

_TIMELINE = (("received", "Received"), ("assessing", "Being assessed"), ("decided", "Decided"))

NEXT_WAIT = (
    "Nothing to do for now: this usually takes a moment. This page shows the outcome when it is ready."
)
NEXT_REVIEW = (
    "Nothing to do for now. We will tell you the outcome when the check is done; "
    "you can come back to this page at any time."
)
NEXT_FAILED = "Nothing to do: a member of our team will contact you with the next steps."
NEXT_DECIDED = "We will contact you with the next steps using the contact details you gave us."
NEXT_UNSHOWN = "We will contact you with the outcome and the next steps."


@dataclass
class ApplicantView:
    stage: str  # received | assessing | review | decided | failed
    headline: str
    text: str
    final: bool
    next_steps: str = ""
    # The tier a person settled on, else the model's when nobody had to look; only once decided
    # and only when the lender shows outcomes (APPLICANT_SEES_OUTCOME).
    tier: str = ""
    outcome: str = ""  # the tier in the lender's words
    reviewed: bool = False  # a member of staff checked this outcome
    decided_at: dt.datetime | None = None
    reasons: list[str] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)


def applicant_view(application: Application, decision: Any) -> ApplicantView:
    """What the applicant is told about `application`, given its current decision (or None)."""
    status = application.status
    routed = decision is not None and decision.routed_to_review
    if status == Status.FAILED:
        view = ApplicantView(
            "failed",
            "We need to look at this ourselves",
            "We could not assess your application automatically. A member of "
            "our team will look at it and contact you.",
            final=True,
            next_steps=NEXT_FAILED,
        )
    elif status == Status.RECEIVED:
        view = ApplicantView(
            "received",
            "Received",
            "We have your application and will assess it in a moment.",
            final=False,
            next_steps=NEXT_WAIT,
        )
    elif status == Status.SCORING:
        view = ApplicantView(
            "assessing",
            "Being assessed",
            "We are assessing your application now.",
            final=False,
            next_steps=NEXT_WAIT,
        )
    elif status == Status.IN_REVIEW or (status == Status.SCORED and routed):
        view = ApplicantView(
            "review",
            "Under review",
            "A member of our team is checking your application. We will let you know the outcome.",
            final=False,
            next_steps=NEXT_REVIEW,
        )
    else:  # scored (not routed), confirmed, overridden
        view = _decided(application, decision)
    reached = {"received": 1, "assessing": 2, "review": 2, "decided": 3, "failed": 2}[view.stage]
    view.timeline = [
        {
            "label": label if not (key == "assessing" and view.stage == "review") else "Under review",
            "done": index < reached,
            "current": index == reached - 1,
        }
        for index, (key, label) in enumerate(_TIMELINE)
    ]
    return view


def _decided(application: Application, decision: Any) -> ApplicantView:
    reviewed = application.status in (Status.CONFIRMED, Status.OVERRIDDEN)
    tier = application.final_tier or (decision.tier if decision is not None else "")
    view = ApplicantView(
        "decided",
        "Decided",
        "A member of our team has checked your application; this is the final outcome."
        if reviewed
        else "Your application has been assessed.",
        final=True,
        reviewed=reviewed,
        decided_at=application.labelled_at if reviewed else getattr(decision, "created_at", None),
    )
    if settings.APPLICANT_SEES_OUTCOME and tier:
        view.tier = tier
        view.outcome = settings.APPLICANT_TIER_WORDING.get(tier, "")
        view.next_steps = NEXT_DECIDED
    else:
        view.next_steps = NEXT_UNSHOWN
    # The model's reasons explain the model's tier: told only when the final tier is that one.
    if settings.APPLICANT_SEES_REASONS and decision is not None and decision.tier == tier:
        view.reasons = main_reasons(decision.reasons, tier)
    return view


def main_reasons(reasons: list[dict[str, Any]], tier: str) -> list[str]:
    """The statements that most support the outcome: what raised the risk for medium and
    high, what lowered it for low; the largest effects first."""
    wanted = "decreases_risk" if tier == "low" else "increases_risk"
    ranked = sorted(reasons or [], key=lambda r: abs(float(r.get("contribution") or 0)), reverse=True)
    chosen = [r for r in ranked if r.get("direction") == wanted] or ranked
    statements: list[str] = []
    for reason in chosen:
        statement = str(reason.get("statement") or "")
        if statement and statement not in statements:
            statements.append(statement)
    return statements[: settings.APPLICANT_REASONS_SHOWN]
