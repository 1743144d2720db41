"""Writing a chunk's changes: only decisions whose tier changed, or whose probabilities moved
by at least RESCORE_MIN_PROBABILITY_CHANGE, are replaced, with reasons computed for those rows
only (exact TreeSHAP, or XGBoost's approximate contributions when the run asks, said on the
decision); in one transaction with their routing, outbox rows and review items.

A chunk writes thousands of rows: the new decisions are built as plain tuples (a Decision
instance each only where the ORM writes them, off PostgreSQL), id lists are bound as one
array (config.db_arrays), and PostgreSQL retires the replaced decisions in one UPDATE …
RETURNING and takes the new ones by COPY.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from applicants.groups import protected_groups
from applicants.models import Application, Status
from applicants.provenance import Method
from applicants.schema import get_schema
from applicants.services import application_transition
from config.db_arrays import in_array
from modelops.models import RescoreChunk, RescoreRun, RunStatus
from modelops.rescoring.load import OPEN, STATUS_CODES, ChunkRows
from outbox.registry import DECISIONS_STORED, outbox_emit
from outbox.services import outbox_fan_out
from scoring.explain import risk_contributions, top_reasons
from scoring.features import feature_row_bytes, feature_snapshot
from scoring.models import TIERS, Decision
from scoring.policy import route_with_provenance
from scoring.probabilities import tiers_from_probabilities


class NewDecision(NamedTuple):
    """What differs between the decisions a chunk writes (the model, the run, the method of
    the reasons and the scorer are the chunk's)."""

    application_id: Any
    tier: str
    prob_low: float
    prob_medium: float
    prob_high: float
    reasons: list[dict[str, Any]]
    feature_snapshot: dict[str, Any]
    feature_row: bytes
    protected_groups: dict[str, Any]
    routed_to_review: bool
    routing_reason: str
    review_probability: float


class Written(NamedTuple):
    application_id: Any
    decision_id: int
    routed_to_review: bool


def apply_scores(
    chunk: RescoreChunk, run: RescoreRun, rows: ChunkRows, probs: np.ndarray, source: str
) -> tuple[int, int]:
    """Compare new probabilities (tier layout) with the current decisions and write what
    changed. Shared by the Celery chunks and the collection of a SageMaker batch transform."""
    model = run.model_version
    tiers = tiers_from_probabilities(probs, model.thresholds)
    moved = np.abs(probs - rows.old_probs).max(axis=1) >= settings.RESCORE_MIN_PROBABILITY_CHANGE
    # An open application always has a current decision; one without is left to the pipeline.
    changed = np.flatnonzero(((tiers != rows.old_tiers) | moved) & (rows.decision_ids >= 0))
    decisions = _new_decisions(run, rows, probs, tiers, changed)
    old_by_app = {rows.ids[i]: int(rows.decision_ids[i]) for i in changed}
    status_by_app = {rows.ids[i]: int(rows.statuses[i]) for i in changed}
    with transaction.atomic():
        written = _write(decisions, old_by_app, run, source)
        in_review = {
            d.application_id
            for d in written
            if status_by_app[d.application_id] == STATUS_CODES[Status.IN_REVIEW]
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
            event="decision",
            items=[(str(d.application_id), {"decision_id": d.decision_id}) for d in written],
        )
        # Review items are added (routed now) or refreshed (in review already, their decision
        # replaced) in this transaction; an application left scored has none to touch.
        outbox_emit(DECISIONS_STORED, application_ids=[*routed, *in_review])
        finish_chunk(chunk, run, processed=chunk.size, changed=len(written), routed=len(routed))
    return len(written), len(routed)


def _new_decisions(
    run: RescoreRun, rows: ChunkRows, probs: np.ndarray, tiers: np.ndarray, changed: np.ndarray
) -> list[NewDecision]:
    """The decisions of the changed rows: reasons, routing (the live pipeline's, in
    scoring.services._decision: the policy's draw, then the rule on answers recognised from
    speech with little confidence) and the protected groups of the decision replaced."""
    if not len(changed):
        return []
    schema = get_schema()
    model = run.model_version
    contributions = risk_contributions(
        model, rows.matrix[changed], approximate=run.explanation_method == "approximate"
    )
    provenance, groups = _captured_of(
        schema, [rows.ids[i] for i in changed], [int(rows.decision_ids[i]) for i in changed]
    )
    decisions = []
    for j, i in enumerate(changed):
        application_id = rows.ids[i]
        snapshot = feature_snapshot(schema, rows.matrix[i])
        tier = TIERS[int(tiers[i])]
        reasons = top_reasons(schema, contributions[j], snapshot, limit=settings.TOP_REASONS)
        routing = route_with_provenance(
            application_id,
            tier,
            model.review_policy,
            schema=schema,
            reasons=reasons,
            provenance=provenance.get(application_id),
            speech_below=settings.REVIEW_SPEECH_CONFIDENCE_BELOW,
        )
        decisions.append(
            NewDecision(
                application_id=application_id,
                tier=tier,
                prob_low=float(probs[i][0]),
                prob_medium=float(probs[i][1]),
                prob_high=float(probs[i][2]),
                reasons=reasons,
                feature_snapshot=snapshot,
                feature_row=feature_row_bytes(schema, rows.matrix[i]),
                protected_groups=groups.get(application_id, {}),
                routed_to_review=routing.to_review,
                routing_reason=routing.why,
                review_probability=routing.probability,
            )
        )
    return decisions


def _captured_of(
    schema: Any, application_ids: list[Any], old_decision_ids: list[int]
) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """How the answers of the applications whose decision changes were captured, and their
    protected groups: read for those rows only (the chunk's COPY carries features). A new
    model changes no one's group: the groups of the decision replaced are kept; formed from
    the answers, on today's date, only where that decision was made before groups were
    stored (which decrypts the date of birth)."""
    # Routing reads how an answer was captured only when it was recognised from speech: the
    # provenance of an application whose history never names that method routes it alike
    # unread, so only the others are read and decoded (most, at a chunk's thousands of rows).
    provenance = dict(
        Application.objects.filter(in_array("pk", application_ids))
        .alias(provenance_text=Cast("provenance", TextField()))
        .filter(provenance_text__contains=json.dumps(Method.SPEECH))
        .values_list("pk", "provenance")
    )
    groups = dict(
        Decision.objects.filter(in_array("pk", old_decision_ids))
        .exclude(protected_groups={})
        .values_list("application_id", "protected_groups")
    )
    missing = [pk for pk in application_ids if pk not in groups]
    today = timezone.localdate()
    for application in Application.objects.filter(in_array("pk", missing)).only("id", "answers", "pii"):
        groups[application.pk] = protected_groups(schema, application.all_answers, today)
    return provenance, groups


def _write(
    decisions: list[NewDecision], old_by_app: dict[Any, int], run: RescoreRun, source: str
) -> list[Written]:
    """Replace current decisions that are still current, of applications still open (an
    auditor or the pipeline may have moved on meanwhile: those are left alone). Looked up
    by decision id: integer lists bind far cheaper than lists of UUIDs."""
    if not decisions:
        return []
    still = _retire([pk for pk in old_by_app.values() if pk >= 0])
    keep = [d for d in decisions if d.application_id in still]
    scorer = source[:120]
    if connection.vendor == "postgresql":
        ids = _insert_by_copy(keep, run, scorer)
    else:
        created = Decision.objects.bulk_create(
            [
                Decision(
                    **d._asdict(),
                    model_version_id=run.model_version_id,
                    explanation_method=run.explanation_method,
                    rescore_run=run,
                    scorer=scorer,
                )
                for d in keep
            ],
            batch_size=2000,
        )
        ids = [d.pk for d in created]
    return [Written(d.application_id, pk, d.routed_to_review) for d, pk in zip(keep, ids, strict=True)]


def _retire(decision_ids: list[int]) -> dict[Any, int]:
    """Mark these decisions no longer current where they still are, of applications still
    open; returns those retired, by application."""
    if not decision_ids:
        return {}
    if connection.vendor != "postgresql":
        still = dict(
            Decision.objects.select_for_update(of=("self",))
            .filter(in_array("pk", decision_ids), is_current=True, application__status__in=OPEN)
            .values_list("application_id", "pk")
        )
        Decision.objects.filter(in_array("pk", list(still.values()))).update(is_current=False)
        return still
    # One UPDATE … RETURNING where the ORM locks the rows with one statement, then changes them
    # with another: the same rows, locked the same way, in one pass.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Decision._meta.db_table} AS d SET is_current = false "  # noqa: S608 (our tables)
            f"FROM {Application._meta.db_table} AS a WHERE d.id = ANY(%s::bigint[]) AND d.is_current "
            f"AND a.id = d.application_id AND a.status IN ({', '.join(['%s'] * len(OPEN))}) "
            "RETURNING d.application_id, d.id",
            ["{" + ",".join(map(str, decision_ids)) + "}", *(status.value for status in OPEN)],
        )
        return dict(cursor.fetchall())


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


def _insert_by_copy(decisions: list[NewDecision], run: RescoreRun, scorer: str) -> list[int]:
    """COPY instead of INSERT: the JSON reasons and snapshots of thousands of decisions bind
    several times faster this way. Ids are drawn from the table's sequence first, so the
    outbox rows can name them."""
    if not decisions:
        return []
    table = Decision._meta.db_table
    now = timezone.now()
    dumps = json.dumps
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "  # noqa: S608
            "FROM generate_series(1, %s)",
            [len(decisions)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
            for pk, d in zip(ids, decisions, strict=True):
                copy.write_row(
                    (
                        pk,
                        d.application_id,
                        run.model_version_id,
                        d.tier,
                        d.prob_low,
                        d.prob_medium,
                        d.prob_high,
                        dumps(d.reasons),
                        run.explanation_method,
                        dumps(d.feature_snapshot),
                        d.feature_row,
                        dumps(d.protected_groups),
                        d.routed_to_review,
                        d.routing_reason,
                        d.review_probability,
                        True,
                        now,
                        scorer,
                        run.pk,
                    )
                )
    return ids


def finish_chunk(chunk: RescoreChunk, run: RescoreRun, *, processed: int, changed: int, routed: int) -> None:
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
