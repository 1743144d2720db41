"""What the status page tells an applicant at each stage, and what the lender's settings
allow: the outcome in plain words and the main reasons, never a probability."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from applicants.models import Application, Status
from channels_ingest.webform.presenters import application_progress, main_reasons

REASONS = [
    {"statement": "Income is high", "direction": "decreases_risk", "contribution": -0.9},
    {"statement": "Requested amount is large", "direction": "increases_risk", "contribution": 0.4},
    {"statement": "Long credit history", "direction": "decreases_risk", "contribution": -1.4},
    {"statement": "Recent late payments on credit", "direction": "increases_risk", "contribution": 1.1},
]


def decision(tier: str, routed: bool = False) -> SimpleNamespace:
    return SimpleNamespace(
        tier=tier, routed_to_review=routed, reasons=REASONS, prob_low=0.91, prob_medium=0.06, prob_high=0.03
    )


@pytest.mark.parametrize(
    ("status", "routed", "stage", "final"),
    [
        (Status.RECEIVED, False, "received", False),
        (Status.SCORING, False, "assessing", False),
        (Status.SCORED, True, "review", False),
        (Status.IN_REVIEW, True, "review", False),
        (Status.SCORED, False, "decided", True),
        (Status.CONFIRMED, True, "decided", True),
        (Status.FAILED, False, "failed", True),
    ],
)
def test_each_status_has_plain_words(status, routed, stage, final):
    progress = application_progress(Application(status=status), decision("low", routed))
    assert (progress.stage, progress.final) == (stage, final)
    assert progress.headline and progress.text
    assert bool(progress.outcome) == (stage == "decided")


def test_a_decision_shows_the_lenders_words_and_the_reasons_that_support_it():
    low = application_progress(Application(status=Status.SCORED), decision("low"))
    assert low.outcome.startswith("Your application looks good")
    assert low.reasons == ["Long credit history", "Income is high"]
    high = application_progress(Application(status=Status.SCORED), decision("high"))
    assert high.reasons == ["Recent late payments on credit", "Requested amount is large"]
    assert not any(str(v) in " ".join([high.outcome, *high.reasons]) for v in (0.91, 0.06, 0.03))


def test_an_overridden_tier_is_told_without_the_models_reasons():
    application = Application(status=Status.OVERRIDDEN, final_tier="high")
    progress = application_progress(application, decision("low", routed=True))
    assert progress.outcome.startswith("We are unlikely")
    assert progress.reasons == []


def test_the_lender_may_hide_the_outcome_or_the_reasons(settings):
    settings.APPLICANT_SEES_REASONS = False
    progress = application_progress(Application(status=Status.SCORED), decision("low"))
    assert progress.outcome and progress.reasons == []
    settings.APPLICANT_SEES_OUTCOME = False
    settings.APPLICANT_SEES_REASONS = True
    progress = application_progress(Application(status=Status.SCORED), decision("low"))
    assert progress.outcome == "" and progress.reasons


def test_at_most_the_configured_number_of_reasons(settings):
    settings.APPLICANT_REASONS_SHOWN = 1
    assert main_reasons(REASONS, "medium") == ["Recent late payments on credit"]
    assert main_reasons([], "low") == []
