"""Settings of the sinks (app `sinks`: DynamoDB, the warehouse) and the outbox drain.

See docs/persistence.md for what each one changes.
"""

import os

from django.core.exceptions import ImproperlyConfigured

from config.env import env_choice, env_float, env_int, env_list, env_str

KNOWN_SINKS = ("dynamodb", "warehouse")

# External stores every decision and review must reach, through the outbox. Empty: none
# (the embedded default); "dynamodb,warehouse" with the stand-ins (make services) or AWS.
SINKS = env_list("SINKS", [])
if unknown := sorted(set(SINKS) - set(KNOWN_SINKS)):
    raise ImproperlyConfigured(
        f"SINKS={','.join(SINKS)!r}: unknown sink(s) {', '.join(unknown)}; known: {', '.join(KNOWN_SINKS)}"
    )

# --- DynamoDB (operational store) ----------------------------------------------------------
DYNAMODB_TABLE = env_str("DYNAMODB_TABLE", "riskscore-applications")
# Empty: AWS itself (boto3's usual endpoint); the stand-in: http://127.0.0.1:4567.
DYNAMODB_ENDPOINT_URL = env_str("DYNAMODB_ENDPOINT_URL", os.environ.get("AWS_ENDPOINT_URL_DYNAMODB", ""))
DYNAMODB_REGION = env_str("DYNAMODB_REGION", os.environ.get("AWS_DEFAULT_REGION", "us-east-1"))
# Seconds a DynamoDB call may take before the drain gives up and backs off.
DYNAMODB_TIMEOUT_SECONDS = env_float("DYNAMODB_TIMEOUT_SECONDS", 5.0, minimum=0.1)

# --- The warehouse (Redshift, or PostgreSQL locally) ----------------------------------------
WAREHOUSE_DIALECT = env_choice("WAREHOUSE_DIALECT", ("postgresql", "redshift"), "postgresql")
WAREHOUSE_URL = env_str("WAREHOUSE_URL", "postgres://postgres@127.0.0.1:5432/riskscore_warehouse")
# Where a micro-batch is staged as CSV before COPY: "" stages through the SQL connection
# (PostgreSQL only); s3://bucket/prefix stages on S3 (required for Redshift).
WAREHOUSE_STAGING_URL = env_str("WAREHOUSE_STAGING_URL", "")
# Redshift's COPY reads S3 with this role (Redshift only).
WAREHOUSE_IAM_ROLE = env_str("WAREHOUSE_IAM_ROLE", "")
WAREHOUSE_CONNECT_TIMEOUT_SECONDS = env_int("WAREHOUSE_CONNECT_TIMEOUT_SECONDS", 5, minimum=1)
# Statements longer than this are cancelled, so an unreachable warehouse cannot hang a drain.
WAREHOUSE_STATEMENT_TIMEOUT_SECONDS = env_int("WAREHOUSE_STATEMENT_TIMEOUT_SECONDS", 60, minimum=1)
if WAREHOUSE_DIALECT == "redshift" and not WAREHOUSE_STAGING_URL.startswith("s3://"):
    raise ImproperlyConfigured("WAREHOUSE_DIALECT=redshift needs WAREHOUSE_STAGING_URL=s3://bucket/prefix")

# --- The outbox drain -----------------------------------------------------------------------
# Messages one drain claims at a time (one BatchWriteItem series, one warehouse MERGE).
OUTBOX_DRAIN_BATCH = env_int("OUTBOX_DRAIN_BATCH", 500, minimum=1, maximum=10_000)
# While a drain waits in the queue, further asks are skipped, but at most for this long:
# then one more is published (the first may sit behind a long queue of scoring tasks).
OUTBOX_DRAIN_ASK_EVERY_SECONDS = env_float("OUTBOX_DRAIN_ASK_EVERY_SECONDS", 0.5, minimum=0.0)
# A drain waits this long before it claims (the asks meanwhile are coalesced into it), so under
# load one drain delivers many decisions instead of a few: on two cores drains taken at once,
# one per commit, took the CPU the web needed (docs/persistence.md has the figures). A wait in
# the task, not a countdown: see docs/persistence.md on ETA messages. 0: at once.
OUTBOX_DRAIN_GATHER_SECONDS = env_float("OUTBOX_DRAIN_GATHER_SECONDS", 0.1, minimum=0.0, maximum=5.0)
# A drain task keeps claiming batches for at most this long, then leaves the rest to the next.
OUTBOX_DRAIN_SECONDS = env_float("OUTBOX_DRAIN_SECONDS", 20.0, minimum=0.1)
# Failed deliveries wait base * 2^attempts seconds (with jitter), at most the max.
OUTBOX_RETRY_BASE_SECONDS = env_float("OUTBOX_RETRY_BASE_SECONDS", 2.0, minimum=0.01)
OUTBOX_RETRY_MAX_SECONDS = env_float("OUTBOX_RETRY_MAX_SECONDS", 300.0, minimum=0.01)
# After this many failed attempts a message becomes a dead letter and the admins are alerted.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 12, minimum=1)
# Delivered messages are deleted after this many days (0 keeps them forever).
OUTBOX_RETENTION_DAYS = env_int("OUTBOX_RETENTION_DAYS", 14, minimum=0)
# /readyz calls a backlog older than this (seconds) stale: the sink is not keeping up.
OUTBOX_STALE_SECONDS = env_int("OUTBOX_STALE_SECONDS", 300, minimum=1)

# --- Alerts ---------------------------------------------------------------------------------
# Dead letters are mailed to ADMINS ("Name <mail>,..."), and published to this SNS topic if set.
ADMINS = [
    (entry.split("<")[0].strip() or entry, entry.split("<")[-1].rstrip(">").strip())
    for entry in env_list("DJANGO_ADMINS", [])
]
ALERT_SNS_TOPIC_ARN = env_str("ALERT_SNS_TOPIC_ARN", "")
