"""The star schema for the data team, as data: one definition, DDL for both dialects.

    dim_channel        one row per channel (api, web, chatbot, sms, phone_agent, voice, mail)
    dim_model_version  one row per model version (lineage: schema, training rows, code)
    fact_decision      one row per decision: channel, tier, probabilities, model version,
                       submission and decision times, latency
    fact_review        one row per review: confirm/override, final tier, reason, auditor, time
    fact_answer_provenance  one row per answer of a decided application: how it was captured

Facts join dimensions on channel_code and model_version; fact_review joins fact_decision
on application_id (a review settles the application's current decision).
"""

from __future__ import annotations

from dataclasses import dataclass

from sinks.warehouse import redshift


@dataclass(frozen=True)
class Table:
    name: str
    key: str  # the natural key MERGE matches on; never two rows with one key
    columns: tuple[tuple[str, str], ...]  # (name, type) in the subset both dialects accept

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


TIMESTAMP = "TIMESTAMPTZ"

DIM_CHANNEL = Table(
    "dim_channel",
    "channel_code",
    (
        ("channel_code", "VARCHAR(20) NOT NULL"),
        ("label", "VARCHAR(100) NOT NULL"),
    ),
)
DIM_MODEL_VERSION = Table(
    "dim_model_version",
    "model_version",
    (
        ("model_version", "INTEGER NOT NULL"),
        ("schema_name", "VARCHAR(63) NOT NULL"),
        ("status", "VARCHAR(12) NOT NULL"),
        ("training_rows", "INTEGER"),
        ("training_source", "VARCHAR(200)"),
        ("code_version", "VARCHAR(64)"),
        ("trained_at", TIMESTAMP),
        ("activated_at", TIMESTAMP),
    ),
)
FACT_DECISION = Table(
    "fact_decision",
    "decision_id",
    (
        ("decision_id", "BIGINT NOT NULL"),
        ("application_id", "VARCHAR(36) NOT NULL"),
        ("applicant_id", "VARCHAR(36) NOT NULL"),
        ("channel_code", "VARCHAR(20) NOT NULL"),
        ("model_version", "INTEGER NOT NULL"),
        ("tier", "VARCHAR(8) NOT NULL"),
        ("prob_low", "DOUBLE PRECISION NOT NULL"),
        ("prob_medium", "DOUBLE PRECISION NOT NULL"),
        ("prob_high", "DOUBLE PRECISION NOT NULL"),
        ("routed_to_review", "BOOLEAN NOT NULL"),
        ("routing_reason", "VARCHAR(100)"),
        ("submitted_at", f"{TIMESTAMP} NOT NULL"),
        ("decided_at", f"{TIMESTAMP} NOT NULL"),
        ("latency_ms", "INTEGER"),
        ("loaded_at", f"{TIMESTAMP} NOT NULL"),
    ),
)
FACT_REVIEW = Table(
    "fact_review",
    "review_id",
    (
        ("review_id", "BIGINT NOT NULL"),
        ("application_id", "VARCHAR(36) NOT NULL"),
        ("outcome", "VARCHAR(12) NOT NULL"),
        ("final_tier", "VARCHAR(8) NOT NULL"),
        ("model_tier", "VARCHAR(8)"),
        ("reason_code", "VARCHAR(64)"),
        ("auditor", "VARCHAR(150)"),
        ("reviewed_at", f"{TIMESTAMP} NOT NULL"),
        ("seconds_open", "DOUBLE PRECISION"),
        ("blind", "BOOLEAN"),
        ("application_status", "VARCHAR(20)"),
        ("loaded_at", f"{TIMESTAMP} NOT NULL"),
    ),
)

# Field provenance: how each answer of a decided application was captured (channel, method
# typed/keyed/double_keyed/speech/keypad/api/imported, by whom, when, speech confidence) and
# how many versions it had before it was sent (applicants.provenance). No answer values.
FACT_ANSWER_PROVENANCE = Table(
    "fact_answer_provenance",
    "answer_key",
    (
        ("answer_key", "VARCHAR(100) NOT NULL"),  # application_id:field_name
        ("application_id", "VARCHAR(36) NOT NULL"),
        ("field_name", "VARCHAR(63) NOT NULL"),
        ("channel_code", "VARCHAR(20) NOT NULL"),
        ("method", "VARCHAR(20) NOT NULL"),
        ("captured_by", "VARCHAR(120)"),
        ("captured_at", TIMESTAMP),
        ("confidence", "DOUBLE PRECISION"),
        ("versions", "INTEGER NOT NULL"),
        ("loaded_at", f"{TIMESTAMP} NOT NULL"),
    ),
)

TABLES = (DIM_CHANNEL, DIM_MODEL_VERSION, FACT_DECISION, FACT_REVIEW, FACT_ANSWER_PROVENANCE)

# PostgreSQL has no sort keys: the same access paths as indexes.
POSTGRES_INDEXES = (
    "CREATE INDEX IF NOT EXISTS fact_decision_decided_at ON fact_decision (decided_at)",
    "CREATE INDEX IF NOT EXISTS fact_decision_application ON fact_decision (application_id)",
    "CREATE INDEX IF NOT EXISTS fact_review_reviewed_at ON fact_review (reviewed_at)",
    "CREATE INDEX IF NOT EXISTS fact_review_application ON fact_review (application_id)",
    "CREATE INDEX IF NOT EXISTS fact_answer_provenance_application "
    "ON fact_answer_provenance (application_id)",
)


def create_table_sql(table: Table, dialect: str) -> str:
    columns = ",\n    ".join(f"{name} {kind}" for name, kind in table.columns)
    sql = f"CREATE TABLE IF NOT EXISTS {table.name} (\n    {columns},\n    PRIMARY KEY ({table.key})\n)"
    if dialect == "redshift":
        # Redshift keeps the primary key as information for the planner; MERGE keeps it true.
        sql += "\n" + redshift.TABLE_ATTRIBUTES[table.name]
    return sql


def ddl(dialect: str) -> list[str]:
    statements = [create_table_sql(table, dialect) for table in TABLES]
    if dialect == "postgresql":
        statements += list(POSTGRES_INDEXES)
    return statements
