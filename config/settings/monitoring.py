"""Settings of monitoring (app `monitoring`): drift thresholds, fairness and label-quality
limits, alert rules and where alerts go. Imported at the end of base.py. See docs/monitoring.md.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from config.env import env_float, env_int, env_list, env_str
from config.settings.base import CELERY_BEAT_SCHEDULE

__all__ = [
    "MONITORING_AGE_BANDS",
    "MONITORING_ALERT_COOLDOWN_SECONDS",
    "MONITORING_ALERT_EMAILS",
    "MONITORING_ALERT_SNS_TOPIC_ARN",
    "MONITORING_ALERT_WEBHOOK_URL",
    "MONITORING_DEAD_LETTERS_MAX",
    "MONITORING_FAIRNESS_MIN_GROUP",
    "MONITORING_FAVOURABLE_TIERS",
    "MONITORING_IMPACT_RATIO_MIN",
    "MONITORING_PSI_ACT",
    "MONITORING_PSI_BINS",
    "MONITORING_PSI_MIN_ROWS",
    "MONITORING_PSI_WATCH",
    "MONITORING_PSI_WINDOW_DAYS",
    "MONITORING_QUALITY_MARGIN",
    "MONITORING_QUALITY_MIN_LABELS",
    "MONITORING_QUEUE_AGE_MAX_SECONDS",
    "MONITORING_RECOMPUTE_DAYS",
    "MONITORING_RUBBER_STAMP_AGREEMENT",
    "MONITORING_SHORT_DWELL_SECONDS",
    "MONITORING_SINK_LAG_MAX_SECONDS",
]

# Drift: population stability index thresholds (0.1 watch, 0.25 act: the usual credit-risk
# reading), the number of quantile bins of the training baseline, and the fewest rows a
# window needs before its PSI means anything (with 10 bins, noise alone is about 9 / rows).
MONITORING_PSI_WATCH = env_float("MONITORING_PSI_WATCH", 0.1)
MONITORING_PSI_ACT = env_float("MONITORING_PSI_ACT", 0.25)
MONITORING_PSI_BINS = env_int("MONITORING_PSI_BINS", 10)
MONITORING_PSI_MIN_ROWS = env_int("MONITORING_PSI_MIN_ROWS", 200)
# PSI of a day is over the window of days ending with it (a quiet channel's day is too few rows).
MONITORING_PSI_WINDOW_DAYS = env_int("MONITORING_PSI_WINDOW_DAYS", 7, minimum=1)
if not 0 < MONITORING_PSI_WATCH < MONITORING_PSI_ACT:
    raise ImproperlyConfigured("MONITORING_PSI_WATCH must be above 0 and below MONITORING_PSI_ACT")
if MONITORING_PSI_BINS < 2:
    raise ImproperlyConfigured("MONITORING_PSI_BINS must be at least 2")

# The daily jobs recompute this many past days each run (late labels and reviews land later).
MONITORING_RECOMPUTE_DAYS = env_int("MONITORING_RECOMPUTE_DAYS", 3)

# Fairness: which tiers count as the favourable outcome, age bands (lower bounds in years),
# the smallest group whose rate is shown, and the four-fifths rule.
MONITORING_FAVOURABLE_TIERS = env_list("MONITORING_FAVOURABLE_TIERS", ["low"])
MONITORING_AGE_BANDS = [int(x) for x in env_list("MONITORING_AGE_BANDS", ["18", "25", "35", "50", "65"])]
MONITORING_FAIRNESS_MIN_GROUP = env_int("MONITORING_FAIRNESS_MIN_GROUP", 30)
MONITORING_IMPACT_RATIO_MIN = env_float("MONITORING_IMPACT_RATIO_MIN", 0.8)

# Quality: an alert when the weighted accuracy of a week falls this far under the model's
# accuracy at training, once the week has this many labels.
MONITORING_QUALITY_MARGIN = env_float("MONITORING_QUALITY_MARGIN", 0.05)
MONITORING_QUALITY_MIN_LABELS = env_int("MONITORING_QUALITY_MIN_LABELS", 30)

# Label quality: rubber-stamping is most reviews shorter than this with near-total agreement.
MONITORING_SHORT_DWELL_SECONDS = env_float("MONITORING_SHORT_DWELL_SECONDS", 5.0)
MONITORING_RUBBER_STAMP_AGREEMENT = env_float("MONITORING_RUBBER_STAMP_AGREEMENT", 0.97)

# Operations alert limits.
MONITORING_QUEUE_AGE_MAX_SECONDS = env_int("MONITORING_QUEUE_AGE_MAX_SECONDS", 24 * 3600)
MONITORING_SINK_LAG_MAX_SECONDS = env_int("MONITORING_SINK_LAG_MAX_SECONDS", 900)
MONITORING_DEAD_LETTERS_MAX = env_int("MONITORING_DEAD_LETTERS_MAX", 0)

# Alerts: one notification per alert and cool-down; where they go (each optional).
MONITORING_ALERT_COOLDOWN_SECONDS = env_int("MONITORING_ALERT_COOLDOWN_SECONDS", 6 * 3600)
MONITORING_ALERT_EMAILS = env_list("MONITORING_ALERT_EMAILS", [])
MONITORING_ALERT_SNS_TOPIC_ARN = env_str("MONITORING_ALERT_SNS_TOPIC_ARN", "")
MONITORING_ALERT_WEBHOOK_URL = env_str("MONITORING_ALERT_WEBHOOK_URL", "")
if MONITORING_ALERT_WEBHOOK_URL and not MONITORING_ALERT_WEBHOOK_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured("MONITORING_ALERT_WEBHOOK_URL must be an http:// or https:// URL")

CELERY_BEAT_SCHEDULE["monitoring-rollups"] = {
    "task": "monitoring.tasks.rollup_daily",
    "schedule": env_float("MONITORING_ROLLUP_SECONDS", 3600.0),
}
CELERY_BEAT_SCHEDULE["monitoring-operations"] = {
    "task": "monitoring.tasks.snapshot_operations",
    "schedule": 300.0,
}
