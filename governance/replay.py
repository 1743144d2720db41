"""Decision replay: a candidate model over the frozen feature rows of a period's stored
decisions, counting who would move tier. It writes no decision.

The path is batch rescoring's (modelops.rescoring): decision-id ranges as chunks, each chunk a
job (outbox.jobs: claimed by a lease, re-driven when its worker dies), rows read with one
binary COPY into a NumPy record array, the scorer's batch predict, tiers from the model's
thresholds. What differs: the rows are the features each decision stored
(`Decision.feature_snapshot`, what the deciding model saw), every period's decisions count
(not only open applications), reasons are never computed (only tiers are needed), and the
result is counts, not decisions: a 3x3 migration matrix (stored tier x replayed tier) overall,
per channel and per protected group (monitoring's groups: age bands from the date of birth,
protected choices by their answer), the review workload before and after, and a CSV list of
the applications that move (objectstore, one file per chunk).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import logging
import uuid
from collections import defaultdict
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from applicants.crypto import decrypt_json
from applicants.groups import UNKNOWN, age_band, protected_attributes, protected_sources
from applicants.models import Application, Channel
from applicants.schema import ApplicationSchema, get_schema
from governance.models import ReplayChunk, ReplayRun, ReplayStatus
from objectstore import store_for
from objectstore.csv_safety import csv_writer
from outbox.jobs import Heartbeat, job_claim, job_heartbeat, job_retry, jobs_publish_on_commit
from scoring.encoding import fits_schema
from scoring.errors import ScoringError
from scoring.features import FEATURE_ROW_DTYPE, feature_row_tag
from scoring.models import TIERS, Decision, ModelVersion
from scoring.probabilities import tier_probabilities, tiers_from_probabilities
from scoring.scorers import InProcessScorer
from trail.services import trail_record

logger = logging.getLogger(__name__)

CHANNELS = list(Channel.values)
LIST_COLUMNS = [
    "application_id",
    "decision_id",
    "channel",
    "decided_at",
    "stored_tier",
    "replayed_tier",
    "stored_p_high",
    "replayed_p_high",
]


class ReplayError(Exception):
    """A replay that cannot be run as asked (unknown model, other features, bad period)."""


# --- starting a run --------------------------------------------------------------------------


def _spec_hashes() -> tuple[str, str]:
    """The spec hashes of the models whose decisions a replay may cover: any model with the
    configured schema's features (its frozen feature rows are read as the schema reads them)."""
    schema = get_schema()
    return schema.feature_spec_hash, schema.feature_spec_hash_any_order


def replay_decisions(model: ModelVersion, since: dt.datetime, until: dt.datetime, channel: str) -> QuerySet:
    """The stored decisions a replay covers: current ones made in [since, until) by a model
    with the candidate's features (so of the configured schema's features)."""
    query = Decision.objects.filter(
        is_current=True,
        created_at__gte=since,
        created_at__lt=until,
        model_version__feature_spec_hash__in=_spec_hashes(),
    )
    return query.filter(application__channel=channel) if channel else query


def replay_start(
    *,
    model: ModelVersion,
    since: dt.datetime,
    until: dt.datetime,
    channel: str = "",
    started_by: Any = None,
    chunk_size: int | None = None,
    dispatch: bool = True,
) -> ReplayRun:
    """Plan a replay (chunks of decision ids) and hand its chunks to the workers once committed
    (dispatch=False: the caller runs them, e.g. replay_run_inline)."""
    schema = get_schema()
    if not fits_schema(model, schema):
        raise ReplayError(f"v{model.version} was trained for other features than {schema.name}")
    if since >= until:
        raise ReplayError("the period's start must come before its end")
    if channel and channel not in CHANNELS:
        raise ReplayError(f"unknown channel {channel!r}")
    size = chunk_size or settings.GOVERNANCE_REPLAY_CHUNK_SIZE
    ranges = _id_ranges(replay_decisions(model, since, until, channel), size)
    total = sum(r[2] for r in ranges)
    with transaction.atomic():
        run = ReplayRun.objects.create(
            model_version=model,
            since=since,
            until=until,
            channel=channel,
            total=total,
            started_by=started_by if getattr(started_by, "pk", None) else None,
            status=ReplayStatus.PENDING if ranges else ReplayStatus.FINISHED,
            finished_at=None if ranges else timezone.now(),
            results={} if ranges else _results(model, []),
        )
        run.list_prefix = f"{settings.GOVERNANCE_REPLAY_STORAGE_URL.rstrip('/')}/run-{run.pk}"
        run.save(update_fields=["list_prefix"])
        chunks = ReplayChunk.objects.bulk_create(
            ReplayChunk(run=run, seq=i, first_id=first, last_id=last, size=n)
            for i, (first, last, n) in enumerate(ranges)
        )
        trail_record(
            action="model.replay",
            object_type="replay_run",
            object_id=run.pk,
            actor=started_by,
            after={
                "model_version": model.version,
                "decisions": total,
                "since": since.isoformat(),
                "until": until.isoformat(),
                "channel": channel,
            },
        )
        if dispatch and chunks:
            jobs_publish_on_commit(ReplayChunk, [c.pk for c in chunks])
    return run


