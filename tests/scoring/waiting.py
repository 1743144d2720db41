"""Applications waiting for the scorer, for the tests that count what a batch costs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from applicants.models import Application, Channel
from applicants.services import application_submit
from scoring.models import ModelVersion


def submit(user: Any, answers: dict[str, Any], i: int) -> Application:
    """The i-th application of a test: its own person and amount."""
    answers = {**answers, "national_id": f"WT{i:06d}X", "requested_amount": 2000 + 3000 * i}
    return application_submit(
        answers=answers, channel=Channel.API, actor=user, idempotency_key=f"wt{i}"
    ).application


def one_waiting_after_a_warm_up(
    user: Any, answers: dict[str, Any], model: ModelVersion, score: Callable[[], Any]
) -> Application:
    """One application waiting, after `score` ran once (the models read and cached), with
    nothing routed to review (which samples at random and adds its own statements)."""
    model.review_policy = {"review_tiers": [], "low_sample_rate": 0.0}
    model.save()
    submit(user, answers, 0)
    score()
    return submit(user, answers, 1)
