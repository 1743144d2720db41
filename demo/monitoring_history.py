"""Demo history for the monitoring dashboard: weeks of decisions made by the active model on
synthetic applications, some labelled by demo auditors, with the web form's applicants
earning less in the last days (a drifted feature, and the alert it raises).

Written straight to the tables (as a past would be), not through the pipeline, so a demo
start-up takes seconds; then the roll-ups and alert rules run over it. DEBUG only.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applicants.models import Applicant, Application, Channel, Status
from applicants.schema import get_schema
from auditing.models import ItemState, Review, ReviewItem
from demo import synthetic
from monitoring.models import ModelBaseline
from monitoring.services.alerts import alerts_evaluate
from monitoring.services.baselines import baseline_bins
from monitoring.services.operations import operations_snapshot
from monitoring.services.rollups import rollup_days
from scoring.features import build_matrix, feature_snapshot
from scoring.models import TIERS, Decision, ModelVersion
from scoring.policy import review_probability, review_route
from scoring.probabilities import tier_probabilities, tiers_from_probabilities
from scoring.scorers import InProcessScorer

CHANNELS = (Channel.API, Channel.WEB, Channel.PHONE_AGENT, Channel.MAIL)
AUDITORS = ("auditor", "auditor_lead", "stamp")  # "stamp" agrees with everything in 2 seconds


def monitoring_history(
    *, model: ModelVersion, days: int = 42, per_day: int = 120, drift_days: int = 10, seed: int = 2027
) -> dict[str, Any]:
    schema = get_schema()
    rng = np.random.default_rng(seed)
    today = timezone.localdate()
    _synthetic_baseline(model, schema)
    n = days * per_day
    answers, truth = synthetic.generate(schema, n, seed=seed)
    order = rng.permutation(n)  # the generator's rows come in runs; days are a random mix
    answers, truth = [answers[i] for i in order], np.asarray(truth)[order]
    day_of = np.repeat(np.arange(days)[::-1], per_day)  # days ago
    channel_of = [CHANNELS[i] for i in rng.choice(len(CHANNELS), size=n, p=[0.3, 0.4, 0.15, 0.15])]
    for i, row in enumerate(answers):  # the web form's recent applicants earn 45% less
        if channel_of[i] == Channel.WEB and day_of[i] < drift_days:
            row["annual_income"] = round(row["annual_income"] * 0.55)
    matrix = build_matrix(schema, answers)
    probs = tier_probabilities(model, InProcessScorer().predict_proba(model, matrix))
    tiers = [TIERS[t] for t in tiers_from_probabilities(probs, model.thresholds)]
    pii_fields = schema.pii_fields
    with transaction.atomic():
        applicants = Applicant.objects.bulk_create([Applicant(id=uuid.uuid4()) for _ in range(n)])
        apps, decisions = [], []
        for i in range(n):
            app_id = uuid.uuid4()
            routed, why = review_route(app_id, tiers[i], model.review_policy)
            final = _final_tier(rng, TIERS[int(truth[i])], tiers[i]) if routed and day_of[i] > 0 else ""
            apps.append(
                Application(
                    id=app_id,
                    applicant=applicants[i],
                    schema_name=schema.name,
                    schema_hash=schema.source_hash,
                    answers={k: v for k, v in answers[i].items() if k not in pii_fields},
                    pii={k: v for k, v in answers[i].items() if k in pii_fields},
                    channel=channel_of[i],
                    status=(Status.CONFIRMED if final == tiers[i] else Status.OVERRIDDEN)
                    if final
                    else Status.IN_REVIEW
                    if routed
                    else Status.SCORED,
                    final_tier=final,
                )
            )
            decisions.append(
                Decision(
                    application_id=app_id,
                    model_version=model,
                    tier=tiers[i],
                    prob_low=probs[i][0],
                    prob_medium=probs[i][1],
                    prob_high=probs[i][2],
                    feature_snapshot=feature_snapshot(schema, matrix[i]),
                    routed_to_review=routed,
                    routing_reason=why,
                    review_probability=review_probability(tiers[i], model.review_policy),
                    latency_ms=int(rng.gamma(2.0, 450)),
                )
            )
        Application.objects.bulk_create(apps, batch_size=2000)
        Decision.objects.bulk_create(decisions, batch_size=2000)
        _date(apps, decisions, day_of, today)
        reviews = _reviews(rng, model, apps, decisions, day_of, today)
    operations_snapshot()
    totals = rollup_days([today - dt.timedelta(days=int(d)) for d in range(days)])
    return {"decisions": n, "reviews": reviews, "alerts": len(alerts_evaluate()), **totals}


def _synthetic_baseline(model: ModelVersion, schema: Any) -> None:
    """A demo model was trained on synthetic rows (its training_source says how many, with
    which seed): regenerate them for its drift baseline, as monitoring cannot."""
    if ModelBaseline.objects.filter(model_version=model).exists():
        return
    match = re.fullmatch(r"synthetic:[^:]+:(\d+) rows:seed (\d+)", model.training_source)
    rows, seed = (int(match[1]), int(match[2])) if match else (5000, 7)
    answers, _ = synthetic.generate(schema, rows, seed=seed)
    matrix = build_matrix(schema, answers)
    prob_high = tier_probabilities(model, InProcessScorer().predict_proba(model, matrix))[:, 2]
    ModelBaseline.objects.create(
        model_version=model,
        rows=rows,
        source=f"{rows:,} synthetic training rows, regenerated",
        bins=baseline_bins(schema, matrix, prob_high, bins=settings.MONITORING_PSI_BINS),
    )


def _final_tier(rng: np.random.Generator, true_tier: str, model_tier: str) -> str:
    """Auditors mostly find the truth; one time in eight they keep the model's tier."""
    return model_tier if rng.random() < 0.125 else true_tier


