from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.roles import Role
from applicants.models import Application, Channel, Status
from applicants.schema import get_schema
from applicants.services import application_submit
from demo import synthetic
from modelops.models import RescoreRun, RunStatus
from modelops.registry import (
    model_version_activate,
    model_version_approve,
    model_version_register,
    model_version_set_shadow,
)
from modelops.rescoring import _load_chunk_copy, _load_chunk_orm, rescore_run_inline, rescore_start
from outbox.models import OutboxMessage
from scoring.models import Decision, ModelVersion, ShadowScore
from scoring.services import score_waiting_applications

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_evidence_gates(settings):
    """These tests check approval's own rules (statuses, two people, what follows approval);
    the evidence gates approval also runs are tested in tests/governance."""
    settings.GOVERNANCE_GATES_ENABLED = False


def submit(user, n: int, *, channel=Channel.API, seed: int = 17) -> list[Application]:
    answers, _ = synthetic.generate(get_schema(), n, seed=seed)
    return [
        application_submit(
            answers=row, channel=channel, actor=user, idempotency_key=f"r{seed}-{i}"
        ).application
        for i, row in enumerate(answers)
    ]


@pytest.fixture
def scored(alice, active_model):
    apps = submit(alice, 30) + submit(alice, 10, channel=Channel.MAIL, seed=18)
    while score_waiting_applications(limit=50).scored:
        pass
    return apps


@pytest.fixture
def other_model(erin, make_user, scored, trained_other):
    """A different model (shallower, other seed; fitted once per session), approved and activated."""
    model = model_version_register(
        trained=trained_other,
        schema=get_schema(),
        training_source="tests",
        trained_by=make_user("tom", Role.ANALYST),
    )
    model_version_approve(model=model, actor=erin)
    return model_version_activate(model=model, actor=erin)


def test_the_sql_projection_reads_the_same_features_as_the_etl(scored, active_model):
    assert connection.vendor == "postgresql"
    run = rescore_start(dispatch=False)
    chunk = run.chunks.get()
    fast, slow = _load_chunk_copy(get_schema(), run, chunk), _load_chunk_orm(get_schema(), run, chunk)
    assert fast.ids == slow.ids and len(fast.ids) == 40
    assert fast.matrix.tobytes() == slow.matrix.tobytes()
    assert (fast.decision_ids == slow.decision_ids).all() and (fast.old_tiers == slow.old_tiers).all()
    assert (fast.statuses == slow.statuses).all()


def test_rescoring_with_the_same_model_writes_nothing(scored, active_model):
    before = Decision.objects.count()
    run = rescore_run_inline(rescore_start(dispatch=False, chunk_size=15))
    assert run.status == RunStatus.FINISHED and run.chunks.count() == 3
    assert (run.processed, run.changed) == (40, 0)
    assert Decision.objects.count() == before


def test_a_new_model_rewrites_only_changed_decisions_marks_the_run_and_fans_out(scored, other_model):
    before = {d.application_id: d for d in Decision.objects.filter(is_current=True)}
    # Half as if decided before groups were stored: those are formed from the answers.
    Decision.objects.filter(pk__in=[d.pk for d in before.values()][::2]).update(protected_groups={})
    outbox_before = OutboxMessage.objects.count()
    call_command("rescore", "--inline", "--chunk-size", "16")
    run = RescoreRun.objects.get()
    assert run.status == RunStatus.FINISHED and run.processed == 40 and run.model_version == other_model
    written = list(Decision.objects.filter(rescore_run=run))
    assert len(written) == run.changed > 0
    for decision in written:
        old = before[decision.application_id]
        assert decision.is_current and decision.model_version == other_model
        moved = max(
            abs(decision.prob_high - old.prob_high),
            abs(decision.prob_low - old.prob_low),
            abs(decision.prob_medium - old.prob_medium),
        )
        assert decision.tier != old.tier or moved >= 0.05
        assert decision.reasons and decision.explanation_method == "exact"
        # The groups of the decision replaced (a new model changes no one's group), or the
        # same formed from the answers where it had none.
        assert decision.protected_groups == old.protected_groups and "age_years" in old.protected_groups
    unchanged = set(before) - {d.application_id for d in written}
    assert all(before[pk].is_current for pk in unchanged if Decision.objects.get(pk=before[pk].pk).is_current)
    assert Decision.objects.filter(is_current=True).count() == 40
    # Every new decision owes its sinks a delivery, like the pipeline's (SINKS may be empty here).
    assert OutboxMessage.objects.count() - outbox_before == len(written) * len(
        __import__("django.conf").conf.settings.SINKS
    )
    routed = Application.objects.filter(status=Status.IN_REVIEW).count()
    assert routed >= run.routed_to_review