def _id_ranges(decisions: QuerySet, size: int) -> list[tuple[int, int, int]]:
    """(first id, last id, count) per `size` decisions, computed in the database."""
    if connection.vendor != "postgresql":  # SQLite (make run): the ids in Python
        ids = list(decisions.order_by("pk").values_list("pk", flat=True))
        return [
            (ids[i], ids[min(i + size, len(ids)) - 1], len(ids[i : i + size]))
            for i in range(0, len(ids), size)
        ]
    ids_sql, params = decisions.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(d), max(d), count(*) FROM ("  # noqa: S608 (our own query, bound params)
            f"SELECT ids.d, (row_number() OVER (ORDER BY ids.d) - 1) / %s AS bucket FROM ({ids_sql}) ids(d)"
            ") numbered GROUP BY bucket ORDER BY bucket",
            [size, *params],
        )
        return [(int(a), int(b), int(n)) for a, b, n in cursor.fetchall()]


def replay_run_inline(run: ReplayRun) -> ReplayRun:
    """Run every pending chunk in this process (tests, demo, bench)."""
    for chunk_id in run.chunks.filter(status=ReplayStatus.PENDING).values_list("pk", flat=True):
        replay_chunk_execute(chunk_id=chunk_id)
    run.refresh_from_db()
    return run


# --- one chunk -------------------------------------------------------------------------------


def replay_chunk_execute(*, chunk_id: int) -> int:
    """Claim a chunk, replay it, keep its counts; returns how many decisions would move."""
    claim = job_claim(ReplayChunk, chunk_id)
    if claim is None:
        return 0
    chunk = ReplayChunk.objects.select_related("run", "run__model_version").get(pk=chunk_id)
    run = chunk.run
    ReplayRun.objects.filter(pk=run.pk, status=ReplayStatus.PENDING).update(status=ReplayStatus.RUNNING)
    try:
        with Heartbeat(lambda: job_heartbeat(ReplayChunk, chunk_id, claim)):
            counts = replay_chunk_counts(run, chunk)
    except Exception as exc:
        if isinstance(exc, ScoringError) and exc.permanent:
            _fail(chunk, str(exc))
            return 0
        logger.exception("replay %s chunk %s failed", run.pk, chunk.seq)
        if not job_retry(ReplayChunk, chunk_id, claim, error=f"{type(exc).__name__}: {exc}"):
            _fail(chunk, f"{type(exc).__name__}: {exc}")
        return 0
    with transaction.atomic():
        # Only while this claim holds the chunk: a worker that lost its lease counts nothing.
        if not ReplayChunk.objects.filter(pk=chunk.pk, claim=claim, status=ReplayStatus.RUNNING).update(
            status=ReplayStatus.FINISHED,
            counts=counts,
            claim=None,
            lease_expires_at=None,
            next_attempt_at=None,
        ):
            return 0
        ReplayRun.objects.filter(pk=run.pk).update(
            processed=F("processed") + counts["rows"], moved=F("moved") + counts["moved"]
        )
    _close_if_last(run)
    return int(counts["moved"])


