"""Settings of the privacy app (erasure requests; see docs/privacy.md)."""

from config.settings.base import CELERY_BEAT_SCHEDULE

# Each erasure request also has its own retrying task; this sweep picks up any whose task was
# lost (a broker outage, a killed worker) so no request stays open unnoticed.
CELERY_BEAT_SCHEDULE["follow-up-erasures"] = {
    "task": "privacy.tasks.follow_up_open_erasures",
    "schedule": 60.0,
}