def test_review_items_follow_the_rescored_decisions_in_their_transaction(scored, other_model):
    """No periodic sync needed: an application the run routes to review gets its item, one
    already in review has its waiting item moved to the new decision, one left scored has none."""
    from auditing.models import ItemState, ReviewItem

    waiting_before = dict(
        ReviewItem.objects.filter(state=ItemState.WAITING).values_list("application_id", "decision_id")
    )
    run = rescore_run_inline(rescore_start(dispatch=False, chunk_size=16))
    assert run.changed > 0
    current = dict(Decision.objects.filter(is_current=True).values_list("application_id", "pk"))
    items = dict(ReviewItem.objects.values_list("application_id", "decision_id"))
    in_review = set(Application.objects.filter(status=Status.IN_REVIEW).values_list("pk", flat=True))
    assert in_review and set(items) == in_review  # every application in review has its item, no other
    rescored = set(Decision.objects.filter(rescore_run=run).values_list("application_id", flat=True))
    refreshed = [app for app in waiting_before if app in rescored]
    assert refreshed and len(in_review) > len(waiting_before)  # both kinds happened
    assert all(items[app] == current[app] for app in in_review)  # items name the current decision
    assert all(waiting_before[app] != items[app] for app in refreshed)


def test_filters_and_approximate_reasons(scored, other_model):
    run = rescore_run_inline(
        rescore_start(dispatch=False, filters={"channels": ["mail"]}, approximate_reasons=True)
    )
    assert run.total == 10
    assert set(Decision.objects.filter(rescore_run=run).values_list("explanation_method", flat=True)) <= {
        "approximate"
    }
    by_new = rescore_start(dispatch=False, filters={"scored_by_version": other_model.version})
    assert by_new.total == Decision.objects.filter(is_current=True, model_version=other_model).count()
    nothing = rescore_start(dispatch=False, filters={"scored_by_version": 999})
    assert nothing.total == 0 and nothing.status == RunStatus.FINISHED


def test_a_chunk_run_twice_writes_nothing_more(scored, other_model):
    run = rescore_start(dispatch=False)
    rescore_run_inline(run)
    count = Decision.objects.count()
    run.chunks.update(status=RunStatus.PENDING)  # as if a message were delivered again
    rescore_run_inline(run)
    assert Decision.objects.count() == count


def test_shadow_models_score_beside_the_active_one_without_deciding(
    alice, active_model, erin, make_user, trained_default
):
    shadow = model_version_register(
        trained=trained_default,
        schema=get_schema(),
        training_source="tests",
        trained_by=make_user("tom", Role.ANALYST),
    )
    model_version_set_shadow(model=shadow, actor=erin, enabled=True)
    submit(alice, 12)
    score_waiting_applications(limit=50)
    scores = ShadowScore.objects.filter(model_version=shadow)
    assert scores.count() == 12
    assert set(Decision.objects.values_list("model_version", flat=True)) == {active_model.pk}
    # the same model in shadow agrees with itself everywhere
    assert all(s.tier == s.active_tier for s in scores)
    assert ModelVersion.objects.get(pk=shadow.pk).shadow


def test_rescoring_with_an_unapproved_model_is_refused(scored, trained_default):
    from modelops.registry import LifecycleError

    candidate = model_version_register(trained=trained_default, schema=get_schema(), training_source="t")
    with pytest.raises(LifecycleError, match="not approved; approve it before rescoring"):
        rescore_start(model_version=candidate.version, dispatch=False)


