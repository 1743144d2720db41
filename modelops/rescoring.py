"""Batch rescoring, like a weekly SageMaker batch transform: every open application (or a
filtered set) scored again with the active or a named model, in chunks spread over Celery
workers, writing a new decision only where it changed, each marked with its run.

What costs time at a million rows (measured on the prototype): loading answers as JSON into Python (~17 s)
and rewriting every decision (~25 s). So on PostgreSQL a chunk's features are projected in
SQL and read with a binary COPY into a NumPy array (fixed-width records, no per-row Python),
and only decisions whose tier changed, or whose probabilities moved by at least
RESCORE_MIN_PROBABILITY_CHANGE, are written, with reasons computed for those rows only
(exact TreeSHAP, or XGBoost's approximate contributions when the run asks, said on the decision).

A chunk is a job (outbox.jobs): claimed by a conditional update (pending → running) under a
lease its heartbeat renews; the last chunk to finish closes the run (running → finished,
once), so no result backend or chord is needed; the one job re-drive hands out again chunks
whose worker vanished (lease expired) or that back off after a transient scoring error. A
chunk run twice compares with the decisions the first run wrote and writes nothing more.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.types import User
from applicants.groups import protected_groups
from applicants.models import Application, Status
from applicants.schema import ApplicationSchema, Feature, get_schema
from applicants.services import application_transition
from modelops.models import RescoreChunk, RescoreMode, RescoreRun, RunStatus
from modelops.registry import LifecycleError
from outbox.jobs import Heartbeat, job_claim, job_heartbeat, job_publish, job_retry
from outbox.registry import DECISIONS_STORED, outbox_emit
from outbox.services import outbox_fan_out
from scoring.encoding import fits_schema
from scoring.errors import ScoringError
from scoring.explain import risk_contributions, top_reasons
from scoring.features import (
    assemble_matrix,
    build_matrix,
    feature_row_bytes,
    feature_snapshot,
    numeric_inputs,
)
from scoring.models import TIERS, Decision, ModelVersion
from scoring.policy import route_with_provenance
from scoring.probabilities import tier_probabilities, tiers_from_probabilities
from scoring.scorers import get_scorer
from scoring.selectors import NoUsableModel, active_model
from trail.services import trail_record

logger = logging.getLogger(__name__)

OPEN = (Status.SCORED, Status.IN_REVIEW)
_STATUS_CODES: dict[str, int] = {Status.SCORED: 0, Status.IN_REVIEW: 1}


# --- starting a run --------------------------------------------------------------------------


def _filtered(filters: dict[str, Any]) -> QuerySet[Application]:
    query = Application.objects.filter(status__in=OPEN, schema_name=get_schema().name)
    if filters.get("channels"):
        query = query.filter(channel__in=filters["channels"])
    if filters.get("since"):
        query = query.filter(created_at__gte=filters["since"])
    if filters.get("until"):
        query = query.filter(created_at__lt=filters["until"])
    if filters.get("scored_by_version"):
        query = query.filter(
            decisions__is_current=True, decisions__model_version__version=filters["scored_by_version"]
        )
    return query


def rescore_candidates_count(filters: dict[str, Any] | None = None) -> int:
    """How many open applications a run with these filters would score again (what the
    confirmation step shows before a run changes many decisions)."""
    filters = {k: v for k, v in (filters or {}).items() if v}
    return _filtered(filters).values("pk").distinct().count()


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
    ids = list(_filtered(filters).order_by("pk").values_list("pk", flat=True).distinct())
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
            chunk_ids = [c.pk for c in chunks]
            # robust: with the broker down the chunks stay pending for the job re-drive.

            def publish() -> None:
                for pk in chunk_ids:
                    job_publish(RescoreChunk, pk)

            transaction.on_commit(publish, robust=True)
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


# --- one chunk -------------------------------------------------------------------------------


@dataclass
class ChunkRows:
    ids: list[Any]
    matrix: np.ndarray
    decision_ids: np.ndarray
    old_tiers: np.ndarray
    old_probs: np.ndarray  # (n, 3)
    statuses: np.ndarray  # 0 scored, 1 in review


def rescore_chunk_execute(*, chunk_id: int) -> int:
    """Claim a chunk, rescore it, write the changes; returns how many decisions changed."""
    claim = job_claim(RescoreChunk, chunk_id)
    if claim is None:
        return 0  # done, or another worker has it
    chunk = RescoreChunk.objects.select_related("run", "run__model_version").get(pk=chunk_id)
    run = chunk.run
    RescoreRun.objects.filter(pk=run.pk, status=RunStatus.PENDING).update(status=RunStatus.RUNNING)
    try:
        with Heartbeat(lambda: job_heartbeat(RescoreChunk, chunk_id, claim)):
            changed, routed = _rescore(chunk, run)
    except ScoringError as exc:
        if exc.permanent or not job_retry(RescoreChunk, chunk_id, claim, error=str(exc)):
            _fail(chunk, str(exc))
        return 0
    except Exception as exc:
        # A bug or an outage we cannot name: the same backoff, then failed; said in the log.
        logger.exception("rescore run %s chunk %s failed", run.pk, chunk.seq)
        if not job_retry(RescoreChunk, chunk_id, claim, error=f"{type(exc).__name__}: {exc}"):
            _fail(chunk, f"{type(exc).__name__}: {exc}")
        return 0
    _close_if_last(run)
    logger.info(
        "rescore run %s chunk %s: %d rows, %d changed, %d routed",
        run.pk,
        chunk.seq,
        chunk.size,
        changed,
        routed,
    )
    return changed


def _fail(chunk: RescoreChunk, error: str) -> None:
    with transaction.atomic():
        RescoreChunk.objects.filter(pk=chunk.pk).update(
            status=RunStatus.FAILED, error=error[:2000], claim=None, lease_expires_at=None
        )
        RescoreRun.objects.filter(pk=chunk.run_id).exclude(status=RunStatus.FAILED).update(
            status=RunStatus.FAILED, error=error[:2000], finished_at=timezone.now()
        )


def _close_if_last(run: RescoreRun) -> None:
    unfinished = RescoreChunk.objects.filter(run=run).exclude(status=RunStatus.FINISHED).exists()
    if not unfinished:
        RescoreRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FINISHED, finished_at=timezone.now()
        )


def _rescore(chunk: RescoreChunk, run: RescoreRun) -> tuple[int, int]:
    schema = get_schema()
    model = run.model_version
    rows = load_chunk(schema, run, chunk)
    if not rows.ids:
        _finish_chunk(chunk, run, processed=chunk.size, changed=0, routed=0)
        return 0, 0
    scorer = get_scorer()
    probs = tier_probabilities(model, scorer.predict_proba(model, rows.matrix))
    return apply_scores(chunk, run, rows, probs, scorer.last_source)


def apply_scores(
    chunk: RescoreChunk, run: RescoreRun, rows: ChunkRows, probs: np.ndarray, source: str
) -> tuple[int, int]:
    """Compare new probabilities (tier layout) with the current decisions and write what
    changed. Shared by the Celery chunks and the collection of a SageMaker batch transform."""
    schema = get_schema()
    model = run.model_version
    tiers = tiers_from_probabilities(probs, model.thresholds)
    moved = np.abs(probs - rows.old_probs).max(axis=1) >= settings.RESCORE_MIN_PROBABILITY_CHANGE
    # An open application always has a current decision; one without is left to the pipeline.
    changed = np.flatnonzero(((tiers != rows.old_tiers) | moved) & (rows.decision_ids >= 0))
    decisions: list[Decision] = []
    if len(changed):
        approximate = run.explanation_method == "approximate"
        contributions = risk_contributions(model, rows.matrix[changed], approximate=approximate)
        provenance, groups = _captured_of(
            schema, [rows.ids[i] for i in changed], [int(rows.decision_ids[i]) for i in changed]
        )
        for j, i in enumerate(changed):
            snapshot = feature_snapshot(schema, rows.matrix[i])
            tier = TIERS[int(tiers[i])]
            reasons = top_reasons(schema, contributions[j], snapshot, limit=settings.TOP_REASONS)
            # The live pipeline's routing (scoring.services._decision): the policy's draw, then
            # the rule on answers recognised from speech with little confidence.
            routing = route_with_provenance(
                rows.ids[i],
                tier,
                model.review_policy,
                schema=schema,
                reasons=reasons,
                provenance=provenance.get(rows.ids[i]),
                speech_below=settings.REVIEW_SPEECH_CONFIDENCE_BELOW,
            )
            decisions.append(
                Decision(
                    application_id=rows.ids[i],
                    model_version=model,
                    tier=tier,
                    prob_low=float(probs[i][0]),
                    prob_medium=float(probs[i][1]),
                    prob_high=float(probs[i][2]),
                    reasons=reasons,
                    explanation_method=run.explanation_method,
                    feature_snapshot=snapshot,
                    feature_row=feature_row_bytes(schema, rows.matrix[i]),
                    protected_groups=groups.get(rows.ids[i], {}),
                    routed_to_review=routing.to_review,
                    routing_reason=routing.why,
                    review_probability=routing.probability,
                    rescore_run=run,
                    scorer=source[:120],
                )
            )
    old_by_app = {rows.ids[i]: int(rows.decision_ids[i]) for i in changed}
    status_by_app = {rows.ids[i]: int(rows.statuses[i]) for i in changed}
    with transaction.atomic():
        written = _write(decisions, old_by_app)
        in_review = {
            d.application_id
            for d in written
            if status_by_app[d.application_id] == _STATUS_CODES[Status.IN_REVIEW]
        }
        routed = application_transition(
            application_ids=[
                d.application_id for d in written if d.routed_to_review and d.application_id not in in_review
            ],
            from_status=Status.SCORED,
            to_status=Status.IN_REVIEW,
            note=f"rescore run {run.pk} with v{model.version}: routed to review",
        )
        outbox_fan_out(
            event="decision", items=[(str(d.application_id), {"decision_id": d.pk}) for d in written]
        )
        # Review items are added (routed now) or refreshed (in review already, their decision
        # replaced) in this transaction; an application left scored has none to touch.
        outbox_emit(DECISIONS_STORED, application_ids=[*routed, *in_review])
        _finish_chunk(chunk, run, processed=chunk.size, changed=len(written), routed=len(routed))
    return len(written), len(routed)


def _captured_of(
    schema: Any, application_ids: list[Any], old_decision_ids: list[int]
) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """How the answers of the applications whose decision changes were captured, and their
    protected groups: read for those rows only (the chunk's COPY carries features). A new
    model changes no one's group: the groups of the decision replaced are kept; formed from
    the answers, on today's date, only where that decision was made before groups were
    stored (which decrypts the date of birth)."""
    provenance = dict(Application.objects.filter(pk__in=application_ids).values_list("pk", "provenance"))
    groups = dict(
        Decision.objects.filter(pk__in=old_decision_ids)
        .exclude(protected_groups={})
        .values_list("application_id", "protected_groups")
    )
    missing = [pk for pk in application_ids if pk not in groups]
    today = timezone.localdate()
    for application in Application.objects.filter(pk__in=missing).only("id", "answers", "pii"):
        groups[application.pk] = protected_groups(schema, application.all_answers, today)
    return provenance, groups


def _write(decisions: list[Decision], old_by_app: dict[Any, int]) -> list[Decision]:
    """Replace current decisions that are still current, of applications still open (an
    auditor or the pipeline may have moved on meanwhile: those are left alone). Looked up
    by decision id: integer lists bind far cheaper than lists of UUIDs."""
    if not decisions:
        return []
    old_ids = [pk for pk in old_by_app.values() if pk >= 0]
    still = dict(
        Decision.objects.select_for_update(of=("self",))
        .filter(
            pk__in=old_ids,
            is_current=True,
            application__status__in=OPEN,
        )
        .values_list("application_id", "pk")
    )
    keep = [d for d in decisions if d.application_id in still]
    Decision.objects.filter(pk__in=[still[d.application_id] for d in keep]).update(is_current=False)
    if connection.vendor == "postgresql":
        return _insert_by_copy(keep)
    return Decision.objects.bulk_create(keep, batch_size=2000)


_COPY_COLUMNS = (
    "id",
    "application_id",
    "model_version_id",
    "tier",
    "prob_low",
    "prob_medium",
    "prob_high",
    "reasons",
    "explanation_method",
    "feature_snapshot",
    "feature_row",
    "protected_groups",
    "routed_to_review",
    "routing_reason",
    "review_probability",
    "is_current",
    "created_at",
    "scorer",
    "rescore_run_id",
)


def _insert_by_copy(decisions: list[Decision]) -> list[Decision]:
    """COPY instead of INSERT: the JSON reasons and snapshots of thousands of decisions bind
    several times faster this way. Ids are drawn from the table's sequence first, so the
    outbox rows can name them."""
    if not decisions:
        return []
    table = Decision._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "  # noqa: S608
            "FROM generate_series(1, %s)",
            [len(decisions)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
            for pk, d in zip(ids, decisions, strict=True):
                d.pk, d.created_at, d.is_current = pk, now, True
                copy.write_row(
                    (
                        pk,
                        d.application_id,
                        d.model_version_id,
                        d.tier,
                        d.prob_low,
                        d.prob_medium,
                        d.prob_high,
                        json.dumps(d.reasons),
                        d.explanation_method,
                        json.dumps(d.feature_snapshot),
                        d.feature_row,
                        json.dumps(d.protected_groups),
                        d.routed_to_review,
                        d.routing_reason,
                        d.review_probability,
                        True,
                        now,
                        d.scorer,
                        d.rescore_run_id,
                    )
                )
    return decisions


def _finish_chunk(chunk: RescoreChunk, run: RescoreRun, *, processed: int, changed: int, routed: int) -> None:
    RescoreChunk.objects.filter(pk=chunk.pk).update(
        status=RunStatus.FINISHED,
        changed=changed,
        error="",
        claim=None,
        lease_expires_at=None,
        next_attempt_at=None,
    )
    RescoreRun.objects.filter(pk=run.pk).update(
        processed=F("processed") + processed,
        changed=F("changed") + changed,
        routed_to_review=F("routed_to_review") + routed,
    )


# --- reading a chunk -------------------------------------------------------------------------


def load_chunk(schema: ApplicationSchema, run: RescoreRun, chunk: RescoreChunk) -> ChunkRows:
    if connection.vendor == "postgresql":
        return _load_chunk_copy(schema, run, chunk)
    return _load_chunk_orm(schema, run, chunk)


def _chunk_query(run: RescoreRun, chunk: RescoreChunk) -> QuerySet[Application]:
    return _filtered(run.filters).filter(pk__gte=chunk.first_id, pk__lte=chunk.last_id)


def _load_chunk_orm(schema: ApplicationSchema, run: RescoreRun, chunk: RescoreChunk) -> ChunkRows:
    apps = list(_chunk_query(run, chunk).order_by("pk").values_list("pk", "answers", "status").distinct())
    current = {
        d.application_id: d
        for d in Decision.objects.filter(application_id__in=[a[0] for a in apps], is_current=True).only(
            "id", "application_id", "tier", "prob_low", "prob_medium", "prob_high"
        )
    }
    none = Decision(id=-1, tier="low", prob_low=np.nan, prob_medium=np.nan, prob_high=np.nan)
    decisions = [current.get(a[0], none) for a in apps]
    return ChunkRows(
        ids=[a[0] for a in apps],
        matrix=build_matrix(schema, [a[1] for a in apps]),
        decision_ids=np.asarray([d.id for d in decisions], dtype=np.int64),
        old_tiers=np.asarray([TIERS.index(d.tier) for d in decisions], dtype=np.int64),
        old_probs=np.asarray(
            [[d.prob_low, d.prob_medium, d.prob_high] for d in decisions], dtype=np.float64
        ).reshape(len(apps), 3),
        statuses=np.asarray([_STATUS_CODES[a[2]] for a in apps], dtype=np.int64),
    )


def _json_number(name: str) -> str:
    return (
        f"CASE jsonb_typeof(a.answers->'{name}') WHEN 'number' THEN (a.answers->>'{name}')::float8 "
        f"WHEN 'boolean' THEN (a.answers->>'{name}')::boolean::int::float8 END"
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _json_choice(feature: Feature) -> str:
    # Names are checked by the schema loader (lower_snake_case); choice values are quoted.
    cases = " ".join(f"WHEN {_quote(str(value))} THEN {i}::float8" for i, value in enumerate(feature.choices))
    return f"CASE a.answers->>'{feature.name}' {cases} END"


def _load_chunk_copy(schema: ApplicationSchema, run: RescoreRun, chunk: RescoreChunk) -> ChunkRows:
    """Features projected in SQL, read with COPY … TO STDOUT (FORMAT BINARY): every column is
    fixed-width (NaN for a missing value), so the stream parses as one NumPy record array."""
    numbers = numeric_inputs(schema)
    choices = [f for f in schema.features if f.kind == "choice"]
    columns = [
        "a.id",
        "COALESCE(d.id, -1)",
        "COALESCE(CASE d.tier WHEN 'low' THEN 0 WHEN 'medium' THEN 1 WHEN 'high' THEN 2 END, 0)::int8",
        "COALESCE(d.prob_low, 'NaN')",
        "COALESCE(d.prob_medium, 'NaN')",
        "COALESCE(d.prob_high, 'NaN')",
        "CASE a.status WHEN 'scored' THEN 0 ELSE 1 END::int8",
    ]
    columns += [f"COALESCE(({_json_number(name)}), 'NaN')::float8" for name in numbers]
    columns += [f"COALESCE(({_json_choice(f)}), 'NaN')::float8" for f in choices]
    # The run's filters, applied again: a chunk's id range also holds applications they exclude.
    ids_query = _chunk_query(run, chunk).values("pk")
    ids_sql, ids_params = ids_query.query.sql_with_params()
    with connection.cursor() as cursor:
        inner = cursor.cursor.mogrify(ids_sql, ids_params)  # Django's psycopg 3 client-side cursor
    # Every piece is ours: column expressions from the schema (names checked, values quoted),
    # table names from the models, and the id query bound by the driver.
    sql = (
        f"COPY (SELECT {', '.join(columns)} FROM {Application._meta.db_table} a "  # noqa: S608
        f"LEFT JOIN {Decision._meta.db_table} d ON d.application_id = a.id AND d.is_current "
        f"WHERE a.id IN ({inner}) ORDER BY a.id) TO STDOUT (FORMAT BINARY)"
    )
    fields = [
        ("n", ">i2"),
        ("l_id", ">i4"),
        ("id", "V16"),
        ("l_d", ">i4"),
        ("decision", ">i8"),
        ("l_t", ">i4"),
        ("tier", ">i8"),
    ]
    fields += [(name, t) for i in range(3) for name, t in ((f"l_p{i}", ">i4"), (f"p{i}", ">f8"))]
    fields += [("l_s", ">i4"), ("status", ">i8")]
    fields += [
        (name, t)
        for i in range(len(numbers) + len(choices))
        for name, t in ((f"l_c{i}", ">i4"), (f"c{i}", ">f8"))
    ]
    record = np.dtype(fields)
    with connection.cursor() as cursor:
        raw_cursor = getattr(cursor, "cursor", cursor)
        with raw_cursor.copy(sql) as copy:
            data = b"".join(bytes(block) for block in copy)
    header = 11 + 4 + 4 + int.from_bytes(data[15:19], "big")  # signature, flags, extension
    count = (len(data) - header - 2) // record.itemsize
    table = np.frombuffer(data, dtype=record, count=count, offset=header)
    by_number = {name: table[f"c{i}"].astype(np.float64) for i, name in enumerate(numbers)}
    by_choice = {f.name: table[f"c{len(numbers) + i}"].astype(np.float64) for i, f in enumerate(choices)}
    matrix = assemble_matrix(
        schema, count, numeric=by_number.__getitem__, choice=lambda feature: by_choice[feature.name]
    )
    return ChunkRows(
        ids=[uuid.UUID(bytes=bytes(v)) for v in table["id"]],
        matrix=matrix,
        decision_ids=table["decision"].astype(np.int64),
        old_tiers=table["tier"].astype(np.int64),
        old_probs=np.column_stack([table["p0"], table["p1"], table["p2"]]).astype(np.float64),
        statuses=table["status"].astype(np.int64),
    )


# --- re-drive and reads -----------------------------------------------------------------------
