"""Reads of applications together with their current decision, and the model that decides."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection
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
    return _usable(ModelVersion.objects.filter(status=ModelStatus.ACTIVE).first(), schema)


def scoring_models(schema: ApplicationSchema) -> tuple[ModelVersion, list[ModelVersion]]:
    """The active model (as `active_model`) and the shadows that score beside it (candidates
    and approved versions marked shadow, for the same features). The scorer asks before
    every batch, so an activation, a retirement or an edited policy counts from the next."""
    rows = _scoring_model_rows()
    model = _usable(next((m for m in rows if m.status == ModelStatus.ACTIVE), None), schema)
    shadows = [
        m for m in rows if m.status != ModelStatus.ACTIVE and m.feature_spec_hash == model.feature_spec_hash
    ]
    return model, shadows


_SCORING_STATUSES = (ModelStatus.CANDIDATE, ModelStatus.APPROVED)
# Every write of a row makes a new version of it: another xmin (the writing transaction), and
# another ctid (where it lies; a second write in the same transaction keeps xmin, not ctid).
_ROW_VERSIONS_SQL = (
    "SELECT id, xmin::text, ctid::text FROM {table} WHERE status = %s OR (shadow AND status IN (%s, %s))"
)
_model_rows: dict[str, tuple[frozenset[tuple[int, str, str]], list[ModelVersion]]] = {}


def _scoring_model_rows() -> list[ModelVersion]:
    """The versions the scorer needs. On PostgreSQL the rows read last are used again while
    their row versions have not changed: one cheap query per batch instead of
    building and decoding each row, which was a seventh of a one-application batch's CPU."""
    if connection.vendor != "postgresql":
        return _read_scoring_models()
    table = connection.ops.quote_name(ModelVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_ROW_VERSIONS_SQL.format(table=table), [ModelStatus.ACTIVE, *_SCORING_STATUSES])
        versions = frozenset(cursor.fetchall())
    database = f"{connection.alias}:{connection.settings_dict['NAME']}"
    known = _model_rows.get(database)
    if known is None or known[0] != versions:
        # Read after the versions: a write in between makes them differ next time, never the rows stale.
        known = _model_rows[database] = (versions, _read_scoring_models())
    return known[1]


def _read_scoring_models() -> list[ModelVersion]:
    scored_beside = Q(shadow=True, status__in=_SCORING_STATUSES)
    return list(ModelVersion.objects.filter(Q(status=ModelStatus.ACTIVE) | scored_beside))


def _usable(model: ModelVersion | None, schema: ApplicationSchema) -> ModelVersion:
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
