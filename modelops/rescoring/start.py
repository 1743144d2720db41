"""Starting a run: its chunks planned as id ranges of the filtered open applications, then
handed to Celery workers once committed (or run here, in this process)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.types import User
from applicants.schema import get_schema
from modelops.models import RescoreChunk, RescoreMode, RescoreRun, RunStatus
from modelops.registry import LifecycleError
from modelops.rescoring.chunk import rescore_chunk_execute
from modelops.rescoring.load import filtered
from outbox.jobs import jobs_publish_on_commit
from scoring.encoding import fits_schema
from scoring.models import ModelVersion
from scoring.selectors import NoUsableModel, active_model
from trail.services import trail_record


def rescore_candidates_count(filters: dict[str, Any] | None = None) -> int:
    """How many open applications a run with these filters would score again (what the
    confirmation step shows before a run changes many decisions)."""
    filters = {k: v for k, v in (filters or {}).items() if v}
    return filtered(filters).values("pk").distinct().count()


def rescore_start(
    *,
    model_version: int | None = None,
    filters: dict[str, Any] | None = None,
    started_by: User | None = None,
    chunk_size: int | None = None,
    approximate_reasons: bool = False,
    dispatch: bool = True,
    mode: str = "celery",
) -> RescoreRun:
    """Plan a run: its chunks (id ranges of the filtered open applications), then hand them
    to Celery workers as a group once committed (dispatch=False: the caller runs them)."""
    schema = get_schema()
    if model_version is None:
        model = active_model(schema)
    else:
        found = ModelVersion.objects.filter(version=model_version).first()
        if found is None:
            raise LifecycleError(f"there is no model v{model_version}")
        model = found
        if not fits_schema(model, schema):
            raise NoUsableModel(f"v{model.version} was trained for other features than {schema.name}")
        if model.approved_at is None:
            # Rescoring writes decisions: only a model that passed approval may make them.
            raise LifecycleError(f"v{model.version} is not approved; approve it before rescoring with it")
    filters = {k: v for k, v in (filters or {}).items() if v}
    size = chunk_size or settings.RESCORE_CHUNK_SIZE
    ids = list(filtered(filters).order_by("pk").values_list("pk", flat=True).distinct())
    with transaction.atomic():
        run = RescoreRun.objects.create(
            model_version=model,
            filters=_jsonable(filters),
            chunk_size=size,
            total=len(ids),
            mode=mode,
            explanation_method="approximate" if approximate_reasons else "exact",
            started_by=started_by if getattr(started_by, "pk", None) else None,
            status=RunStatus.PENDING if ids else RunStatus.FINISHED,
            finished_at=None if ids else timezone.now(),
        )
        chunks = RescoreChunk.objects.bulk_create(
            RescoreChunk(
                run=run,
                seq=i,
                first_id=ids[start],
                last_id=ids[min(start + size, len(ids)) - 1],
                size=min(size, len(ids) - start),
            )
            for i, start in enumerate(range(0, len(ids), size))
        )
        trail_record(
            action="model.rescore",
            object_type="rescore_run",
            object_id=run.pk,
            actor=started_by,
            after={"model_version": model.version, "applications": len(ids), "filters": run.filters},
        )
        if dispatch and chunks and mode == RescoreMode.CELERY:
            jobs_publish_on_commit(RescoreChunk, [c.pk for c in chunks])
    return run


def _jsonable(filters: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for k, v in filters.items()}


def rescore_run_inline(run: RescoreRun, *, on_chunk: Any = None) -> RescoreRun:
    """Run every pending chunk in this process (no worker needed: SQLite, tests, `--inline`)."""
    for chunk_id in run.chunks.filter(status=RunStatus.PENDING).values_list("pk", flat=True):
        rescore_chunk_execute(chunk_id=chunk_id)
        if on_chunk:
            on_chunk()
    run.refresh_from_db()
    return run
