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
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import OperationalError, transaction
from django.utils import timezone

from applicants.schema import get_schema
from auditing.labels import LabelFilters, columns, iter_rows
from auditing.models import ExportFormat, ExportJob
from objectstore import store_for
from objectstore.csv_safety import csv_writer
from outbox.jobs import Heartbeat, held, job_claim, job_finish, job_heartbeat, job_publish, job_retry
from trail.services import trail_record

if TYPE_CHECKING:
    from accounts.types import Actor, User

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# Failures another attempt may not meet: the database, AWS, the disk.
TRANSIENT = (OperationalError, BotoCoreError, ClientError, OSError)


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
            [
                "" if row[n] is None else (row[n].isoformat() if isinstance(row[n], dt.datetime) else row[n])
                for n in self.names
            ]
            for row in rows
        )

    def close(self) -> None:
        self.handle.close()


class _ParquetWriter:
    """One row group per chunk, so memory stays flat however large the export."""

    def __init__(self, path: Path, spec: list[tuple[str, str]]):
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {
            "string": pa.string(),
            "float": pa.float64(),
            "int": pa.int64(),
            "bool": pa.bool_(),
            "timestamp": pa.timestamp("us", tz="UTC"),
        }
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


def labels_write(
    *,
    filters: LabelFilters,
    format: str,
    path: Path,
    progress: Callable[[int, int], bool | None] | None = None,
) -> ExportResult:
    """Write the labelled rows matching `filters` to `path`. `progress(done, total)` is called
    after every chunk; returning False stops the export (the job lost its claim)."""
    if format not in ExportFormat.values:
        raise ExportRefused(f"unknown format {format!r}; use csv or parquet")
    schema = get_schema()
    spec = columns(schema)
    reviews = filters.reviews()
    total = reviews.count()
    writer = (
        _ParquetWriter(path, spec)
        if format == ExportFormat.PARQUET
        else _CsvWriter(path, [name for name, _ in spec])
    )
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


def record_export(
    *,
    actor: Actor,
    filters: LabelFilters,
    format: str,
    result: ExportResult,
    destination: str,
    job_id: Any = None,
) -> None:
    trail_record(
        action="labels.exported",
        object_type="export",
        object_id=job_id or "command",
        actor=actor,
        after={
            "filters": filters.as_dict(),
            "format": format,
            "rows": result.rows,
            "fingerprint": result.fingerprint,
            "file": destination,
        },
    )


# --- background jobs -------------------------------------------------------------------------


def export_job_create(*, requested_by: User, format: str, filters: dict[str, Any]) -> ExportJob:
    """Validate (FiltersInvalid / ExportRefused) and queue an export; the worker runs it."""
    if format not in ExportFormat.values:
        raise ExportRefused(f"unknown format {format!r}; use csv or parquet")
    parsed = LabelFilters.parse(filters)
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=requested_by,
            requested_by_label=requested_by.get_username(),
            format=format,
            filters=parsed.as_dict(),
        )
        transaction.on_commit(lambda: job_publish(ExportJob, job.pk))
    return job


def export_job_run(*, job_id: Any) -> ExportJob | None:
    """Claim a queued job (a lease, outbox.jobs), write its file, store it, record it.
    Returns None when the job is moot (done, failed, or running elsewhere)."""
    claim = job_claim(ExportJob, job_id, started_at=timezone.now(), rows_done=0, error="")
    if claim is None:
        return None
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    mine = held(ExportJob, job.pk, claim)

    def progress(done: int, total: int) -> bool:
        return mine.update(rows_done=done, rows_total=total) == 1

    filters = LabelFilters.parse(job.filters)
    try:
        with (
            Heartbeat(lambda: job_heartbeat(ExportJob, job.pk, claim)),
            tempfile.TemporaryDirectory(prefix="label-export-") as tmp,
        ):
            result = labels_write(
                filters=filters, format=job.format, path=Path(tmp) / f"labels.{job.format}", progress=progress
            )
            name = f"labels-{timezone.now():%Y%m%d-%H%M%S}-{job.pk}.{job.format}"
            data = result.path.read_bytes()
            url = store_for(settings.LABEL_EXPORT_STORAGE_URL).put(f"labels/{name}", data)
    except ExportRefused:
        return None
    except TRANSIENT as exc:
        _failed(job, claim, exc)
        return None
    except Exception as exc:
        job_finish(
            ExportJob,
            job.pk,
            claim,
            failed=True,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    with transaction.atomic():
        finished = job_finish(
            ExportJob,
            job.pk,
            claim,
            finished_at=timezone.now(),
            rows_done=result.rows,
            rows_total=result.rows,
            file_url=url,
            file_name=name,
            size_bytes=len(data),
            fingerprint=result.fingerprint,
        )
        if finished:
            record_export(
                actor=job.requested_by or job.requested_by_label,
                filters=filters,
                format=job.format,
                result=result,
                destination=url,
                job_id=job.pk,
            )
    job.refresh_from_db()
    return job


def _failed(job: ExportJob, claim: uuid.UUID, exc: Exception) -> None:
    """A failure that may pass (the database, the object store, the disk): back to the queue
    after a backoff for the job re-drive to hand out, or failed for good after MAX_ATTEMPTS."""
    message = f"{type(exc).__name__}: {exc}"[:2000]
    if not job_retry(ExportJob, job.pk, claim, error=f"will retry: {message}", max_attempts=MAX_ATTEMPTS):
        ExportJob.objects.filter(pk=job.pk, finished_at__isnull=True).update(finished_at=timezone.now())
    logger.warning("label export %s failed (attempt %d): %s", job.pk, job.attempts, message)


def export_file(job: ExportJob) -> bytes:
    """The stored file, from wherever it was put (local disk or S3)."""
    return store_for(job.file_url).get(job.file_url)