def _fail(chunk: ReplayChunk, error: str) -> None:
    with transaction.atomic():
        ReplayChunk.objects.filter(pk=chunk.pk).update(
            status=ReplayStatus.FAILED, error=error[:2000], claim=None, lease_expires_at=None
        )
        ReplayRun.objects.filter(pk=chunk.run_id).exclude(status=ReplayStatus.FAILED).update(
            status=ReplayStatus.FAILED, error=error[:2000], finished_at=timezone.now()
        )


def _close_if_last(run: ReplayRun) -> None:
    """The chunk that finds every chunk finished closes the run (once: a conditional update)
    and adds the chunks' counts up."""
    if ReplayChunk.objects.filter(run=run).exclude(status=ReplayStatus.FINISHED).exists():
        return
    with transaction.atomic():
        if not ReplayRun.objects.filter(pk=run.pk, status=ReplayStatus.RUNNING).update(
            status=ReplayStatus.FINISHED, finished_at=timezone.now()
        ):
            return
        counts = list(ReplayChunk.objects.filter(run=run).values_list("counts", flat=True))
        ReplayRun.objects.filter(pk=run.pk).update(results=_results(run.model_version, counts))


def replay_chunk_counts(run: ReplayRun, chunk: ReplayChunk) -> dict[str, Any]:
    """Score the chunk's stored feature rows with the candidate; count and list the moves."""
    schema = get_schema()
    model = run.model_version
    rows = _load(schema, run, chunk)
    n = len(rows["decision"])
    if n:
        probs = tier_probabilities(model, InProcessScorer().predict_proba(model, rows["matrix"]))
        new = tiers_from_probabilities(probs, model.thresholds).astype(np.int64)
    else:
        probs, new = np.empty((0, 3)), np.empty(0, dtype=np.int64)
    old = rows["tier"]
    cell = old * 3 + new
    counts: dict[str, Any] = {
        "rows": n,
        "moved": int((old != new).sum()),
        "routed": int(rows["routed"].sum()),
        "overall": np.bincount(cell, minlength=9).tolist(),
        "channel": {},
        "groups": {},
    }
    by_channel = np.bincount(rows["channel"] * 9 + cell, minlength=9 * len(CHANNELS)).reshape(-1, 9)
    counts["channel"] = {c: by_channel[i].tolist() for i, c in enumerate(CHANNELS) if by_channel[i].any()}
    for attribute, (names, codes) in _groups(schema, rows["stored"], rows["people"], rows["at"]).items():
        table = np.bincount(codes * 9 + cell, minlength=9 * len(names)).reshape(-1, 9)
        counts["groups"][attribute] = {name: table[i].tolist() for i, name in enumerate(names)}
    _write_list(run, chunk, rows, probs, new)
    return counts


def _write_list(
    run: ReplayRun, chunk: ReplayChunk, rows: dict[str, Any], probs: np.ndarray, new: Any
) -> None:
    moved = np.flatnonzero(rows["tier"] != new)
    buffer = io.StringIO()
    writer = csv_writer(buffer)
    for i in moved:
        writer.writerow(
            [
                str(uuid.UUID(bytes=bytes(rows["application"][i]))),
                int(rows["decision"][i]),
                CHANNELS[int(rows["channel"][i])],
                dt.datetime.fromtimestamp(float(rows["at"][i]), tz=dt.UTC).isoformat(timespec="seconds"),
                TIERS[int(rows["tier"][i])],
                TIERS[int(new[i])],
                round(float(rows["p_high"][i]), 4),
                round(float(probs[i][2]), 4),
            ]
        )
    store_for(run.list_prefix).put(f"chunk-{chunk.seq:05d}.csv", buffer.getvalue().encode())


# --- reading a chunk -------------------------------------------------------------------------


