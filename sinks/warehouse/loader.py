"""Micro-batch loading: stage the batch as CSV, then MERGE it into the table, so loading
the same batch twice leaves one row per key (re-delivery never duplicates).

Staging, by settings:
- WAREHOUSE_STAGING_URL=s3://bucket/prefix: the CSV is put on S3 first. Redshift COPYs it
  from there (redshift.copy_from_s3); PostgreSQL, which cannot read S3, streams the same
  staged object through COPY FROM STDIN. Locally the S3 step runs against an S3 stand-in.
- no staging URL (PostgreSQL only): the CSV goes straight through COPY FROM STDIN.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterable
from typing import Any

import psycopg

from objectstore import store_for
from sinks.warehouse import redshift
from sinks.warehouse.schema import Table

NULL = "\\N"


def _field(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.datetime):
        text = value.isoformat()
    elif isinstance(value, float):
        text = repr(value)
    else:
        text = str(value)
    # Every value quoted, so a value that reads "\N" stays text; only NULL is bare.
    return '"' + text.replace('"', '""') + '"'


def to_csv(table: Table, rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    out.write(",".join(table.column_names) + "\n")
    for row in rows:
        out.write(",".join(_field(row.get(name)) for name in table.column_names) + "\n")
    return out.getvalue().encode()


def merge_sql(table: Table, stage: str) -> str:
    """MERGE in the form both Redshift and PostgreSQL (15+) accept."""
    others = [c for c in table.column_names if c != table.key]
    # Names come from schema.py, never from input.
    return (
        f"MERGE INTO {table.name} USING {stage} s ON {table.name}.{table.key} = s.{table.key} "  # noqa: S608
        f"WHEN MATCHED THEN UPDATE SET {', '.join(f'{c} = s.{c}' for c in others)} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(table.column_names)}) "
        f"VALUES ({', '.join(f's.{c}' for c in table.column_names)})"
    )


class WarehouseLoader:
    def __init__(self, conn: psycopg.Connection, *, dialect: str, staging_url: str = "", iam_role: str = ""):
        self.conn, self.dialect = conn, dialect
        self.staging_url, self.iam_role = staging_url, iam_role
        self.staged: list[str] = []

    def merge(self, table: Table, rows: list[dict[str, Any]]) -> int:
        """Stage `rows` and merge them into `table` (in the caller's transaction)."""
        unique = list({row[table.key]: row for row in rows}.values())  # MERGE needs unique keys
        if not unique:
            return 0
        stage = f"stage_{table.name}"
        with self.conn.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {stage}")
            cursor.execute(f"CREATE TEMP TABLE {stage} (LIKE {table.name})")
            self._stage(cursor, stage, table, to_csv(table, unique))
            cursor.execute(merge_sql(table, stage))
            cursor.execute(f"DROP TABLE {stage}")
        return len(unique)

    def _stage(self, cursor: psycopg.Cursor, stage: str, table: Table, data: bytes) -> None:
        if self.staging_url:
            day = dt.datetime.now(dt.UTC).strftime("%Y/%m/%d")
            key = f"{table.name}/{day}/{uuid.uuid4().hex}.csv"
            url = store_for(self.staging_url).put(key, data)
            self.staged.append(url)
            if self.dialect == "redshift":
                cursor.execute(
                    redshift.copy_from_s3(
                        table=stage, columns=table.column_names, s3_url=url, iam_role=self.iam_role
                    )
                )
                return
            data = store_for(self.staging_url).get(url)
        columns = ", ".join(table.column_names)
        with cursor.copy(
            f"COPY {stage} ({columns}) FROM STDIN WITH (FORMAT csv, HEADER true, NULL '\\N')"
        ) as copy:
            copy.write(data)
