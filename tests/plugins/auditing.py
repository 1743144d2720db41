"""Fixtures shared by the review tests (see docs/review.md).

Applications reach the queue the real way: submitted through the ingestion service, scored
by the pipeline with a trained model, routed, then made queue items by the sync service.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from accounts.roles import Role

_national_ids = itertools.count(100_000)


@pytest.fixture
def frank(make_user: Any) -> Any:
    """A second auditor (four eyes, claim races)."""
    return make_user("frank", Role.AUDITOR)


@pytest.fixture
def grace(make_user: Any) -> Any:
    """An auditor lead: reads personal data (audited), searches the trail."""
    return make_user("grace", Role.AUDITOR, Role.AUDITOR_LEAD)


@pytest.fixture
def heidi(make_user: Any) -> Any:
    """An analyst: exports labelled decisions."""
    return make_user("heidi", Role.ANALYST)


@pytest.fixture
def ivan(make_user: Any) -> Any:
    """A mail clerk who is also an auditor: may never review what he keyed."""
    return make_user("ivan", Role.CLERK, Role.AUDITOR)


@pytest.fixture
def risky(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers the model scores high risk: little income, much debt, late payments."""
    return {
        **answers,
        "employment_status": "unemployed",
        "annual_income": 14000,
        "monthly_debt_payments": 1100,
        "monthly_housing_cost": 1000,
        "delinquencies_2y": 9,
        "existing_credit_lines": 14,
        "credit_history_years": 1,
        "requested_amount": 40000,
        "term_months": 84,
        "years_employed": 0,
        "loan_purpose": "small_business",
    }


@pytest.fixture
def routed(db: Any, active_model: Any, settings: Any) -> Callable[..., Any]:
    """Make a review item: submit `answers`, score, route to review (forcing the route for a
    low decision not sampled), sync the queue. Returns the ReviewItem."""
    from applicants.models import Application, Status
    from applicants.services import application_submit, application_transition
    from auditing.models import ReviewItem
    from auditing.services.queue import review_queue_sync
    from scoring.services import score_waiting_applications

    settings.REVIEW_BLIND_SHARE = 0.0

    def make(
        answers: dict[str, Any], *, actor: Any = None, channel: str = "api", national_id: str | None = None
    ) -> Any:
        answers = {**answers, "national_id": national_id or f"ZX{next(_national_ids)}Q"}
        submitted = application_submit(answers=answers, channel=channel, actor=actor, idempotency_key=None)
        score_waiting_applications(first_id=submitted.application.pk)
        application = Application.objects.get(pk=submitted.application.pk)
        if application.status == Status.SCORED:
            application_transition(
                application_ids=[application.pk],
                from_status=Status.SCORED,
                to_status=Status.IN_REVIEW,
                note="test: sent to review",
            )
        review_queue_sync()
        return ReviewItem.objects.select_related("application").get(application=application)

    return make


@pytest.fixture
def overridden(routed: Callable[..., Any], risky: dict[str, Any], make_user: Any) -> Callable[..., Any]:
    """`overridden(applicant)`: the applicant's own application, which the model scores high,
    overridden by an auditor to medium (one tier: no second auditor). Returns the application."""
    from applicants.models import Application
    from auditing.services.queue import review_item_claim
    from auditing.services.reviews import review_record

    def make(applicant: Any, *, final_tier: str = "medium") -> Any:
        item = routed(risky)
        Application.objects.filter(pk=item.application_id).update(owner=applicant, submitted_by=applicant)
        auditor = make_user(f"auditor-of-{applicant.username}", Role.AUDITOR)
        review_item_claim(item_id=item.pk, user=auditor)
        review_record(item_id=item.pk, auditor=auditor, final_tier=final_tier, reason_code="affordability")
        return Application.objects.get(pk=item.application_id)

    return make
