"""`manage.py model approve|activate|retire|rollback|list` (issue 14): the registry's steps from a
shell, with the pages' two-person rule, gates and audit trail."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from accounts.roles import Role
from applicants.schema import get_schema
from modelops.registry import model_version_register
from scoring.models import ModelStatus, ModelVersion
from trail.models import TrailEntry

pytestmark = pytest.mark.django_db


def model(*args: str) -> str:
    out = StringIO()
    call_command("model", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def trainer(make_user: Any) -> Any:
    """An approver who trained the candidate: may approve others' models, never this one."""
    return make_user("tess", Role.APPROVER)


@pytest.fixture
def candidate(trained_default: Any, trainer: Any) -> ModelVersion:
    return model_version_register(
        trained=trained_default, schema=get_schema(), training_source="tests", trained_by=trainer
    )


def trail(version: int) -> list[tuple[str, str, str]]:
    entries = TrailEntry.objects.filter(object_type="model_version", object_id=str(version)).order_by("id")
    return [(e.action, e.actor.get_username() if e.actor else "", e.note) for e in entries]


def test_the_command_refuses_the_trainer_and_anyone_without_the_approver_role(
    candidate: ModelVersion, dave: Any, settings: Any
) -> None:
    settings.GOVERNANCE_GATES_ENABLED = False
    v = str(candidate.version)
    with pytest.raises(
        CommandError, match=rf"tess trained v{v} and may not also approve it: a second approver must"
    ):
        model("approve", v, "--as", "tess")
    with pytest.raises(CommandError, match=r"dave may not approve models \(approver role needed\)"):
        model("approve", v, "--as", "dave")
    with pytest.raises(CommandError, match=r"dave may not activate models"):
        model("activate", v, "--as", "dave")
    candidate.refresh_from_db()
    assert candidate.status == ModelStatus.CANDIDATE
    assert [a for a, _, _ in trail(candidate.version)] == ["model.register"]


def test_approve_activate_rollback_retire_as_the_pages_do_with_the_same_audit_trail(
    candidate: ModelVersion, active_model: ModelVersion, erin: Any, trained_default: Any, settings: Any
) -> None:
    settings.GOVERNANCE_GATES_ENABLED = False
    v = str(candidate.version)
    with pytest.raises(CommandError, match=rf"v{v} is not approved; approve it first"):
        model("activate", v, "--as", "erin")

    assert f"v{v} is approved (approved by erin)" in model(
        "approve", v, "--as", "erin", "--note", "metrics fine"
    )
    out = model("activate", v, "--as", "erin")
    assert f"v{v} is active" in out
    candidate.refresh_from_db()
    active_model.refresh_from_db()
    assert candidate.status == ModelStatus.ACTIVE and candidate.approved_by.get_username() == "erin"
    assert active_model.status == ModelStatus.RETIRED
    assert trail(candidate.version) == [
        ("model.register", "tess", "trained on tests"),
        ("model.approve", "erin", "metrics fine"),
        ("model.activate", "erin", "activated (manage.py model)"),
    ]
    history = [
        (c.from_status, c.to_status, c.actor.get_username()) for c in candidate.status_history.all()[1:]
    ]
    assert history == [("candidate", "approved", "erin"), ("approved", "active", "erin")]

    assert f"v{active_model.version} is active (rolled back by erin)" in model("rollback", "--as", "erin")
    assert trail(active_model.version)[-1] == ("model.rollback", "erin", "rolled back (manage.py model)")

    other = model_version_register(trained=trained_default, schema=get_schema(), training_source="tests")
    model("retire", str(other.version), "--as", "erin", "--note", "superseded")
    other.refresh_from_db()
    assert other.status == ModelStatus.RETIRED
    assert trail(other.version)[-1] == ("model.retire", "erin", "superseded")
    with pytest.raises(CommandError, match=rf"v{active_model.version} is active; activate another version"):
        model("retire", str(active_model.version), "--as", "erin")

    listing = model("list")
    assert f"v{candidate.version:<4} retired" in listing and "trained by tess, approved by erin" in listing


def test_approval_from_the_command_runs_the_approval_gates(
    candidate: ModelVersion, erin: Any, settings: Any
) -> None:
    settings.GOVERNANCE_GATES_ENABLED = True
    with pytest.raises(CommandError, match=r"cannot be approved: no evidence pack"):
        model("approve", str(candidate.version), "--as", "erin")
    candidate.refresh_from_db()
    assert candidate.status == ModelStatus.CANDIDATE


def test_clear_errors_for_who_and_which(candidate: ModelVersion, erin: Any, settings: Any) -> None:
    with pytest.raises(CommandError, match="there is no user named 'nobody'"):
        model("approve", str(candidate.version), "--as", "nobody")
    with pytest.raises(CommandError, match="there is no model v999"):
        model("approve", "999", "--as", "erin")
    erin.is_active = False
    erin.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="erin is deactivated"):
        model("approve", str(candidate.version), "--as", "erin")
    with pytest.raises(CommandError, match="no earlier active version to roll back to"):
        erin.is_active = True
        erin.save(update_fields=["is_active"])
        model("rollback", "--as", "erin")
    with pytest.raises(CommandError, match="the following arguments are required: --as"):
        model("approve", str(candidate.version))
