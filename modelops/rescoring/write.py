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
from scoring.explain import risk_contributions, top_reasons, top_reasons_json
from scoring.features import feature_rows_bytes, feature_snapshot, feature_snapshots_json, snapshot_texts
from scoring.models import TIERS, Decision
from scoring.policy import route_with_provenance
from scoring.probabilities import tiers_from_probabilities


class NewDecision(NamedTuple):
    """What differs between the decisions a chunk writes (the model, the run, the method of
    the reasons and the scorer are the chunk's). The JSON columns as their text, made for a
    whole chunk at once (scoring.explain.top_reasons_json, scoring.features
    .feature_snapshots_json) and copied as it is."""

    application_id: Any
    tier: str
    prob_low: float
    prob_medium: float
    prob_high: float
    reasons: str
    feature_snapshot: str
    feature_row: bytes
    protected_groups: str
    routed_to_review: bool
    routing_reason: str
    review_probability: float


class Written(NamedTuple):
    application_id: Any
    decision_id: int
    routed_to_review: bool
    position: int  # among the chunk's changed rows


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
    # By position among the changed rows, not by application: thousands of UUIDs hash slowly.
    was_in_review = (rows.statuses[changed] == STATUS_CODES[Status.IN_REVIEW]).tolist()
    with transaction.atomic():
        written = _write(decisions, rows.decision_ids[changed].tolist(), run, source)
        in_review = [d.application_id for d in written if was_in_review[d.position]]
        routed = application_transition(
            application_ids=[
                d.application_id for d in written if d.routed_to_review and not was_in_review[d.position]
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
    matrix = rows.matrix[changed]
    contributions = risk_contributions(model, matrix, approximate=run.explanation_method == "approximate")
    ids = [rows.ids[i] for i in changed]
    provenance, groups = _captured_of(schema, ids, rows.decision_ids[changed].tolist())
    values = snapshot_texts(schema, matrix)
    reasons = top_reasons_json(schema, contributions, values, limit=settings.TOP_REASONS)
    snapshots = feature_snapshots_json(schema, values)
    feature_rows = feature_rows_bytes(schema, matrix)
    decisions = []
    for j, (application_id, tier_index, (low, medium, high)) in enumerate(
        zip(ids, tiers[changed].tolist(), probs[changed].tolist(), strict=True)
    ):
        tier = TIERS[tier_index]
        captured = provenance.get(application_id) if provenance else None  # mostly none: no hashing
        # The rule on spoken answers reads the top reasons only where an answer was heard:
        # their dicts are made for those rows alone (without, no answer can be doubtful).
        heard = (
            top_reasons(
                schema, contributions[j], feature_snapshot(schema, matrix[j]), limit=settings.TOP_REASONS
            )
            if captured
            else []
        )
        routing = route_with_provenance(
            application_id,
            tier,
            model.review_policy,
            schema=schema,
            reasons=heard,
            provenance=captured,
            speech_below=settings.REVIEW_SPEECH_CONFIDENCE_BELOW,
        )
        decisions.append(
            NewDecision(
                application_id=application_id,
                tier=tier,
                prob_low=low,
                prob_medium=medium,
                prob_high=high,
                reasons=reasons[j],
                feature_snapshot=snapshots[j],
                feature_row=feature_rows[j],
                protected_groups=groups[j],
                routed_to_review=routing.to_review,
                routing_reason=routing.why,
                review_probability=routing.probability,
            )
        )
    return decisions


def _captured_of(
    schema: Any, application_ids: list[Any], old_decision_ids: list[int]
) -> tuple[dict[Any, Any], list[str]]:
    """How the answers of the applications whose decision changes were captured, and their
    protected groups (as JSON text, in their order): read for those rows only (the chunk's
    COPY carries features). A new model changes no one's group: the groups of the decision
    replaced are kept, copied as the database writes them; formed from the answers, on
    today's date, only where that decision was made before groups were stored (which
    decrypts the date of birth)."""
    # Routing reads how an answer was captured only when it was recognised from speech: the
    # provenance of an application whose history never names that method routes it alike
    # unread, so only the others are read and decoded (most, at a chunk's thousands of rows).
    provenance = dict(
        Application.objects.filter(in_array("pk", application_ids))
        .alias(provenance_text=Cast("provenance", TextField()))
        .filter(provenance_text__contains=json.dumps(Method.SPEECH))
        .values_list("pk", "provenance")
    )
    kept = dict(
        Decision.objects.filter(in_array("pk", old_decision_ids))
        .exclude(protected_groups={})
        .values_list("pk", Cast("protected_groups", TextField()))
    )
    missing = [app for app, old in zip(application_ids, old_decision_ids, strict=True) if old not in kept]
    today = timezone.localdate()
    formed = {
        application.pk: json.dumps(protected_groups(schema, application.all_answers, today))
        for application in Application.objects.filter(in_array("pk", missing)).only("id", "answers", "pii")
    }
    groups = [
        kept[old] if old in kept else formed.get(app, "{}")
        for app, old in zip(application_ids, old_decision_ids, strict=True)
    ]
    return provenance, groups


def _write(decisions: list[NewDecision], old_ids: list[int], run: RescoreRun, source: str) -> list[Written]:
    """Replace current decisions (`old_ids`, one per new decision) that are still current, of
    applications still open (an auditor or the pipeline may have moved on meanwhile: those
    are left alone). Looked up by decision id: integer lists bind far cheaper than lists of
    UUIDs."""
    if not decisions:
        return []
    retired = _retire([pk for pk in old_ids if pk >= 0])
    keep = [j for j, pk in enumerate(old_ids) if pk in retired]
    scorer = source[:120]
    if connection.vendor == "postgresql":
        ids = _insert_by_copy([decisions[j] for j in keep], run, scorer)
    else:
        created = Decision.objects.bulk_create(
            [
                Decision(
                    **decisions[j]._asdict()
                    | {
                        field: json.loads(getattr(decisions[j], field))
                        for field in ("reasons", "feature_snapshot", "protected_groups")
                    },
                    model_version_id=run.model_version_id,
                    explanation_method=run.explanation_method,
                    rescore_run=run,
                    scorer=scorer,
                )
                for j in keep
            ],
            batch_size=2000,
        )
        ids = [d.pk for d in created]
    return [
        Written(decisions[j].application_id, pk, decisions[j].routed_to_review, j)
        for j, pk in zip(keep, ids, strict=True)
    ]


def _retire(decision_ids: list[int]) -> set[int]:
    """Mark these decisions no longer current where they still are, of applications still
    open; returns those retired."""
    if not decision_ids:
        return set()
    if connection.vendor != "postgresql":
        still = list(
            Decision.objects.select_for_update(of=("self",))
            .filter(in_array("pk", decision_ids), is_current=True, application__status__in=OPEN)
            .values_list("pk", flat=True)
        )
        Decision.objects.filter(in_array("pk", still)).update(is_current=False)
        return set(still)
    # One UPDATE … RETURNING where the ORM locks the rows with one statement, then changes them
    # with another: the same rows, locked the same way, in one pass.
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Decision._meta.db_table} AS d SET is_current = false "  # noqa: S608 (our tables)
            f"FROM {Application._meta.db_table} AS a WHERE d.id = ANY(%s::bigint[]) AND d.is_current "
            f"AND a.id = d.application_id AND a.status IN ({', '.join(['%s'] * len(OPEN))}) "
            "RETURNING d.id",
            ["{" + ",".join(map(str, decision_ids)) + "}", *(status.value for status in OPEN)],
        )
        return {pk for (pk,) in cursor.fetchall()}


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
    several times faster this way, as the text they were made as. Ids are drawn from the
    table's sequence first, so the outbox rows can name them."""
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
                copy.write_row(
                    (
                        pk,
                        d.application_id,
                        run.model_version_id,
                        d.tier,
                        d.prob_low,
                        d.prob_medium,
                        d.prob_high,
                        d.reasons,
                        run.explanation_method,
                        d.feature_snapshot,
                        d.feature_row,
                        d.protected_groups,
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
