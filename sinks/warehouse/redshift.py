"""Redshift-only SQL, kept in this one place. Everything else in the warehouse package is
the subset of SQL that Redshift and PostgreSQL both accept.

- Table attributes: distribution and sort keys (PostgreSQL has neither; its tables get
  indexes instead, see schema.POSTGRES_INDEXES).
- COPY FROM 's3://...': Redshift loads a staged CSV from S3 with an IAM role. PostgreSQL
  cannot read S3, so there the same staged file is streamed through COPY FROM STDIN.
"""

from __future__ import annotations

# Facts are distributed by application (a decision and its reviews land on one slice, so
# joins between the two facts are local) and sorted by time (dashboards filter on it).
# Dimensions are small: a copy on every node (DISTSTYLE ALL).
TABLE_ATTRIBUTES = {
    "dim_channel": "DISTSTYLE ALL SORTKEY (channel_code)",
    "dim_model_version": "DISTSTYLE ALL SORTKEY (model_version)",
    "fact_decision": "DISTSTYLE KEY DISTKEY (application_id) COMPOUND SORTKEY (decided_at, channel_code)",
    "fact_review": "DISTSTYLE KEY DISTKEY (application_id) COMPOUND SORTKEY (reviewed_at, outcome)",
    "fact_answer_provenance": "DISTSTYLE KEY DISTKEY (application_id) SORTKEY (application_id)",
}


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def copy_from_s3(*, table: str, columns: list[str], s3_url: str, iam_role: str) -> str:
    """COPY a staged CSV (header row, \\N for NULL) from S3 into a staging table."""
    return (
        f"COPY {table} ({', '.join(columns)}) FROM {quote_literal(s3_url)} "
        f"IAM_ROLE {quote_literal(iam_role)} FORMAT AS CSV IGNOREHEADER 1 "
        f"NULL AS '\\N' TIMEFORMAT 'auto'"
    )
