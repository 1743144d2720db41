from django.apps import AppConfig


class AuditingConfig(AppConfig):
    name = "auditing"
    verbose_name = "Review queue, audit trail pages and labelled exports"

    def ready(self) -> None:
        # Logins of staff are audit trail entries (see auditing/signals.py).
        from auditing import signals  # noqa: F401

        # Decisions routed to review become queue items in the transaction that stores them.
        from auditing.services.queue_items import review_queue_add
        from outbox.registry import DECISIONS_STORED, register_handler

        register_handler(DECISIONS_STORED, review_queue_add)

        # Exports and retraining runs are jobs: the one job re-drive recovers them.
        from auditing.models import ExportJob, RetrainRun
        from auditing.services.exports import MAX_ATTEMPTS
        from auditing.tasks import publish_export
        from outbox.jobs import JobKind, register_job

        register_job(JobKind(model=ExportJob, publish=publish_export, max_attempts=MAX_ATTEMPTS))
        # A retraining run is started by a periodic check, never published: one whose worker
        # died is failed, and the next check (with the labels still new) starts again.
        register_job(JobKind(model=RetrainRun, publish=lambda pk: None, retry_expired=False))