def test_rescored_decisions_record_their_review_probability(scored, other_model, settings):
    from scoring.policy import review_probability

    rescore_run_inline(rescore_start(dispatch=False))
    written = list(Decision.objects.filter(rescore_run__isnull=False))
    assert written
    for decision in written:
        assert decision.review_probability == review_probability(decision.tier, other_model.review_policy)
    # Written by COPY on PostgreSQL: the column is in the copied row, not left empty.
    assert not Decision.objects.filter(rescore_run__isnull=False, review_probability__isnull=True).exists()


def test_rescoring_routes_like_the_pipeline_an_unsure_spoken_answer_goes_to_review(
    scored, other_model, settings
):
    """The live pipeline's routing (scoring.policy.route_with_provenance), not only the
    policy's draw: a decision whose top reason rests on an answer heard with little confidence
    goes to review even when its tier would not, and says which answer."""
    schema = get_schema()
    other_model.review_policy = {"review_tiers": ["medium", "high"], "low_sample_rate": 0.0}
    other_model.save(update_fields=["review_policy"])
    heard = {
        "channel": "voice",
        "method": "speech",
        "by": "conversation:x",
        "at": "2026-01-01",
        "confidence": 0.3,
    }
    Application.objects.update(provenance={name: [heard] for name in schema.by_name})
    settings.REVIEW_SPEECH_CONFIDENCE_BELOW = 0.7
    run = rescore_run_inline(rescore_start(dispatch=False))
    written = list(Decision.objects.filter(rescore_run=run))
    assert written
    for decision in written:
        assert decision.routed_to_review, decision.routing_reason
        assert "top reason rests on unsure speech: " in decision.routing_reason
    low = [d for d in written if d.tier == "low"]
    assert all(d.review_probability == 1.0 for d in low)  # certain to be reviewed: sent by the rule
    assert all(d.routing_reason.startswith("top reason rests on unsure speech") for d in low)
    in_review = set(Application.objects.filter(status=Status.IN_REVIEW).values_list("pk", flat=True))
    assert {d.application_id for d in written} <= in_review


def test_without_doubtful_answers_rescoring_routes_by_the_policy_alone(scored, other_model):
    from scoring.policy import review_route

    run = rescore_run_inline(rescore_start(dispatch=False))
    for decision in Decision.objects.filter(rescore_run=run):
        assert (decision.routed_to_review, decision.routing_reason) == review_route(
            decision.application_id, decision.tier, other_model.review_policy
        )


def test_a_decision_that_moved_on_while_the_chunk_scored_is_left_alone(scored, other_model):
    """Between reading a chunk and writing it, an auditor labels one application and the
    pipeline replaces another's decision: the chunk writes neither, and all the others."""
    from modelops.rescoring import apply_scores, load_chunk
    from scoring.probabilities import tier_probabilities
    from scoring.scorers import get_scorer

    run = rescore_start(dispatch=False)
    chunk = run.chunks.get()
    rows = load_chunk(get_schema(), run, chunk)
    scorer = get_scorer()
    probs = tier_probabilities(other_model, scorer.predict_proba(other_model, rows.matrix))
    labelled, replaced = rows.ids[0], rows.ids[1]
    Application.objects.filter(pk=labelled).update(status=Status.CONFIRMED)
    old = Decision.objects.get(application_id=replaced, is_current=True)
    Decision.objects.filter(pk=old.pk).update(is_current=False)
    newer = Decision.objects.create(
        application_id=replaced,
        model_version=old.model_version,
        tier=old.tier,
        prob_low=old.prob_low,
        prob_medium=old.prob_medium,
        prob_high=old.prob_high,
        reasons=[],
        feature_snapshot={},
    )
    # Every row reads as changed: the old probabilities are moved far from the new ones.
    rows.old_probs[:] = 1 - probs
    rows.old_tiers[:] = -1
    changed, _ = apply_scores(chunk, run, rows, probs, "test")
    assert changed == len(rows.ids) - 2
    rescored = set(Decision.objects.filter(rescore_run=run).values_list("application_id", flat=True))
    assert rescored == set(rows.ids) - {labelled, replaced}
    assert Decision.objects.filter(application_id=labelled, is_current=True).count() == 1
    assert set(Decision.objects.filter(application_id=replaced, is_current=True)) == {newer}
    assert Decision.objects.filter(is_current=True).count() == len(rows.ids)
