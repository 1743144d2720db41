"""Settings of work handed on (docs/architecture.md, "Work handed on"): scoring claims as
leases, the one job mechanism (training runs, rescoring chunks, exports, retraining), and
the one retry policy for AWS calls."""

from config.env import env_choice, env_float, env_int

# --- scoring claims ----------------------------------------------------------------------------
# A claimed application belongs to its scorer this long after the last heartbeat; a scorer
# renews every quarter of it while it works, so only a dead worker's batch runs out. The
# re-drive (every SCORING_REDRIVE_EVERY_SECONDS) hands an expired batch to another worker:
# a dead worker's applications are scored again within lease + re-drive interval (~30 s).
SCORING_LEASE_SECONDS = env_int("SCORING_LEASE_SECONDS", 20, minimum=3)
SCORING_REDRIVE_EVERY_SECONDS = env_float("SCORING_REDRIVE_EVERY_SECONDS", 10.0, minimum=1.0)
# A scoring request that failed transiently waits base * 2^(n-1) at most (full jitter).
SCORING_RETRY_BASE_SECONDS = env_float("SCORING_RETRY_BASE_SECONDS", 2.0, minimum=0.01)
SCORING_RETRY_MAX_SECONDS = env_float("SCORING_RETRY_MAX_SECONDS", 120.0, minimum=0.01)

# --- jobs (outbox/jobs.py) ---------------------------------------------------------------------
# A running job's lease; its worker renews it every third of this. A killed worker's job is
# waiting again within lease + re-drive interval.
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 30, minimum=3)
JOB_REDRIVE_EVERY_SECONDS = env_float("JOB_REDRIVE_EVERY_SECONDS", 10.0, minimum=1.0)
# A waiting job whose message was lost is published again after this long.
JOB_REDRIVE_AFTER_SECONDS = env_int("JOB_REDRIVE_AFTER_SECONDS", 60, minimum=1)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3, minimum=1)
JOB_RETRY_BASE_SECONDS = env_float("JOB_RETRY_BASE_SECONDS", 5.0, minimum=0.01)
JOB_RETRY_MAX_SECONDS = env_float("JOB_RETRY_MAX_SECONDS", 300.0, minimum=0.01)

# --- AWS calls (config/aws.py) -----------------------------------------------------------------
# botocore's own retry mode for every AWS client (SageMaker runtime, DynamoDB, S3): "standard"
# (exponential backoff with jitter, retry quota) or "adaptive" (adds client-side rate limiting).
AWS_RETRY_MODE = env_choice("AWS_RETRY_MODE", ("standard", "adaptive"), "standard")
# Attempts per call, the first included (per-service settings may lower it).
AWS_MAX_ATTEMPTS = env_int("AWS_MAX_ATTEMPTS", 3, minimum=1, maximum=10)

JOBS_BEAT_SCHEDULE = {
    # Scoring: free expired claims, wake the scorer for requests that wait (scoring/tasks.py).
    "redrive-scoring": {"task": "scoring.tasks.redrive_scoring", "schedule": SCORING_REDRIVE_EVERY_SECONDS},
    # Every job kind: recover expired leases, publish what waits (outbox/jobs.py).
    "redrive-jobs": {"task": "outbox.tasks.redrive_jobs", "schedule": JOB_REDRIVE_EVERY_SECONDS},
    # Delivered outbox messages past OUTBOX_RETENTION_DAYS.
    "purge-outbox": {"task": "outbox.tasks.purge_delivered", "schedule": 3600.0},
}
