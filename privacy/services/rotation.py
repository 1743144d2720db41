"""Re-encrypting personal data under the newest key, without downtime.

Every EncryptedJSONField of every installed model is found by a scan of the models, so a
new encrypted column is rotated without anyone remembering to add it here. Each column is
walked in primary-key order (keyset pagination: constant cost per batch however far in),
each batch read outside any transaction, re-encrypted in Python with MultiFernet.rotate,
and written back in its own short transaction with a conditional UPDATE (only where the
stored token is still the one read), so a row changed meanwhile by the platform keeps its
new value. The batch's checkpoint moves in the same transaction, so an interrupted run
resumes where it stopped, and a second run finds nothing left to do.

Reads never stop: both keys are configured throughout (the newest first), so a row is
readable before, during and after its own rewrite.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.utils import timezone

from applicants.crypto import (
    DecryptionFailed,
    is_under_primary_key,
    primary_key_fingerprint,
    rotate_token,
)
from applicants.fields import EncryptedJSONField
from privacy.models import RotationCheckpoint

DEFAULT_BATCH = 500


class RotationFailed(Exception):
    """A stored value cannot be opened with any configured key: a key is missing."""


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[models.Model]
    field: models.Field

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.field.name}"

    @property
    def sql_names(self) -> tuple[str, str, str]:
        quote = connection.ops.quote_name
        pk = self.model._meta.pk
        pk_column, column = pk.column if pk else None, self.field.column
        assert pk_column is not None and column is not None  # concrete columns of a concrete model
        return (quote(self.model._meta.db_table), quote(pk_column), quote(column))


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column of every installed, managed model, in a stable order."""
    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        for model_field in meta.concrete_fields:
            if isinstance(model_field, EncryptedJSONField):
                found.append(EncryptedColumn(model, model_field))
    return sorted(found, key=lambda column: column.label)


@dataclass
class ColumnReport:
    column: str
    rotated: int = 0
    already_current: int = 0
    changed_meanwhile: int = 0
    batches: int = 0
    seconds: float = 0.0
    resumed_after: str = ""
    finished: bool = False

    @property
    def rows(self) -> int:
        return self.rotated + self.already_current + self.changed_meanwhile

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (
            f"{self.column}: {self.rows:,} rows ({self.rotated:,} re-encrypted, "
            f"{self.already_current:,} already under the newest key, "
            f"{self.changed_meanwhile:,} changed meanwhile), {self.rows_per_second:,.0f} rows/s"
        )


@dataclass
class Batch:
    """One batch as read, for the `before_write` hook (tests use it to write concurrently)."""

    column: EncryptedColumn
    pks: list[Any] = field(default_factory=list)


def rotate_column(
    column: EncryptedColumn,
    *,
    batch_size: int = DEFAULT_BATCH,
    restart: bool = False,
    progress: Callable[[ColumnReport], None] | None = None,
    before_write: Callable[[Batch], None] | None = None,
) -> ColumnReport:
    """Re-encrypt one column under the newest key, batch by batch (see the module's doc)."""
    fingerprint = primary_key_fingerprint()
    checkpoint, _ = RotationCheckpoint.objects.get_or_create(key_fingerprint=fingerprint, column=column.label)
    if restart:
        RotationCheckpoint.objects.filter(pk=checkpoint.pk).update(
            last_pk="",
            rotated=0,
            already_current=0,
            changed_meanwhile=0,
            finished_at=None,
            started_at=timezone.now(),
        )
        checkpoint.refresh_from_db()
    report = ColumnReport(column=column.label, resumed_after=checkpoint.last_pk)
    if checkpoint.finished_at is not None:
        report.finished = True
        return report
    pk_field = column.model._meta.pk
    after = pk_field.to_python(checkpoint.last_pk) if checkpoint.last_pk else None
    started = time.monotonic()
    while True:
        rows = _read_batch(column, after=after, limit=batch_size)
        if not rows:
            break
        updates, current = _reencrypt(column, rows)
        if before_write:
            before_write(Batch(column, [pk for pk, _ in rows]))
        written = _write_batch(column, updates, last_pk=rows[-1][0], checkpoint=checkpoint, current=current)
        report.batches += 1
        report.rotated += written
        report.already_current += current
        report.changed_meanwhile += len(updates) - written
        report.seconds = time.monotonic() - started
        after = rows[-1][0]
        if progress:
            progress(report)
        if len(rows) < batch_size:
            break
    RotationCheckpoint.objects.filter(pk=checkpoint.pk).update(
        finished_at=timezone.now(), updated_at=timezone.now()
    )
    report.seconds = time.monotonic() - started
    report.finished = True
    return report


