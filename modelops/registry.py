"""The model registry: register trained models and move them through their life.
(Which model decides is scoring.selectors.active_model.)"""

from __future__ import annotations

import platform
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sklearn
import xgboost as xgb
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from accounts.types import Actor, User
from applicants.schema import ApplicationSchema, get_schema
from modelops.models import ModelStatusChange
from modelops.training import TrainedModel
from scoring.artifact_store import save_artifacts
from scoring.encoding import encoding_of, feature_spec_hash_for, fits_schema
from scoring.models import TIERS, ModelStatus, ModelVersion, Target
from scoring.selectors import NoUsableModel
from trail.services import actor_name, trail_record


class LifecycleError(Exception):
    """A registry step that is not allowed: wrong status, wrong person, wrong schema."""


def library_versions() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "xgboost": xgb.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
    }


def code_version() -> str:
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def default_review_policy() -> dict[str, Any]:
    return {"review_tiers": ["medium", "high"], "low_sample_rate": settings.REVIEW_LOW_SAMPLE_RATE}


def model_version_register(
    *,
    trained: TrainedModel,
    schema: ApplicationSchema,
    training_source: str,
    trained_by: User | None = None,
    review_policy: dict[str, Any] | None = None,
) -> ModelVersion:
    """Store the artifact and create a candidate version holding its lineage and metrics."""
    for _ in range(5):
        version = (ModelVersion.objects.aggregate(top=Max("version"))["top"] or 0) + 1
        fields = {
            "schema_name": schema.name,
            "schema_hash": schema.source_hash,
            "feature_names": list(schema.feature_names),
            "feature_spec_hash": feature_spec_hash_for(trained.params, schema),
            "target": trained.target,
            "class_labels": ["not_adverse", "adverse"] if trained.target == Target.BINARY else list(TIERS),
            "params": trained.params,
            "thresholds": trained.thresholds,
            "review_policy": review_policy or default_review_policy(),
            "metrics": trained.metrics,
            "training_data_fingerprint": trained.fingerprint,
            "training_rows": trained.rows,
            "training_source": training_source,
            "library_versions": library_versions(),
            "code_version": code_version(),
        }
        artifact_uri = save_artifacts(
            base_url=settings.MODEL_STORAGE_URL,
            version=version,
            booster=trained.booster,
            # How the model reads its choices (scoring/encoding.py), for whoever loads the
            # artifact without the registry: v1 positions, v2 native categoricals.
            metadata={"version": version, "feature_encoding": encoding_of(trained.params), **fields},
        )
        try:
            with transaction.atomic():
                model = ModelVersion.objects.create(
                    version=version,
                    artifact_uri=artifact_uri,
                    trained_by=trained_by if getattr(trained_by, "pk", None) else None,
                    **fields,
                )
                ModelStatusChange.objects.create(
                    model_version=model,
                    to_status=ModelStatus.CANDIDATE,
                    actor=model.trained_by,
                    note=f"trained on {training_source}",
                )
                _trail(model, "model.register", model.trained_by, "", f"trained on {training_source}")
            return model
        except IntegrityError:
            continue  # another trainer took this number at the same moment; take the next
    raise RuntimeError("could not allocate a model version number")


def _trail(
    model: ModelVersion, action: str, actor: User | None, before_status: str, note: str, **extra: Any
) -> None:
    trail_record(
        action=action,
        object_type="model_version",
        object_id=model.version,
        actor=actor,
        before={"status": before_status} if before_status else {},
        after={"status": model.status, "version": model.version, **extra},
        note=note,
    )


def _move(
    model: ModelVersion, to_status: str, actor: User | None, note: str, *, action: str = "", **changes: Any
) -> None:
    """One status step: the history row, the audit trail entry, the change itself."""
    before = model.status
    ModelStatusChange.objects.create(
        model_version=model,
        from_status=model.status,
        to_status=to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note,
    )
    model.status = to_status
    for name, value in changes.items():
        setattr(model, name, value)
    model.save(update_fields=["status", *changes])
    _trail(model, action or f"model.{to_status}", actor, before, note)


def model_version_bootstrap(*, model: ModelVersion, note: str) -> ModelVersion:
    """Activate a first model where none is active (demo start-up, fresh installs).

    Refuses when a model is already active: replacing one goes through approval.
    """
    with transaction.atomic():
        if ModelVersion.objects.select_for_update().filter(status=ModelStatus.ACTIVE).exists():
            raise NoUsableModel("a model is already active; replace it through approval")
        model = ModelVersion.objects.select_for_update().get(pk=model.pk)
        _move(
            model,
            ModelStatus.APPROVED,
            None,
            f"bootstrap: {note}",
            action="model.approve",
            approved_at=timezone.now(),
        )
        _move(
            model,
            ModelStatus.ACTIVE,
            None,
            f"bootstrap: {note}",
            action="model.activate",
            activated_at=timezone.now(),
        )
    return model


# --- approval, activation, rollback ---------------------------------------------------------


def _locked(model: ModelVersion | int) -> ModelVersion:
    query = ModelVersion.objects.select_for_update()
    return query.get(pk=model.pk) if isinstance(model, ModelVersion) else query.get(version=model)


def _name(actor: Actor) -> str:
    return actor_name(actor, nobody="someone")


# --- approval gates --------------------------------------------------------------------------
# Checks an app above modelops adds to approval (governance's evidence pack) without modelops
# importing it: the app registers a gate from its AppConfig.ready(). A gate gets the locked
# candidate, the approver and what the approver sent with the approval (e.g. a written
# justification), and returns the reasons it refuses (empty: it passes). Approval runs every
# gate inside its transaction; any reason refuses it.
ApprovalGate = Callable[[ModelVersion, User, Mapping[str, Any]], list[str]]
_approval_gates: dict[str, ApprovalGate] = {}


