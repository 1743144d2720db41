"""Reading a chunk: which applications a run covers, and their features and current
decisions. On PostgreSQL the features are projected in SQL and read with a binary COPY into a
NumPy array (fixed-width records, no per-row Python); elsewhere the JSON answers go through
the ORM and the ETL's matrix builder."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import QuerySet

from applicants.models import Application, Status
from applicants.schema import ApplicationSchema, Feature, get_schema
from config.db_arrays import in_array
from modelops.models import RescoreChunk, RescoreRun
from scoring.features import assemble_matrix, build_matrix, numeric_inputs
from scoring.models import TIERS, Decision

OPEN = (Status.SCORED, Status.IN_REVIEW)
STATUS_CODES: dict[str, int] = {Status.SCORED: 0, Status.IN_REVIEW: 1}


def filtered(filters: dict[str, Any]) -> QuerySet[Application]:
    """The open applications a run with these filters covers."""
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


@dataclass
class ChunkRows:
    ids: list[Any]
    matrix: np.ndarray
    decision_ids: np.ndarray
    old_tiers: np.ndarray
    old_probs: np.ndarray  # (n, 3)
    statuses: np.ndarray  # 0 scored, 1 in review


def load_chunk(schema: ApplicationSchema, run: RescoreRun, chunk: RescoreChunk) -> ChunkRows:
    if connection.vendor == "postgresql":
        return _load_chunk_copy(schema, run, chunk)
    return _load_chunk_orm(schema, run, chunk)


def _chunk_query(run: RescoreRun, chunk: RescoreChunk) -> QuerySet[Application]:
    return filtered(run.filters).filter(pk__gte=chunk.first_id, pk__lte=chunk.last_id)


def _load_chunk_orm(schema: ApplicationSchema, run: RescoreRun, chunk: RescoreChunk) -> ChunkRows:
    apps = list(_chunk_query(run, chunk).order_by("pk").values_list("pk", "answers", "status").distinct())
    current = {
        d.application_id: d
        for d in Decision.objects.filter(
            in_array("application_id", [a[0] for a in apps]), is_current=True
        ).only("id", "application_id", "tier", "prob_low", "prob_medium", "prob_high")
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
        statuses=np.asarray([STATUS_CODES[a[2]] for a in apps], dtype=np.int64),
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
    # The ids are gathered into one array first (unordered: the model's default order would
    # sort them for nothing), then looked up in the primary key: a plan linear in the chunk
    # whatever the planner's statistics. `IN (subquery)` was hash-joined with the whole table
    # (by parallel workers, for every chunk); the range said to both sides of a join went
    # quadratic on a table bulk-loaded and not yet analysed.
    ids_query = _chunk_query(run, chunk).order_by().values("pk")
    ids_sql, ids_params = ids_query.query.sql_with_params()
    with connection.cursor() as cursor:
        inner = cursor.cursor.mogrify(ids_sql, ids_params)  # Django's psycopg 3 client-side cursor
    # Every piece is ours: column expressions from the schema (names checked, values quoted),
    # table names from the models, and the id query bound by the driver.
    sql = (
        f"COPY (SELECT {', '.join(columns)} FROM {Application._meta.db_table} a "  # noqa: S608
        f"LEFT JOIN {Decision._meta.db_table} d ON d.application_id = a.id AND d.is_current "
        f"WHERE a.id = ANY(ARRAY({inner})) ORDER BY a.id) TO STDOUT (FORMAT BINARY)"
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
    with transaction.atomic(), connection.cursor() as cursor:
        # One process per chunk: workers of a parallel plan would only take the cores the
        # other chunks' workers use (and cost more CPU in all than the plan run alone).
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        with cursor.cursor.copy(sql) as copy:
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