def _read_batch(column: EncryptedColumn, *, after: Any, limit: int) -> list[tuple[Any, str]]:
    table, pk, col = column.sql_names
    # Names come from the models, never from input.
    where = f"{col} IS NOT NULL" + (f" AND {pk} > %s" if after is not None else "")
    params = ([_db_pk(column, after)] if after is not None else []) + [limit]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {col} FROM {table} WHERE {where} ORDER BY {pk} LIMIT %s",  # noqa: S608
            params,
        )
        return [(column.model._meta.pk.to_python(pk_value), token) for pk_value, token in cursor.fetchall()]


def _db_pk(column: EncryptedColumn, value: Any) -> Any:
    """A primary key as the database driver takes it (a UUID is text on SQLite)."""
    return column.model._meta.pk.get_db_prep_value(value, connection)


def _reencrypt(
    column: EncryptedColumn, rows: Iterable[tuple[Any, str]]
) -> tuple[list[tuple[str, Any, str]], int]:
    """(new token, pk, old token) for rows under an older key; and how many were current."""
    updates, current = [], 0
    for pk, token in rows:
        if is_under_primary_key(token):
            current += 1
            continue
        try:
            updates.append((rotate_token(token), _db_pk(column, pk), token))
        except DecryptionFailed as exc:
            raise RotationFailed(
                f"{column.label} of row {pk} cannot be decrypted with any key in "
                f"PII_ENCRYPTION_KEYS: is an older key missing from the list?"
            ) from exc
    return updates, current


def _write_batch(
    column: EncryptedColumn,
    updates: list[tuple[str, Any, str]],
    *,
    last_pk: Any,
    checkpoint: RotationCheckpoint,
    current: int,
) -> int:
    """The conditional UPDATEs and the checkpoint, in one short transaction; returns how
    many rows were rewritten (the rest changed meanwhile and keep their newer value)."""
    table, pk, col = column.sql_names
    written = 0
    with transaction.atomic():
        if updates:
            with connection.cursor() as cursor:
                # One statement per row, sent together (psycopg pipelines executemany); the
                # summed row count says how many rows still held the token we read.
                sql = f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s"  # noqa: S608
                cursor.executemany(sql, updates)
                written = max(cursor.rowcount, 0)
        RotationCheckpoint.objects.filter(pk=checkpoint.pk).update(
            last_pk=str(last_pk),
            rotated=models.F("rotated") + written,
            already_current=models.F("already_current") + current,
            changed_meanwhile=models.F("changed_meanwhile") + (len(updates) - written),
            updated_at=timezone.now(),
        )
    return written


@dataclass
class ColumnCheck:
    column: str
    rows: int = 0
    under_older_keys: int = 0
    unreadable: int = 0


def check_column(column: EncryptedColumn, *, batch_size: int = 2000) -> ColumnCheck:
    """How many rows are not yet under the newest key (and how many no configured key opens):
    both must be 0 before an older key is taken out of PII_ENCRYPTION_KEYS."""
    result = ColumnCheck(column=column.label)
    after = None
    while True:
        rows = _read_batch(column, after=after, limit=batch_size)
        for _, token in rows:
            result.rows += 1
            if is_under_primary_key(token):
                continue
            try:
                rotate_token(token)
                result.under_older_keys += 1
            except DecryptionFailed:
                result.unreadable += 1
        if len(rows) < batch_size:
            return result
        after = rows[-1][0]
