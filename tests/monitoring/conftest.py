"""Constructed data for monitoring tests: decisions, labels and reviews written directly,
with the days, tiers and features a test chooses, so the right answer is known."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from applicants.models import Applicant, Application, Status

REVIEW_POLICY = {"review_tiers": ["medium", "high"], "low_sample_rate": 0.1}


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def make_decisions(db: Any) -> Callable[..., list[Any]]:
    """make_decisions(model, rows) with rows of {day, channel, snapshot, tier, prob_high,
    final_tier, dob, routed, review_probability, latency_ms}; returns the decisions."""
    from scoring.models import Decision

    def make(model: Any, rows: list[dict[str, Any]]) -> list[Any]:
        applicants = Applicant.objects.bulk_create([Applicant(id=uuid.uuid4()) for _ in rows])
        apps = []
        for applicant, row in zip(applicants, rows, strict=True):
            final = row.get("final_tier", "")
            apps.append(
                Application(
                    id=uuid.uuid4(),
                    applicant=applicant,
                    schema_name=model.schema_name,
                    schema_hash=model.schema_hash,
                    answers={},
                    channel=row.get("channel", "api"),
                    pii={"date_of_birth": row["dob"]} if row.get("dob") else {},
                    status=Status.CONFIRMED if final else Status.SCORED,
                    final_tier=final,
                    labelled_at=at(row["day"], 18) if final else None,
                )
            )
        Application.objects.bulk_create(apps)
        decisions = Decision.objects.bulk_create(
            [
                Decision(
                    application=app,
                    model_version=model,
                    tier=row.get("tier", "low"),
                    prob_low=1 - row.get("prob_high", 0.1),
                    prob_medium=0.0,
                    prob_high=row.get("prob_high", 0.1),
                    feature_snapshot=row.get("snapshot", {}),
                    routed_to_review=row.get("routed", False),
                    review_probability=row.get("review_probability"),
                    latency_ms=row.get("latency_ms", 900),
                )
                for app, row in zip(apps, rows, strict=True)
            ]
        )
        for day in {row["day"] for row in rows}:
            ids = [d.pk for d, row in zip(decisions, rows, strict=True) if row["day"] == day]
            Decision.objects.filter(pk__in=ids).update(created_at=at(day))
            Application.objects.filter(decisions__pk__in=ids).update(created_at=at(day, 11))
        return decisions

    return make


@pytest.fixture
def make_review(db: Any) -> Callable[..., Any]:
    """make_review(decision, auditor_label, final_tier, seconds, blind, day): an effective
    (or, with status=..., another) review of the decision's item."""
    from auditing.models import ItemState, Review, ReviewItem

    def make(
        decision: Any,
        auditor_label: str,
        final_tier: str,
        *,
        seconds: float = 40.0,
        blind: bool = False,
        day: dt.date,
        status: str = "effective",
        hour: int = 14,
        independent: bool = False,
    ) -> Any:
        item, _ = ReviewItem.objects.get_or_create(
            application_id=decision.application_id,
            defaults={
                "decision": decision,
                "state": ItemState.DONE,
                "priority": 0.5,
                "prob_high": decision.prob_high,
                "model_tier": decision.tier,
                "model_version": decision.model_version.version,
                "channel": "api",
            },
        )
        return Review.objects.create(
            item=item,
            application_id=decision.application_id,
            decision=decision,
            model_version=decision.model_version,
            auditor_label=auditor_label,
            outcome="confirmed" if final_tier == decision.tier else "overridden",
            model_tier=decision.tier,
            final_tier=final_tier,
            reason_code="test",
            seconds_open=seconds,
            blind=blind,
            status=status,
            independent=independent,
            created_at=at(day, hour),
        )

    return make
