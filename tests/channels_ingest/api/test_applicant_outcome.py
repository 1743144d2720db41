"""The applicant is told the final outcome: after an auditor overrides the model (high →
medium), the API says medium, that a person checked it and what happens next, and shows no
probability or model figure; staff keep the model's decision beside it."""

from __future__ import annotations

import json

import pytest

from accounts.roles import Role
from scoring.models import Decision
from tests.conftest import token_client

pytestmark = pytest.mark.django_db


def test_after_an_override_the_applicant_reads_the_final_outcome_and_no_model_figures(alice, overridden):
    application = overridden(alice)
    decision = Decision.objects.get(application=application, is_current=True)
    assert (decision.tier, application.status, application.final_tier) == ("high", "overridden", "medium")

    body = token_client(alice).get(f"/api/v1/applications/{application.pk}/").json()
    outcome = body["outcome"]
    assert outcome["stage"] == "decided" and outcome["final"] is True
    assert outcome["tier"] == "medium" and outcome["reviewed"] is True
    assert outcome["outcome"].startswith("Your application needs a closer look")
    assert outcome["next_steps"] and outcome["decided_at"]
    assert outcome["reasons"] == []  # the model's reasons explain "high", not the final tier
    assert "decision" not in body and "failure_reason" not in body and "final_tier" not in body
    text = json.dumps(body)
    for figure in (decision.prob_low, decision.prob_medium, decision.prob_high):
        assert repr(figure) not in text
    assert "probabilit" not in text and "in_review" not in text


def test_staff_keep_the_models_figures_beside_the_final_outcome(alice, overridden, make_user):
    application = overridden(alice)
    agent = make_user("agent-ann", Role.AGENT)
    body = token_client(agent).get(f"/api/v1/applications/{application.pk}/").json()
    assert body["decision"]["tier"] == "high"
    assert set(body["decision"]["probabilities"]) == {"low", "medium", "high"}
    assert body["final_tier"] == "medium" and body["outcome"]["tier"] == "medium"


def test_while_in_review_the_applicant_is_told_to_wait_without_a_tier(alice, routed, risky):
    from applicants.models import Application

    item = routed(risky)
    Application.objects.filter(pk=item.application_id).update(owner=alice)
    body = token_client(alice).get(f"/api/v1/applications/{item.application_id}/").json()
    assert body["outcome"]["stage"] == "review" and body["outcome"]["tier"] == ""
    assert body["outcome"]["next_steps"].startswith("Nothing to do for now")
    assert "decision" not in body
