"""Reads of applications together with their current decision, and the model that decides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, Q, QuerySet

from applicants.models import Application
from applicants.schema import ApplicationSchema
from scoring.encoding import fits_schema
from scoring.models import Decision, ModelStatus, ModelVersion

if TYPE_CHECKING:
    from accounts.types import AnyUser


def _with_current_decision(queryset: QuerySet[Application]) -> QuerySet[Application]:
    return queryset.select_related("applicant").prefetch_related(
        Prefetch(
            "decisions",
            queryset=Decision.objects.filter(is_current=True).select_related("model_version"),
            to_attr="current_decisions",
        )
    )


def current_decision(application: Application) -> Decision | None:
    prefetched = getattr(application, "current_decisions", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return application.decisions.filter(is_current=True).select_related("model_version").first()


def applications_owned_by(user: AnyUser) -> QuerySet[Application]:
    """The applications an account submitted or owns (see accounts.access), never those
    that merely share an identity number with them."""
    return _with_current_decision(
        Application.objects.filter(Q(submitted_by=user) | Q(owner=user)).order_by("-created_at")
    )


def application_get(application_id: Any) -> Application | None:
    return _with_current_decision(Application.objects.filter(pk=application_id)).first()


class NoUsableModel(Exception):
    """No active model, or the active one was trained for a different feature spec."""


def active_model(schema: ApplicationSchema) -> ModelVersion:
    """The model that decides for `schema`; NoUsableModel when none can."""
    model = ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
    if model is None:
        raise NoUsableModel("no model is active; train one (python manage.py train)")
    if not fits_schema(model, schema):
        raise NoUsableModel(
            f"the active model v{model.version} was trained for other features "
            f"(schema {model.schema_name}); train and activate a model for {schema.name}"
        )
    return model


def model_version_active() -> ModelVersion | None:
    return ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first()
