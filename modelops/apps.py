from django.apps import AppConfig


class ModelopsConfig(AppConfig):
    """The model lifecycle: history, training, evaluation, registry, rescoring, deploy."""

    name = "modelops"
    verbose_name = "Model lifecycle"

    def ready(self) -> None:
        # Training runs and Celery rescoring chunks are jobs: one re-drive recovers them.
        from django.db.models import Q

        from modelops.models import RescoreChunk, RescoreMode, RunStatus, TrainingRun
        from modelops.rescoring import publish_chunk
        from modelops.services import publish_training
        from outbox.jobs import JobKind, register_job

        register_job(JobKind(model=TrainingRun, publish=publish_training))
        register_job(
            JobKind(
                model=RescoreChunk,
                publish=publish_chunk,
                publishable=Q(
                    run__mode=RescoreMode.CELERY, run__status__in=[RunStatus.PENDING, RunStatus.RUNNING]
                ),
            )
        )