def _chunk_query(run: ReplayRun, chunk: ReplayChunk) -> QuerySet:
    return replay_decisions(run.model_version, run.since, run.until, run.channel).filter(
        pk__gte=chunk.first_id, pk__lte=chunk.last_id
    )


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _feature_row(schema: ApplicationSchema) -> str:
    """Each decision's model row as float4 bytes (scoring.features.feature_row_bytes): the
    stored row where the schema that built it had this schema's exact feature spec, else
    rebuilt from the snapshot (choices by value, numbers as numbers, NaN when missing), the
    snapshot parsed once per row and only for those rows (decisions made before rows were
    stored, or under a schema listing choices in another order)."""
    columns, record = [], []
    for feature in schema.features:  # names are checked by the schema loader (lower_snake_case)
        column = f'f."{feature.name}"'
        if feature.kind == "choice":
            cases = " ".join(f"WHEN {_quote(str(v))} THEN {j}" for j, v in enumerate(feature.choices))
            value = f"(CASE {column} {cases} END)"
            record.append(f'"{feature.name}" text')
        else:
            value = column
            record.append(f'"{feature.name}" float8')
        columns.append(f"float4send(COALESCE({value}::float4, 'NaN'))")
    rebuilt = (
        f"(SELECT {' || '.join(columns)} "  # noqa: S608 (ours: names checked, values quoted)
        f"FROM jsonb_to_record(d.feature_snapshot) AS f({', '.join(record)}))"
    )
    tag = feature_row_tag(schema)
    return (
        f"CASE WHEN substring(d.feature_row FROM 1 FOR {len(tag)}) = '\\x{tag.hex()}'::bytea "
        f"THEN substring(d.feature_row FROM {len(tag) + 1}) ELSE {rebuilt} END"
    )


def group_names(schema: ApplicationSchema) -> dict[str, list[str]]:
    """Every group a protected attribute can have (applicants.groups), in a fixed order."""
    bands = list(settings.MONITORING_AGE_BANDS)
    names: dict[str, list[str]] = {}
    for attribute in protected_attributes(schema):
        field = schema.by_name.get(attribute)
        if field is None:  # an age
            names[attribute] = [age_band(b, bands) for b in [bands[0] - 1, *bands]]
        elif field.type == "boolean":
            names[attribute] = ["True", "False"]
        else:
            names[attribute] = [str(c) for c in field.choices]
        names[attribute].append(UNKNOWN)
    return names


def _where(run: ReplayRun, chunk: ReplayChunk) -> str:
    """replay_decisions' conditions for one chunk, written on the decision row itself (the
    models with the candidate's features by id), so each query joins applications once."""
    models = list(
        ModelVersion.objects.filter(feature_spec_hash__in=_spec_hashes()).values_list("pk", flat=True)
    )
    sql = (
        "d.id BETWEEN %s AND %s AND d.is_current AND d.created_at >= %s AND d.created_at < %s "
        "AND d.model_version_id = ANY(%s)"
    )
    params: list[Any] = [chunk.first_id, chunk.last_id, run.since, run.until, models]
    if run.channel:
        sql += " AND a.channel = %s"
        params.append(run.channel)
    with connection.cursor() as cursor:
        return str(cursor.cursor.mogrify(sql, params))  # Django's psycopg 3 client-side cursor


