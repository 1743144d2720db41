"""Labelled exports (CSV or Parquet) for the data team: as background jobs with progress,
or at once from `manage.py export_labels`. Every export is an audit trail entry holding its
filters and a fingerprint of its rows (SHA-256 over the rows in order), so anyone holding a
file can prove which export it came from and that it was not altered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from applicants.schema import get_schema
from auditing.csv_safety import csv_writer
from auditing.labels import LabelFilters, columns, iter_rows
from auditing.models import ExportFormat, ExportJob, JobStatus
from objectstore import store_for
from trail.services import trail_record

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class ExportRefused(Exception):
    pass


@dataclass(frozen=True)
class ExportResult:
    rows: int
    fingerprint: str
    path: Path


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "string":
        return str(value)
    if kind == "float":
        return float(value)
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return value  # timestamp: an aware datetime


def _canonical(row: dict[str, Any]) -> bytes:
    return (json.dumps(row, sort_keys=True, default=str, separators=(",", ":")) + "\n").encode()


class _CsvWriter:
    def __init__(self, path: Path, names: list[str]):
        self.handle = path.open("w", newline="", encoding="utf-8")
        self.writer = csv_writer(self.handle)  # text that would run as a formula gets a '
        self.writer.writerow(names)
        self.names = names

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.writer.writerows(
            ["" if row[n] is None else (row[n].isoformat() if isinstance(row[n], dt.datetime)
                                        else row[n]) for n in self.names]
            for row in rows
        )

    def close(self) -> None:
        self.handle.close()


class _ParquetWriter:
    """One row group per chunk, so memory stays flat however large the export."""

    def __init__(self, path: Path, spec: list[tuple[str, str]]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"string": pa.string(), "float": pa.float64(), "int": pa.int64(),
                 "bool": pa.bool_(), "timestamp": pa.timestamp("us", tz="UTC")}
        self.pa, self.spec = pa, spec
        self.schema = pa.schema([(name, types[kind]) for name, kind in spec])
        self.writer = pq.ParquetWriter(str(path), self.schema, compression="zstd")

    def write(self, rows: list[dict[str, Any]]) -> None:
        arrays = [
            self.pa.array([_cell(row[name], kind) for row in rows], type=self.schema.field(name).type)
            for name, kind in self.spec
        ]
        self.writer.write_table(self.pa.Table.from_arrays(arrays, schema=self.schema))

    def close(self) -> None:
        self.writer.close()


def labels_write(*, filters: LabelFilters, format: str, path: Path,
                 progress: Callable[[int, int], bool | None] | None = None) -> ExportResult:
    """Write the labelled rows matching `filters` to `path`. `progress(done, total)` is called
    after every chunk; returning False stops the export (the job lost its claim)."""
    if format not in ExportFormat.values:
        raise ExportRefused(f"unknown format {format!r}; use csv or parquet")
    schema = get_schema()
    spec = columns(schema)
    reviews = filters.reviews()
    total = reviews.count()
    writer = _ParquetWriter(path, spec) if format == ExportFormat.PARQUET else \
        _CsvWriter(path, [name for name, _ in spec])
    digest, done = hashlib.sha256(), 0
    try:
        if progress and progress(0, total) is False:
            raise ExportRefused("the export was taken over by another worker")
        for rows in iter_rows(schema, reviews, chunk=settings.LABEL_EXPORT_CHUNK_ROWS):
            for row in rows:
                digest.update(_canonical(row))
            writer.write(rows)
            done += len(rows)
            if progress and progress(done, max(total, done)) is False:
                raise ExportRefused("the export was taken over by another worker")
    finally:
        writer.close()
    return ExportResult(rows=done, fingerprint=digest.hexdigest(), path=path)


def record_export(*, actor: Any, filters: LabelFilters, format: str, result: ExportResult,
                  destination: str, job_id: Any = None) -> None:
    trail_record(
        action="labels.exported", object_type="export", object_id=job_id or "command",
        actor=actor,
        after={"filters": filters.as_dict(), "format": format, "rows": result.rows,
               "fingerprint": result.fingerprint, "file": destination},
    )


# --- background jobs -------------------------------------------------------------------------


def export_job_create(*, requested_by: Any, format: str, filters: dict[str, Any]) -> ExportJob:
    """Validate (FiltersInvalid / ExportRefused) and queue an export; the worker runs it."""
    if format not in ExportFormat.values:
        raise ExportRefused(f"unknown format {format!r}; use csv or parquet")
    parsed = LabelFilters.parse(filters)
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=requested_by, requested_by_label=requested_by.get_username(),
            format=format, filters=parsed.as_dict(),
        )
        transaction.on_commit(lambda: publish_export(job.pk))
    return job


def publish_export(job_id: Any) -> None:
    from auditing.tasks import run_label_export

    try:
        run_label_export.delay(job_id)
    except Exception:
        logger.warning("broker unavailable; export %s will be re-driven", job_id, exc_info=True)


def export_job_run(*, job_id: Any) -> ExportJob | None:
    """Claim a queued job (conditional UPDATE), write its file, store it, record it.
    Returns None when the job is moot (done, failed, or running elsewhere)."""
    claim = uuid.uuid4()
    claimed = ExportJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, claim=claim, started_at=timezone.now(), rows_done=0,
        attempts=F("attempts") + 1, error="",
    )
    if claimed != 1:
        return None
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    mine = ExportJob.objects.filter(pk=job.pk, claim=claim, status=JobStatus.RUNNING)

    def progress(done: int, total: int) -> bool:
        return mine.update(rows_done=done, rows_total=total) == 1

    filters = LabelFilters.parse(job.filters)
    try:
        with tempfile.TemporaryDirectory(prefix="label-export-") as tmp:
            result = labels_write(filters=filters, format=job.format,
                                  path=Path(tmp) / f"labels.{job.format}", progress=progress)
            name = f"labels-{timezone.now():%Y%m%d-%H%M%S}-{job.pk}.{job.format}"
            data = result.path.read_bytes()
            url = store_for(settings.LABEL_EXPORT_STORAGE_URL).put(f"labels/{name}", data)
    except ExportRefused:
        return None
    except Exception as exc:
        _failed(job, mine, exc)
        raise
    with transaction.atomic():
        finished = mine.update(
            status=JobStatus.DONE, finished_at=timezone.now(), rows_done=result.rows,
            rows_total=result.rows, file_url=url, file_name=name, size_bytes=len(data),
            fingerprint=result.fingerprint, claim=None,
        )
        if finished:
            record_export(actor=job.requested_by or job.requested_by_label, filters=filters,
                          format=job.format, result=result, destination=url, job_id=job.pk)
    job.refresh_from_db()
    return job


def _failed(job: ExportJob, mine: Any, exc: Exception) -> None:
    """Back to the queue for another try (the task retries), or failed for good."""
    message = f"{type(exc).__name__}: {exc}"[:2000]
    if job.attempts < MAX_ATTEMPTS:
        mine.update(status=JobStatus.QUEUED, claim=None, error=f"will retry: {message}")
    else:
        mine.update(status=JobStatus.FAILED, claim=None, finished_at=timezone.now(), error=message)
    logger.warning("label export %s failed (attempt %d): %s", job.pk, job.attempts, message)


def export_jobs_redrive(*, stuck_after: dt.timedelta | None = None) -> int:
    """Periodic: a running job whose worker died goes back to the queue; queued jobs that
    wait (lost message, broker down at creation) are published again."""
    now = timezone.now()
    stuck_after = stuck_after or dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT * 2)
    ExportJob.objects.filter(status=JobStatus.RUNNING, started_at__lt=now - stuck_after).update(
        status=JobStatus.QUEUED, claim=None, error="the worker running it stopped; retrying"
    )
    ExportJob.objects.filter(status=JobStatus.QUEUED, attempts__gte=MAX_ATTEMPTS).update(
        status=JobStatus.FAILED, finished_at=now,
    )
    waiting = list(
        ExportJob.objects.filter(status=JobStatus.QUEUED)
        .filter(Q(created_at__lt=now - dt.timedelta(seconds=60)))
        .values_list("pk", flat=True)[:100]
    )
    for pk in waiting:
        publish_export(pk)
    return len(waiting)


def export_file(job: ExportJob) -> bytes:
    """The stored file, from wherever it was put (local disk or S3)."""
    return store_for(job.file_url).get(job.file_url)
