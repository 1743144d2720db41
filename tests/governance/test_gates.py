"""Evidence-gated promotion: the server (modelops' approval, not only the page) refuses a
candidate without a pack or failing a gate, accepts a failed fairness gate only with an
approver's written justification (recorded on the pack and in the trail), and accepts a pack
that passes every gate. The approver ≠ trainer rule stays."""

from __future__ import annotations

import numpy as np
import pytest

from accounts.roles import Role
from applicants.schema import get_schema
from demo import synthetic
from governance.evidence import evidence_pack_assemble, fairness_table
from governance.models import EvidencePack
from governance.replay import replay_run_inline, replay_start, replay_window
from modelops.registry import LifecycleError, model_version_approve, model_version_set_shadow
from scoring.features import build_matrix
from scoring.models import ModelStatus
from tests.governance.conftest import OLD, YOUNG, register, store_baseline, tiers_of
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


def _stored(model, make_decisions, matrix, *, skewed: bool) -> None:
    """40 decisions whose candidate tiers are known. Skewed: the young get every non-low tier
    and the old every low one (young favourable rate 0, old 1: ratio 0). Balanced: each tier
    split evenly between the two bands (equal rates: ratio 1)."""
    tiers = tiers_of(model, matrix)
    lows, others = np.flatnonzero(tiers == 0)[:20], np.flatnonzero(tiers != 0)[:20]
    assert len(lows) == 20 and len(others) == 20, "the synthetic rows should give both kinds"
    rows = []
    for n, i in enumerate(lows):
        rows.append({"row": matrix[i], "tier": "low", "dob": OLD if skewed or n % 2 else YOUNG})
    for n, i in enumerate(others):
        rows.append({"row": matrix[i], "tier": "medium", "dob": YOUNG if skewed or n % 2 else OLD})
    make_decisions(model, rows)


@pytest.fixture
def people(make_user):
    return {"tom": make_user("tom", Role.ANALYST), "erin": make_user("erin", Role.APPROVER)}


@pytest.fixture
def candidate(active_model, trained_default, people):
    return register(trained_default, trained_by=people["tom"])


def _pack(model, matrix, actor):
    store_baseline(model, matrix)
    since, until = replay_window()
    replay_run_inline(replay_start(model=model, since=since, until=until, dispatch=False, started_by=actor))
    return evidence_pack_assemble(model=model, actor=actor)


@pytest.fixture
def rows():
    answers, _ = synthetic.generate(get_schema(), 400, seed=29)
    return build_matrix(get_schema(), answers)


def test_without_an_evidence_pack_the_server_refuses_approval(candidate, people):
    with pytest.raises(LifecycleError, match="no evidence pack"):
        model_version_approve(model=candidate, actor=people["erin"])
    candidate.refresh_from_db()
    assert candidate.status == ModelStatus.CANDIDATE


def test_a_failed_fairness_gate_refuses_approval_until_an_approver_justifies_it(
    candidate, people, make_decisions, rows
):
    _stored(candidate, make_decisions, rows, skewed=True)
    pack = _pack(candidate, rows, people["tom"])
    gates = {g["name"]: g for g in pack.gates}
    assert [gates[n]["passed"] for n in ("metrics", "replay", "baseline", "shadow")] == [True] * 4
    assert not gates["fairness"]["passed"]
    groups = {g["group"]: g for g in fairness_table(pack.replay)[0]["groups"]}
    assert groups["65+"]["rate"] == 1.0 and groups["65+"]["reference"]
    assert groups["25-34"]["rate"] == 0.0 and groups["25-34"]["ratio"] == 0.0 and groups["25-34"]["adverse"]

    with pytest.raises(LifecycleError, match=r"fairness .* failed"):
        model_version_approve(model=candidate, actor=people["erin"])
    with pytest.raises(LifecycleError, match="written justification"):
        model_version_approve(
            model=candidate, actor=people["erin"], evidence={"fairness_justification": "ok"}
        )
    candidate.refresh_from_db()
    assert candidate.status == ModelStatus.CANDIDATE
    assert not TrailEntry.objects.filter(action="model.fairness_justification").exists()

    why = "Constructed test data: the age skew is the test's own layout, not the model's doing."
    model_version_approve(model=candidate, actor=people["erin"], evidence={"fairness_justification": why})
    candidate.refresh_from_db()
    assert candidate.status == ModelStatus.APPROVED and candidate.approved_by == people["erin"]
    pack.refresh_from_db()
    assert pack.fairness_justification == why and pack.justified_by == people["erin"]
    entry = TrailEntry.objects.get(action="model.fairness_justification", object_id=str(candidate.version))
    assert entry.note == why and entry.actor_id == people["erin"].pk
    assert entry.after["failing"] == ["age_years 25-34 (0.00)"]


def test_a_pack_passing_every_gate_is_accepted_and_the_trainer_still_may_not_approve(
    candidate, people, make_user, make_decisions, rows
):
    _stored(candidate, make_decisions, rows, skewed=False)
    pack = _pack(candidate, rows, people["tom"])
    assert all(g["passed"] for g in pack.gates), pack.gates
    groups = fairness_table(pack.replay)[0]["groups"]
    assert all(g["ratio"] == 1.0 for g in groups)
    # The approver who trained it is refused, whatever the evidence says; a second one may.
    candidate.trained_by = people["erin"]
    candidate.save(update_fields=["trained_by"])
    with pytest.raises(LifecycleError, match="may not also approve"):
        model_version_approve(model=candidate, actor=people["erin"])
    model_version_approve(model=candidate, actor=make_user("ann", Role.APPROVER), note="every gate passes")
    candidate.refresh_from_db()
    assert candidate.status == ModelStatus.APPROVED
    assert not TrailEntry.objects.filter(action="model.fairness_justification").exists()


def test_the_gates_are_checked_again_at_approval(candidate, people, make_decisions, rows, settings):
    """A pack that passed can go stale: shadow scoring started since with too few scores, or
    the gates' own thresholds changed; approval re-checks and refuses."""
    _stored(candidate, make_decisions, rows, skewed=False)
    _pack(candidate, rows, people["tom"])
    model_version_set_shadow(model=candidate, actor=people["erin"], enabled=True)
    with pytest.raises(LifecycleError, match="shadow agreement failed"):
        model_version_approve(model=candidate, actor=people["erin"])
    model_version_set_shadow(model=candidate, actor=people["erin"], enabled=False)
    settings.GOVERNANCE_METRIC_MAX_DROP = -1.0  # the candidate would have to beat the active by 1
    with pytest.raises(LifecycleError, match="metrics on the same evaluation rows"):
        model_version_approve(model=candidate, actor=people["erin"])
    settings.GOVERNANCE_METRIC_MAX_DROP = 0.05
    model_version_approve(model=candidate, actor=people["erin"])
    assert EvidencePack.objects.filter(model_version=candidate).count() == 1


def test_gates_can_be_switched_off(candidate, people, settings):
    settings.GOVERNANCE_GATES_ENABLED = False
    assert model_version_approve(model=candidate, actor=people["erin"]).status == ModelStatus.APPROVED
