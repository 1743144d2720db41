from __future__ import annotations

import pytest

from accounts.roles import Role
from applicants.schema import get_schema
from modelops.registry import (
    LifecycleError,
    model_version_activate,
    model_version_approve,
    model_version_register,
    model_version_retire,
    model_version_rollback,
    model_version_set_shadow,
)
from scoring.models import ModelStatus, ModelVersion
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _without_evidence_gates(settings):
    """These tests check approval's own rules (statuses, two people, what follows approval);
    the evidence gates approval also runs are tested in tests/governance."""
    settings.GOVERNANCE_GATES_ENABLED = False


@pytest.fixture
def candidate(trained_default, make_user):
    trainer = make_user("tom", Role.ANALYST)
    return model_version_register(
        trained=trained_default, schema=get_schema(), training_source="tests", trained_by=trainer
    )


def actions(model: ModelVersion) -> list[str]:
    return list(
        TrailEntry.objects.filter(object_type="model_version", object_id=str(model.version))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_candidate_goes_through_approval_to_active_and_every_step_is_audited(candidate, erin, active_model):
    model_version_approve(model=candidate, actor=erin, note="metrics fine")
    model_version_activate(model=candidate, actor=erin)
    candidate.refresh_from_db()
    active_model.refresh_from_db()
    assert candidate.status == ModelStatus.ACTIVE and candidate.approved_by == erin
    assert active_model.status == ModelStatus.RETIRED and active_model.retired_at
    assert actions(candidate) == ["model.register", "model.approve", "model.activate"]
    assert actions(active_model)[-1] == "model.retire"
    history = [(c.from_status, c.to_status) for c in candidate.status_history.all()]
    assert history == [("", "candidate"), ("candidate", "approved"), ("approved", "active")]
    entry = TrailEntry.objects.filter(action="model.approve").last()
    assert entry.actor == erin and entry.note == "metrics fine"


def test_only_an_approver_approves_and_never_their_own_model(candidate, make_user, dave, settings):
    with pytest.raises(LifecycleError, match="may not approve models"):
        model_version_approve(model=candidate, actor=dave)
    trainer_and_approver = make_user("trudy", Role.APPROVER)
    candidate.trained_by = trainer_and_approver
    candidate.save()
    with pytest.raises(LifecycleError, match=r"trained v\d+ and may not also approve it"):
        model_version_approve(model=candidate, actor=trainer_and_approver)
    settings.LIFECYCLE_ALLOW_SELF_APPROVAL = True
    assert model_version_approve(model=candidate, actor=trainer_and_approver).status == "approved"


def test_activation_needs_approval_and_the_right_role(candidate, erin, dave):
    with pytest.raises(LifecycleError, match="not approved; approve it first"):
        model_version_activate(model=candidate, actor=erin)
    model_version_approve(model=candidate, actor=erin)
    with pytest.raises(LifecycleError, match="may not activate"):
        model_version_activate(model=candidate, actor=dave)


def test_a_model_for_other_features_cannot_be_activated(candidate, erin):
    model_version_approve(model=candidate, actor=erin)
    ModelVersion.objects.filter(pk=candidate.pk).update(feature_spec_hash="0" * 64)
    with pytest.raises(LifecycleError, match="trained for other features"):
        model_version_activate(model=candidate, actor=erin)


def test_rollback_restores_the_previous_active_version_in_one_action(candidate, erin, active_model):
    model_version_approve(model=candidate, actor=erin)
    model_version_activate(model=candidate, actor=erin)
    restored = model_version_rollback(actor=erin)
    assert restored.pk == active_model.pk and restored.status == ModelStatus.ACTIVE
    candidate.refresh_from_db()
    assert candidate.status == ModelStatus.RETIRED
    assert actions(active_model)[-1] == "model.rollback"


def test_rollback_without_an_earlier_version_says_so(erin, active_model):
    with pytest.raises(LifecycleError, match="no earlier active version"):
        model_version_rollback(actor=erin)


def test_shadow_and_retire(candidate, erin, active_model):
    model_version_set_shadow(model=candidate, actor=erin, enabled=True)
    assert ModelVersion.objects.get(pk=candidate.pk).shadow
    with pytest.raises(LifecycleError, match="only a candidate or an approved version"):
        model_version_set_shadow(model=active_model, actor=erin, enabled=True)
    model_version_retire(model=candidate, actor=erin)
    candidate.refresh_from_db()
    assert candidate.status == ModelStatus.RETIRED and not candidate.shadow
    assert actions(candidate)[-2:] == ["model.shadow", "model.retire"]