def register_approval_gate(name: str, gate: ApprovalGate) -> None:
    """Called from the owning app's `AppConfig.ready()`; a second call under a name replaces it."""
    _approval_gates[name] = gate


def approval_gates() -> dict[str, ApprovalGate]:
    return dict(_approval_gates)


def model_version_approve(
    *, model: ModelVersion, actor: User, note: str = "", evidence: Mapping[str, Any] | None = None
) -> ModelVersion:
    """candidate → approved, by an approver who did not train it (two people), once every
    registered approval gate passes (`evidence`: what the approver sent along for them)."""
    from accounts.access import can_approve_model, has_role
    from accounts.roles import Role

    with transaction.atomic():
        model = _locked(model)
        if model.status != ModelStatus.CANDIDATE:
            raise LifecycleError(f"v{model.version} is {model.status}; only a candidate can be approved")
        if not can_approve_model(actor, model):
            if has_role(actor, Role.APPROVER):
                raise LifecycleError(
                    f"{_name(actor)} trained v{model.version} and may not also approve "
                    "it: a second approver must"
                )
            raise LifecycleError(f"{_name(actor)} may not approve models (approver role needed)")
        refusals = [
            reason for gate in _approval_gates.values() for reason in gate(model, actor, evidence or {})
        ]
        if refusals:
            raise LifecycleError(f"v{model.version} cannot be approved: " + "; ".join(refusals))
        _move(
            model,
            ModelStatus.APPROVED,
            actor,
            note or "approved",
            action="model.approve",
            approved_by=actor,
            approved_at=timezone.now(),
        )
    return model


def model_version_activate(
    *, model: ModelVersion, actor: User, note: str = "", action: str = "model.activate"
) -> ModelVersion:
    """approved (or a retired model that was approved before) → active; the active one retires."""
    from accounts.access import can_activate_model

    if not can_activate_model(actor):
        raise LifecycleError(f"{_name(actor)} may not activate models (approver or admin role needed)")
    schema = get_schema()
    with transaction.atomic():
        current = ModelVersion.objects.select_for_update().filter(status=ModelStatus.ACTIVE).first()
        model = _locked(model)
        if model.status == ModelStatus.ACTIVE:
            raise LifecycleError(f"v{model.version} is already active")
        if model.status == ModelStatus.CANDIDATE or model.approved_at is None:
            raise LifecycleError(f"v{model.version} is not approved; approve it first")
        if not fits_schema(model, schema):
            raise LifecycleError(
                f"v{model.version} was trained for other features (schema "
                f"{model.schema_name}); it cannot score {schema.name} applications"
            )
        if current is not None:
            _move(
                current,
                ModelStatus.RETIRED,
                actor,
                f"replaced by v{model.version}",
                action="model.retire",
                retired_at=timezone.now(),
                shadow=False,
            )
        _move(
            model,
            ModelStatus.ACTIVE,
            actor,
            note or "activated",
            action=action,
            activated_at=timezone.now(),
            shadow=False,
        )
    return model


def rollback_target() -> ModelVersion | None:
    """The version that was active before the current one (most recently activated retiree)."""
    return (
        ModelVersion.objects.filter(status=ModelStatus.RETIRED, activated_at__isnull=False)
        .order_by("-activated_at")
        .first()
    )


def model_version_rollback(*, actor: User, note: str = "") -> ModelVersion:
    """One action: the previously active version becomes active again."""
    previous = rollback_target()
    if previous is None:
        raise LifecycleError("no earlier active version to roll back to")
    return model_version_activate(
        model=previous,
        actor=actor,
        action="model.rollback",
        note=note or "rolled back to the previous active version",
    )


def model_version_retire(*, model: ModelVersion, actor: User, note: str = "") -> ModelVersion:
    """Take a candidate or approved version out of consideration (the active one is replaced,
    not retired, so that something always scores)."""
    from accounts.access import can_activate_model

    if not can_activate_model(actor):
        raise LifecycleError(f"{_name(actor)} may not retire models")
    with transaction.atomic():
        model = _locked(model)
        if model.status not in (ModelStatus.CANDIDATE, ModelStatus.APPROVED):
            raise LifecycleError(
                f"v{model.version} is {model.status}; activate another version to replace an active one"
            )
        _move(
            model,
            ModelStatus.RETIRED,
            actor,
            note or "retired",
            action="model.retire",
            retired_at=timezone.now(),
            shadow=False,
        )
    return model


def model_version_set_shadow(*, model: ModelVersion, actor: User, enabled: bool) -> ModelVersion:
    """Let a candidate or approved version score new applications beside the active one."""
    from accounts.access import can_activate_model

    if not can_activate_model(actor):
        raise LifecycleError(f"{_name(actor)} may not change shadow scoring")
    with transaction.atomic():
        model = _locked(model)
        if enabled and model.status not in (ModelStatus.CANDIDATE, ModelStatus.APPROVED):
            raise LifecycleError(
                f"v{model.version} is {model.status}; only a candidate or an approved "
                "version can run in shadow"
            )
        if enabled and not fits_schema(model, get_schema()):
            raise LifecycleError(f"v{model.version} was trained for other features")
        if model.shadow == enabled:
            return model
        model.shadow = enabled
        model.save(update_fields=["shadow"])
        _trail(
            model,
            "model.shadow",
            actor,
            model.status,
            "shadow scoring on" if enabled else "shadow scoring off",
            shadow=enabled,
        )
    return model
