from django.apps import AppConfig


class ModelopsConfig(AppConfig):
    """The model lifecycle: history, training, evaluation, registry, rescoring, deploy."""

    name = "modelops"
    verbose_name = "Model lifecycle"

    def ready(self) -> None:
        # Training runs and Celery rescoring chunks are jobs: one re-drive recovers them.
        from django.db.models import Q

        # Their Celery tasks are named here, so services publish through outbox.jobs.job_publish.
        from modelops.models import RescoreChunk, RescoreMode, RunStatus, TrainingRun
        from modelops.tasks import rescore_chunk, train_model
        from outbox.jobs import JobKind, register_job

        register_job(JobKind(model=TrainingRun, publish=train_model.delay))
        register_job(
            JobKind(
                model=RescoreChunk,
                publish=rescore_chunk.delay,
                publishable=Q(
                    run__mode=RescoreMode.CELERY, run__status__in=[RunStatus.PENDING, RunStatus.RUNNING]
                ),
            )
        )