def _load(schema: ApplicationSchema, run: ReplayRun, chunk: ReplayChunk) -> dict[str, Any]:
    """The chunk's decisions with one COPY … TO STDOUT (FORMAT BINARY): every column fixed
    width, so the stream parses as one NumPy record array (no per-row Python): the model rows,
    the channel and each stored protected group as a code. Decisions without stored groups
    (made before they were) are formed from their answers, read for those alone."""
    if connection.vendor != "postgresql":
        return _load_orm(schema, run, chunk)
    n = len(schema.features)
    groups = group_names(schema)
    channel_codes = " ".join(f"WHEN {_quote(c)} THEN {i}" for i, c in enumerate(CHANNELS))
    columns = [
        "d.id::int8",
        "CASE d.tier WHEN 'low' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END::int8",
        "d.routed_to_review::int::int8",
        "d.application_id",
        "d.prob_high::float8",
        "extract(epoch FROM d.created_at)::float8",
        f"(CASE a.channel {channel_codes} ELSE 0 END)::int8",
        *(
            f"COALESCE(array_position(ARRAY[{', '.join(map(_quote, names))}]::text[], "
            f"d.protected_groups->>{_quote(attribute)}), 0)::int8"
            for attribute, names in groups.items()
        ),
        _feature_row(schema),
    ]
    where = _where(run, chunk)
    sql = (
        f"COPY (SELECT {', '.join(columns)} FROM {Decision._meta.db_table} d "  # noqa: S608 (ours)
        f"JOIN {Application._meta.db_table} a ON a.id = d.application_id "
        f"WHERE {where} ORDER BY d.id) TO STDOUT (FORMAT BINARY)"
    )
    names = [("decision", ">i8"), ("tier", ">i8"), ("routed", ">i8")]
    names += [("application", "V16"), ("p_high", ">f8"), ("at", ">f8"), ("channel", ">i8")]
    names += [(f"g{i}", ">i8") for i in range(len(groups))]
    names += [("row", f"V{4 * n}")]
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for name, kind in names:
        fields += [(f"l_{name}", ">i4"), (name, kind)]
    record = np.dtype(fields)
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        data = b"".join(bytes(block) for block in copy)
    header = 11 + 4 + 4 + int.from_bytes(data[15:19], "big")
    count = (len(data) - header - 2) // record.itemsize
    table = np.frombuffer(data, dtype=record, count=count, offset=header)
    matrix = np.frombuffer(table["row"].tobytes(), dtype=FEATURE_ROW_DTYPE).reshape(count, n)
    out: dict[str, Any] = {
        name: table[name].astype(np.int64) for name in ("decision", "tier", "routed", "channel")
    }
    out.update(
        application=table["application"],
        p_high=table["p_high"].astype(np.float64),
        at=table["at"].astype(np.float64),
        matrix=matrix.astype(np.float32),
    )
    codes = np.stack([table[f"g{i}"] for i in range(len(groups))], axis=1) if groups else np.ones((count, 0))
    stored: list[Any] = [None] * count
    people: list[Any] = [None] * count
    unstored = (codes == 0).any(axis=1)
    named = {a: ["", *names] for a, names in groups.items()}  # array_position counts from 1
    for i in np.flatnonzero(~unstored).tolist():
        stored[i] = {a: named[a][c] for a, c in zip(groups, codes[i].tolist(), strict=True)}
    if unstored.any():
        answers = _answers_of(schema, out["decision"][unstored].tolist())
        for i in np.flatnonzero(unstored).tolist():
            people[i] = answers.get(int(out["decision"][i]), {})
    out["stored"], out["people"] = stored, people
    return out


