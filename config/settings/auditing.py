"""Settings of the review queue, the audit trail pages and labelled exports (app `auditing`)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_float, env_int, env_list, env_str

# A claim on a review item lasts this long; the open page renews it while the auditor works.
REVIEW_LEASE_SECONDS = env_int("REVIEW_LEASE_SECONDS", 300, minimum=30, maximum=24 * 3600)
# Share of review items shown "blind" (without the model's tier, probabilities and reasons),
# so label quality can compare how often auditors agree with a model they could not see.
REVIEW_BLIND_SHARE = env_float("REVIEW_BLIND_SHARE", 0.1, minimum=0.0, maximum=1.0)
# Share of review items labelled twice: once labelled, the item goes back to the queue for
# another auditor, who does not see the first label; the pairs give Cohen's kappa on the
# label-quality page. Drawn like the blind share (a stable hash of the application id).
REVIEW_INDEPENDENT_SHARE = env_float("REVIEW_INDEPENDENT_SHARE", 0.05, minimum=0.0, maximum=1.0)
# The answer that measures the impact of a wrong decision: priority = P(high) x this value.
REVIEW_IMPACT_FIELD = env_str("REVIEW_IMPACT_FIELD", "requested_amount")
REVIEW_QUEUE_PAGE_SIZE = env_int("REVIEW_QUEUE_PAGE_SIZE", 50, minimum=5, maximum=500)
# Decisions routed to review become items in the transaction that stores them (the
# "decision.routed" outbox event); this slow sweep is only a safety net for applications
# moved to review by other means (an import, a manual repair).
REVIEW_QUEUE_SYNC_SECONDS = env_float("REVIEW_QUEUE_SYNC_SECONDS", 300.0, minimum=1.0)


def _reason_codes(raw: list[str]) -> dict[str, str]:
    """`code=Label` items; the code is what exports and sinks carry, the label what people read."""
    codes: dict[str, str] = {}
    for item in raw:
        code, sep, label = item.partition("=")
        code = code.strip()
        if not sep or not code or not label.strip() or not code.replace("_", "").isalnum():
            raise ImproperlyConfigured(
                f"REVIEW_REASON_CODES item {item!r} must look like code=Label (code: letters, "
                "digits, underscores)"
            )
        codes[code] = label.strip()
    if not codes:
        raise ImproperlyConfigured("REVIEW_REASON_CODES must name at least one reason")
    return codes


# Why an auditor overrides (or, in a blind review, settles on) a tier.
REVIEW_REASON_CODES = _reason_codes(
    env_list(
        "REVIEW_REASON_CODES",
        [
            "income_not_supported=Income or employment not supported by the evidence",
            "affordability=Affordability differs from what the model assumed",
            "credit_history=Credit history is better or worse than the answers suggest",
            "data_error=An answer was keyed or read wrongly",
            "fraud_suspected=Signs of fraud or identity misuse",
            "policy_exception=A documented policy exception applies",
            "evidence_supports_tier=The evidence supports this tier",
            "other=Other (explain in the note)",
        ],
    )
)

# Labelled exports: where files go (file:// or s3://), rows per progress step.
_VAR_DIR = Path(env_str("RISKSCORE_VAR_DIR", str(Path(__file__).resolve().parents[2] / "var")))
LABEL_EXPORT_STORAGE_URL = env_str("LABEL_EXPORT_STORAGE_URL", f"file://{_VAR_DIR / 'exports'}")
LABEL_EXPORT_CHUNK_ROWS = env_int("LABEL_EXPORT_CHUNK_ROWS", 2000, minimum=100, maximum=100_000)
# A trail export is built in one request; beyond this many entries, narrow the filters.
TRAIL_EXPORT_MAX_ROWS = env_int("TRAIL_EXPORT_MAX_ROWS", 200_000, minimum=100)

# Retraining from labels: beat checks this often; past this many new labels it trains a
# candidate and emails the approvers, who approve it in the model registry.
RETRAIN_CHECK_SECONDS = env_float("RETRAIN_CHECK_SECONDS", 3600.0, minimum=10.0)
RETRAIN_MIN_NEW_LABELS = env_int("RETRAIN_MIN_NEW_LABELS", 500, minimum=1)
# Links in emails point here.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "riskscore <riskscore@localhost>")

REVIEW_BEAT_SCHEDULE = {
    "review-queue-sync": {"task": "auditing.tasks.sync_review_queue", "schedule": REVIEW_QUEUE_SYNC_SECONDS},
    "review-release-expired": {"task": "auditing.tasks.release_expired_claims", "schedule": 60.0},
    "retrain-from-labels": {
        "task": "auditing.tasks.retrain_from_labels_if_due",
        "schedule": RETRAIN_CHECK_SECONDS,
    },
}