def _date(apps: list[Application], decisions: list[Decision], day_of: np.ndarray, today: dt.date) -> None:
    for ago in np.unique(day_of):
        ids = [d.pk for d, a in zip(decisions, day_of, strict=True) if a == ago]
        when = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=int(ago)), dt.time(10)))
        Decision.objects.filter(pk__in=ids).update(created_at=when)
        app_ids = [a.pk for a, g in zip(apps, day_of, strict=True) if g == ago]
        Application.objects.filter(pk__in=app_ids).update(created_at=when)
        Application.objects.filter(pk__in=app_ids).exclude(final_tier="").update(
            labelled_at=when + dt.timedelta(hours=5)
        )


def _reviews(
    rng: np.random.Generator,
    model: ModelVersion,
    apps: list[Application],
    decisions: list[Decision],
    day_of: np.ndarray,
    today: dt.date,
) -> int:
    items, reviews = [], []
    labelled = [(a, d, int(g)) for a, d, g in zip(apps, decisions, day_of, strict=True) if a.final_tier]
    for app, decision, _ago in labelled:
        items.append(
            ReviewItem(
                application_id=app.pk,
                decision=decision,
                state=ItemState.DONE,
                priority=0.5,
                prob_high=decision.prob_high,
                model_tier=decision.tier,
                model_version=model.version,
                channel=app.channel,
                blind=rng.random() < 0.2,
            )
        )
    ReviewItem.objects.bulk_create(items, batch_size=2000)
    for item, (app, decision, ago) in zip(items, labelled, strict=True):
        when = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=ago), dt.time(15)))
        auditor = AUDITORS[int(rng.integers(0, len(AUDITORS)))]
        final = decision.tier if auditor == "stamp" else app.final_tier
        if rng.random() < 0.1:  # a second, independent label first (four eyes refused it)
            other = "auditor_lead" if auditor != "auditor_lead" else "auditor"
            first = app.final_tier if rng.random() < 0.8 else TIERS[int(rng.integers(0, 3))]
            earlier = when - dt.timedelta(hours=1)
            reviews.append(_review(item, decision, other, first, 50.0, "rejected", earlier))
        seconds = 2.0 if auditor == "stamp" else float(rng.gamma(3.0, 25.0))
        reviews.append(_review(item, decision, auditor, final, seconds, "effective", when))
    Review.objects.bulk_create(reviews, batch_size=2000)
    return len(reviews)


def _review(
    item: ReviewItem,
    decision: Decision,
    auditor: str,
    final: str,
    seconds: float,
    status: str,
    when: dt.datetime,
) -> Review:
    return Review(
        item=item,
        application_id=item.application_id,
        decision=decision,
        model_version_id=decision.model_version_id,
        auditor_label=auditor,
        outcome="confirmed" if final == decision.tier else "overridden",
        model_tier=decision.tier,
        final_tier=final,
        reason_code="demo",
        seconds_open=seconds,
        blind=item.blind,
        status=status,
        created_at=when,
        effective_at=when if status == "effective" else None,
    )