def _answers_of(schema: ApplicationSchema, decision_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The protected answers (personal ones decrypted, never kept) of these decisions'
    applications: for decisions made before their groups were stored."""
    personal, clear = protected_sources(schema)
    pairs = ", ".join(f"{_quote(name)}, a.answers->{_quote(name)}" for name in clear)
    sql = (
        f"SELECT d.id, {'a.pii' if personal else 'NULL'}, "  # noqa: S608 (ours)
        f"{f'jsonb_build_object({pairs})::text' if clear else 'NULL'} "
        f"FROM {Decision._meta.db_table} d JOIN {Application._meta.db_table} a ON a.id = d.application_id "
        "WHERE d.id = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [decision_ids])
        return {
            r[0]: {**(json.loads(r[2]) if r[2] else {}), **(decrypt_json(r[1]) if r[1] else {})}
            for r in cursor.fetchall()
        }


def _load_orm(schema: ApplicationSchema, run: ReplayRun, chunk: ReplayChunk) -> dict[str, Any]:
    """The same rows through the ORM, for SQLite (make run's embedded database)."""
    rows = list(
        _chunk_query(run, chunk)
        .order_by("pk")
        .values_list(
            "pk",
            "tier",
            "routed_to_review",
            "application__channel",
            "application_id",
            "prob_high",
            "created_at",
        )
    )
    snapshots = dict(_chunk_query(run, chunk).values_list("pk", "feature_snapshot"))
    matrix = np.full((len(rows), len(schema.features)), np.nan, dtype=np.float32)
    for r, row in enumerate(rows):
        snapshot = snapshots[row[0]] or {}
        for c, feature in enumerate(schema.features):
            value = snapshot.get(feature.name)
            if feature.kind == "choice":
                names = [str(v) for v in feature.choices]
                matrix[r, c] = (
                    names.index(str(value)) if value is not None and str(value) in names else np.nan
                )
            elif isinstance(value, int | float):
                matrix[r, c] = float(value)
    return {
        "decision": np.asarray([row[0] for row in rows], dtype=np.int64),
        "tier": np.asarray([TIERS.index(row[1]) for row in rows], dtype=np.int64),
        "routed": np.asarray([int(row[2]) for row in rows], dtype=np.int64),
        "channel": np.asarray(
            [CHANNELS.index(row[3]) if row[3] in CHANNELS else 0 for row in rows], dtype=np.int64
        ),
        "application": [row[4].bytes for row in rows],
        "p_high": np.asarray([row[5] for row in rows], dtype=np.float64),
        "at": np.asarray([row[6].timestamp() for row in rows], dtype=np.float64),
        "matrix": matrix,
        **_group_rows(run, chunk, *protected_sources(schema)),
    }


def _group_rows(run: ReplayRun, chunk: ReplayChunk, personal: bool, clear: list[str]) -> dict[str, list[Any]]:
    """Each decision's stored protected groups, or (made before they were stored) its
    protected answers, through the ORM (SQLite), in decision-id order."""
    stored: list[Any] = []
    people: list[Any] = []
    for groups, answers, pii in (
        _chunk_query(run, chunk)
        .order_by("pk")
        .values_list("protected_groups", "application__answers", "application__pii")
    ):
        stored.append(groups or None)
        person = {**{k: (answers or {}).get(k) for k in clear}, **((pii or {}) if personal else {})}
        people.append(None if groups else person)
    return {"stored": stored, "people": people}


def _groups(
    schema: ApplicationSchema, stored: list[Any], people: list[Any], at: np.ndarray
) -> dict[str, tuple[list[str], np.ndarray]]:
    """Per protected attribute: group names and each row's group code, in decision-id order.
    A decision's stored groups are used as they are; for one made before they were stored,
    the groups are formed as monitoring forms them (applicants.groups: age bands of
    MONITORING_AGE_BANDS on the decision's day; protected choices by their answer), with the
    ages computed for all such rows at once."""
    attributes = protected_attributes(schema)
    if not len(at) or not attributes:
        return {}
    columns = {a: [(g or {}).get(a) or UNKNOWN for g in stored] for a in attributes}
    missing = [i for i, g in enumerate(stored) if not g]
    if missing:
        days = (at[missing] // 86400).astype("int64").astype("datetime64[D]")
        answers = [people[i] or {} for i in missing]
        for d in schema.derived:
            if d.protected and d.age_of:
                names, codes = age_groups([p.get(d.age_of) for p in answers], days)
                for i, code in zip(missing, codes.tolist(), strict=True):
                    columns[d.name][i] = names[code]
        for f in schema.by_name.values():
            if f.protected and f.type in ("choice", "boolean"):
                for i, p in zip(missing, answers, strict=True):
                    columns[f.name][i] = UNKNOWN if p.get(f.name) is None else str(p.get(f.name))
    out = {}
    for attribute, column in columns.items():
        used, codes = np.unique(np.asarray(column, dtype=str), return_inverse=True)
        out[attribute] = ([str(n) for n in used], codes.astype(np.int64))
    return out


def _dates(values: list[Any]) -> np.ndarray:
    """Dates of birth as datetime64[D] (NaT when missing or not a date)."""
    try:
        return np.array([v if isinstance(v, str) and v else "NaT" for v in values], dtype="datetime64[D]")
    except ValueError:  # one bad value: each on its own
        out = np.full(len(values), np.datetime64("NaT"), dtype="datetime64[D]")
        for i, v in enumerate(values):
            with contextlib.suppress(TypeError, ValueError):  # stays NaT: an unknown age
                out[i] = np.datetime64(dt.date.fromisoformat(v), "D")
        return out


def _year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    months = days.astype("datetime64[M]")
    year = days.astype("datetime64[Y]").astype(np.int64) + 1970
    return year, months.astype(np.int64) % 12 + 1, (days - months).astype(np.int64) + 1


def age_groups(born_values: list[Any], on: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Age bands of many people at once: age_on's arithmetic (birthdays not yet reached this
    year take one off), bands and names from monitoring (MONITORING_AGE_BANDS, age_band)."""
    born = _dates(born_values)
    known = ~np.isnat(born)
    by, bm, bd = _year_month_day(np.where(known, born, on))
    oy, om, od = _year_month_day(on)
    age = oy - by - ((om < bm) | ((om == bm) & (od < bd)))
    bands = list(settings.MONITORING_AGE_BANDS)
    index = np.searchsorted(np.asarray(bands), age, side="right") - 1  # -1: under the first band
    index = np.where(known, index, len(bands))  # len(bands): unknown
    names = [age_band(bands[i] if i >= 0 else bands[0] - 1, bands) for i in range(-1, len(bands))] + [UNKNOWN]
    used, codes = np.unique(index + 1, return_inverse=True)
    return [names[u] for u in used], codes.astype(np.int64)


# --- the run's results -----------------------------------------------------------------------


def _add(into: list[int], more: list[int]) -> list[int]:
    return [a + b for a, b in zip(into, more, strict=True)] if into else list(more)


def _results(model: ModelVersion, chunk_counts: list[dict[str, Any]]) -> dict[str, Any]:
    overall: list[int] = [0] * 9
    channel: dict[str, list[int]] = {}
    groups: dict[str, dict[str, list[int]]] = defaultdict(dict)
    routed = 0
    for counts in chunk_counts:
        overall = _add(overall, counts["overall"])
        routed += counts["routed"]
        for name, cells in counts["channel"].items():
            channel[name] = _add(channel.get(name, []), cells)
        for attribute, by_group in counts["groups"].items():
            for group, cells in by_group.items():
                groups[attribute][group] = _add(groups[attribute].get(group, []), cells)
    return {
        "overall": overall,
        "channel": dict(sorted(channel.items())),
        "groups": {a: dict(sorted(g.items())) for a, g in sorted(groups.items())},
        "review": review_workload(overall, routed, model.review_policy or {}),
    }


def review_workload(cells: list[int], routed: int, policy: dict[str, Any]) -> dict[str, Any]:
    """Reviews before (as routed when decided) and expected after, under the candidate's
    review policy (its review tiers always, low at its sample rate), and the expected figure
    of the stored tiers under that same policy, like for like."""
    review_tiers = set(policy.get("review_tiers", ["medium", "high"]))
    rate = float(policy.get("low_sample_rate", 0.0))
    stored = [sum(cells[i * 3 : i * 3 + 3]) for i in range(3)]
    replayed = [sum(cells[j::3]) for j in range(3)]

    def expected(per_tier: list[int]) -> float:
        return sum(n if TIERS[i] in review_tiers else n * rate for i, n in enumerate(per_tier))

    before, after = expected(stored), expected(replayed)
    return {
        "routed": routed,
        "expected_before": round(before, 1),
        "expected_after": round(after, 1),
        "change": round(after - before, 1),
        "change_share": round((after - before) / before, 4) if before else None,
        "stored_per_tier": stored,
        "replayed_per_tier": replayed,
    }


def replay_list_csv(run: ReplayRun) -> Any:
    """The applications that would move tier, as CSV text pieces (header, then each chunk)."""
    buffer = io.StringIO()
    csv_writer(buffer).writerow(LIST_COLUMNS)
    yield buffer.getvalue()
    store = store_for(run.list_prefix)
    for seq in run.chunks.filter(status=ReplayStatus.FINISHED).order_by("seq").values_list("seq", flat=True):
        yield store.get(f"{run.list_prefix}/chunk-{seq:05d}.csv").decode()


def replay_window(days: int | None = None) -> tuple[dt.datetime, dt.datetime]:
    """The recent window evidence packs replay: the last GOVERNANCE_REPLAY_WINDOW_DAYS days."""
    until = timezone.now()
    return until - dt.timedelta(days=days or settings.GOVERNANCE_REPLAY_WINDOW_DAYS), until
