"""The scoring pipeline: claim waiting applications, score them as one matrix, explain,
decide, route, and store every decision in one transaction.

A claim is a short lease (SCORING_LEASE_SECONDS): the scorer renews it from a heartbeat
thread while it works (`scoring_started_at` holds the claim's last renewal), so a batch
outlives a slow endpoint, while a killed worker's batch is free again one lease later and
the re-drive hands it to another worker. Failures are typed (ScoringError.permanent): a
permanent one fails the applications with the reason; a transient one gives them back to
wait, their scoring requests backing off in the outbox (one backoff curve,
outbox.backoff); botocore's retry mode already retried inside the call (config/aws.py).

Scoring in micro-batches (up to SCORING_BATCH_SIZE applications per claim) is what lets a
small worker keep up: one prediction call and one transaction per batch instead of per
application (the prototype scored ~350/s one by one against ~4,000/s in batches).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from applicants.groups import protected_groups
from applicants.models import Application, Status
from applicants.schema import get_schema
from applicants.services import application_transition
from outbox.jobs import Heartbeat
from outbox.models import Topic
from outbox.registry import DECISIONS_STORED, outbox_emit
from outbox.services import (
    outbox_back_off,
    outbox_deliver_and_fan_out,
    outbox_mark_dead,
    outbox_pending_older_than,
)
from scoring.artifact_store import load_booster
from scoring.claims import scoring_claim, scoring_claimed, scoring_lease_renew
from scoring.encoding import model_input
from scoring.errors import ScoringError
from scoring.explain import risk_contributions, top_reasons
from scoring.features import build_matrix, feature_row_bytes, feature_snapshot
from scoring.models import Decision, ModelVersion, ShadowScore
from scoring.policy import route_with_provenance, tier_for
from scoring.probabilities import finish_probabilities, tier_probabilities
from scoring.scorers import get_scorer
from scoring.selectors import scoring_models

logger = logging.getLogger(__name__)


@dataclass
class BatchResult:
    claimed: int = 0
    scored: list[Any] = field(default_factory=list)
    failed: list[Any] = field(default_factory=list)
    released: list[Any] = field(default_factory=list)


def score_waiting_applications(*, first_id: Any = None, limit: int | None = None) -> BatchResult:
    """Claim up to `limit` received applications (`first_id` first) and score them.

    Raises NoUsableModel when there is no model to score with (nothing is claimed). When
    the scorer fails transiently the claimed applications are released to wait for their
    backoff (`released` in the result); nothing is raised, nothing retries here.
    """
    schema = get_schema()
    model, shadows = scoring_models(schema)
    claim = uuid.uuid4()
    ids = scoring_claim(claim, first_id=first_id, limit=limit or settings.SCORING_BATCH_SIZE)
    if not ids:
        return BatchResult()
    with Heartbeat(lambda: scoring_lease_renew(claim) > 0, every=settings.SCORING_LEASE_SECONDS / 4):
        result = _score_claimed(schema, model, claim, ids, shadows)
    result.claimed = len(ids)
    return result


def score_until_done(*, budget_seconds: float, more: Callable[[], Any]) -> int:
    """Score batch after batch while batches come back full (a backlog); return how many
    were scored.

    One wake-up message then serves every application committed before it ran. A batch that
    is not full means the backlog is gone: return, and let what commits later wake a new
    task, queued behind the sinks' drains, so a steady stream never starves them. When the
    first claim is a full batch, `more()` wakes another worker to share the backlog; when
    the time budget runs out, `more()` hands the rest to a fresh task (a task never runs
    into Celery's time limit)."""
    deadline = time.monotonic() + budget_seconds
    scored, first = 0, True
    while True:
        result = score_waiting_applications()
        scored += len(result.scored)
        if result.claimed < settings.SCORING_BATCH_SIZE or result.released:
            return scored  # caught up, or the scorer fails: the requests back off
        if first and result.claimed >= settings.SCORING_BATCH_SIZE:
            more()  # a backlog: wake another worker to share it
        first = False
        if time.monotonic() > deadline:
            more()
            return scored


def _score_claimed(
    schema: Any, model: ModelVersion, claim: uuid.UUID, ids: list[Any], shadows: list[ModelVersion]
) -> BatchResult:
    applications = scoring_claimed(claim, ids)
    try:
        matrix = build_matrix(schema, [a.answers for a in applications])
        scorer = get_scorer()
        probabilities = tier_probabilities(model, scorer.predict_proba(model, matrix))
        # Reasons are computed here, exact TreeSHAP on the same model.tar.gz (scoring.explain),
        # also when an endpoint scored: SageMaker's XGBoost container returns no contributions.
        contributions = risk_contributions(model, matrix)
    except ScoringError as exc:
        if exc.permanent:
            return BatchResult(failed=_fail(applications, claim, f"scoring failed: {exc}"))
        result = _release(applications, claim, str(exc))
        logger.warning("scoring failed transiently, %d applications back off: %s", len(result.released), exc)
        return result
    except Exception:
        # An unexpected error (a bug): give the applications back to back off, and fail
        # the task loudly; the re-drive offers them again after their backoff.
        _release(applications, claim, "unexpected error while scoring")
        raise
    decisions = [
        _decision(schema, model, application, matrix[i], probabilities[i], contributions[i])
        for i, application in enumerate(applications)
    ]
    for decision in decisions:
        decision.scorer = scorer.last_source[:120]
    return BatchResult(scored=_store(decisions, claim, shadow_scores(model, shadows, matrix, decisions)))


def shadow_scores(
    model: ModelVersion, shadows: list[ModelVersion], matrix: np.ndarray, decisions: list[Decision]
) -> list[ShadowScore]:
    """What each shadow model (scoring.selectors.scoring_models) says about the same rows.
    Always in-process (a shadow has no endpoint of its own), never deciding anything, and
    never failing the batch."""
    scores: list[ShadowScore] = []
    for shadow in shadows:
        try:
            raw = load_booster(shadow.artifact_uri).inplace_predict(model_input(shadow, matrix))
            probs = tier_probabilities(shadow, finish_probabilities(shadow, raw, len(matrix)))
        except Exception:
            logger.warning("shadow model v%s could not score; skipped", shadow.version, exc_info=True)
            continue
        scores += [
            ShadowScore(
                application_id=d.application_id,
                model_version=shadow,
                active_version=model,
                tier=tier_for([float(p) for p in probs[i]], shadow.thresholds),
                active_tier=d.tier,
                prob_high=float(probs[i][2]),
            )
            for i, d in enumerate(decisions)
        ]
    return scores


def _decision(
    schema: Any,
    model: ModelVersion,
    application: Application,
    row: np.ndarray,
    probabilities: np.ndarray,
    contributions: np.ndarray,
) -> Decision:
    probs = [float(p) for p in probabilities]
    tier = tier_for(probs, model.thresholds)
    snapshot = feature_snapshot(schema, row)
    reasons = top_reasons(schema, contributions, snapshot, limit=settings.TOP_REASONS)
    routing = route_with_provenance(
        application.pk,
        tier,
        model.review_policy,
        schema=schema,
        reasons=reasons,
        provenance=application.provenance,
        speech_below=settings.REVIEW_SPEECH_CONFIDENCE_BELOW,
    )
    latency = (timezone.now() - application.created_at) / dt.timedelta(milliseconds=1)
    return Decision(
        application_id=application.pk,
        model_version=model,
        tier=tier,
        prob_low=probs[0],
        prob_medium=probs[1],
        prob_high=probs[2],
        reasons=reasons,
        feature_snapshot=snapshot,
        feature_row=feature_row_bytes(schema, row),
        protected_groups=protected_groups(schema, application.all_answers, timezone.localdate()),
        routed_to_review=routing.to_review,
        routing_reason=routing.why,
        review_probability=routing.probability,
        latency_ms=max(int(latency), 0),
    )


def _store(decisions: list[Decision], claim: uuid.UUID, shadows: Sequence[ShadowScore] = ()) -> list[Any]:
    """One transaction: decisions, state changes, the scoring request marked done.
    Only applications still held by this claim are written, so a re-run never doubles.

    A decision here is its application's first: a decided application (scored and after)
    never goes back to be scored (applicants.state), and rescoring writes only to decided
    ones. So no current decision is retired first; should one be there after all (data
    written some other way), its unique index refuses the insert and the batch is stored
    again the long way, retiring it."""
    try:
        return _store_once(decisions, claim, shadows, first_decisions=True)
    except IntegrityError:
        logger.warning("an application being scored had a current decision; it is replaced")
        for decision in decisions:  # ids of the insert rolled back, if it got that far
            decision.pk, decision._state.adding = None, True
        return _store_once(decisions, claim, shadows, first_decisions=False)


def _store_once(
    decisions: list[Decision], claim: uuid.UUID, shadows: Sequence[ShadowScore], *, first_decisions: bool
) -> list[Any]:
    by_id = {d.application_id: d for d in decisions}
    with transaction.atomic():
        scored = application_transition(
            application_ids=list(by_id),
            from_status=Status.SCORING,
            to_status=Status.SCORED,
            only_if={"scoring_claim": claim},
            scoring_claim=None,
        )
        if not scored:
            return []
        if not first_decisions:
            Decision.objects.filter(application_id__in=scored, is_current=True).update(is_current=False)
        Decision.objects.bulk_create(by_id[pk] for pk in scored)
        moved = set(scored)
        ShadowScore.objects.bulk_create(
            [s for s in shadows if s.application_id in moved], ignore_conflicts=True
        )
        routed = [pk for pk in scored if by_id[pk].routed_to_review]
        application_transition(
            application_ids=routed,
            from_status=Status.SCORED,
            to_status=Status.IN_REVIEW,
            note="routed to review",
        )
        outbox_deliver_and_fan_out(
            topic=Topic.SCORING,
            keys=[str(pk) for pk in scored],
            event="decision",
            items=[(str(pk), {"decision_id": by_id[pk].pk}) for pk in scored],
        )
        # The review queue (a registered handler) adds its items in this same transaction.
        outbox_emit(DECISIONS_STORED, application_ids=routed, replaced=not first_decisions)
    return scored


def _release(applications: list[Application], claim: uuid.UUID | None, error: str) -> BatchResult:
    """Give claimed applications back to wait; those out of attempts fail with the reason."""
    out_of_tries = [a.pk for a in applications if a.scoring_attempts >= settings.SCORING_MAX_ATTEMPTS]
    result = BatchResult(
        failed=_fail(
            [a for a in applications if a.pk in out_of_tries],
            claim,
            f"scoring failed after {settings.SCORING_MAX_ATTEMPTS} attempts: {error}",
        )
    )
    with transaction.atomic():
        result.released = application_transition(
            application_ids=[a.pk for a in applications if a.pk not in out_of_tries],
            from_status=Status.SCORING,
            to_status=Status.RECEIVED,
            only_if={"scoring_claim": claim} if claim else {},
            note=f"released for retry: {error}"[:500],
            scoring_claim=None,
        )
        outbox_back_off(
            topic=Topic.SCORING,
            keys=[str(pk) for pk in result.released],
            error=error,
            base=settings.SCORING_RETRY_BASE_SECONDS,
            cap=settings.SCORING_RETRY_MAX_SECONDS,
        )
    return result


def _fail(applications: list[Application], claim: uuid.UUID | None, reason: str) -> list[Any]:
    only_if = {"scoring_claim": claim} if claim else {}
    with transaction.atomic():
        failed = application_transition(
            application_ids=[a.pk for a in applications],
            from_status=Status.SCORING,
            to_status=Status.FAILED,
            only_if=only_if,
            note=reason[:500],
            failure_reason=reason,
            scoring_claim=None,
        )
        outbox_mark_dead(topic=Topic.SCORING, keys=[str(pk) for pk in failed], error=reason)
    if failed:
        logger.error("%d applications failed: %s", len(failed), reason)
    return failed


# --- re-drive ------------------------------------------------------------------------------


def release_expired_leases() -> BatchResult:
    """Applications whose claim was not renewed for SCORING_LEASE_SECONDS lost their worker
    (a live scorer renews every quarter lease): hand them back to wait (or fail them when
    out of attempts), for any worker to claim."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.SCORING_LEASE_SECONDS)
    expired = list(
        Application.objects.filter(status=Status.SCORING, scoring_started_at__lt=cutoff).only(
            "id", "scoring_attempts", "scoring_claim"
        )[:1000]
    )
    result = BatchResult()
    for claim in {a.scoring_claim for a in expired}:
        held = [a for a in expired if a.scoring_claim == claim]
        partial = _release(held, claim, "the worker scoring it stopped (its lease expired)")
        result.released += partial.released
        result.failed += partial.failed
    return result


def scoring_waits(*, limit: int = 2000) -> bool:
    """Whether an application the scorer could claim now has waited past
    SCORING_REDRIVE_AFTER_SECONDS: its request is pending, not backing off, and the
    application is received (not held by a live claim, which a wake-up could not take)."""
    waiting = outbox_pending_older_than(
        topic=Topic.SCORING,
        age=dt.timedelta(seconds=settings.SCORING_REDRIVE_AFTER_SECONDS),
        limit=limit,
    )
    keys = [uuid.UUID(m.key) for m in waiting]
    return bool(keys) and Application.objects.filter(pk__in=keys, status=Status.RECEIVED).exists()
