"""The applicant's view after an auditor overrides the model, in a real browser: the status
page (and the list of their applications) shows the final outcome, says a person checked it
and what happens next, and shows no probability or model tier."""

from __future__ import annotations

import pytest

from scoring.models import Decision

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_applicant_sees_the_final_outcome_after_an_override(browser_as, live_server, alice, overridden):
    application = overridden(alice)
    decision = Decision.objects.get(application=application, is_current=True)
    assert decision.tier == "high" and application.final_tier == "medium"

    page = browser_as("alice")
    page.goto(f"{live_server.url}/apply/applications/{application.pk}/")
    status = page.locator("#status")
    assert page.locator("#status-headline").inner_text() == "Decided"
    assert page.locator("#outcome").inner_text().startswith("Your application needs a closer look")
    assert "a member of our team has checked your application" in status.inner_text().lower()
    assert "What happens next" in page.locator("#next-steps").inner_text()
    assert page.locator("#reasons").count() == 0  # the model's reasons argued for "high"
    text = page.locator("main").inner_text()
    assert "high" not in text.lower().split()  # neither the model's tier ...
    for figure in (decision.prob_low, decision.prob_medium, decision.prob_high):
        assert repr(figure) not in text and f"{figure:.3f}" not in text  # ... nor a figure

    page.goto(f"{live_server.url}/apply/")
    assert "Decided" in page.locator("main").inner_text()
