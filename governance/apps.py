from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Decision replay and evidence-gated promotion: sits above modelops, monitoring and
    scoring (it imports them; they never import it)."""

    name = "governance"
    verbose_name = "Model governance"

    def ready(self) -> None:
        from django.db.models import Q

        from governance.evidence import approval_gate
        from governance.models import ReplayChunk, ReplayStatus
        from governance.tasks import replay_chunk
        from modelops.registry import register_approval_gate
        from outbox.jobs import JobKind, register_job

        register_approval_gate("governance.evidence", approval_gate)
        register_job(
            JobKind(
                model=ReplayChunk,
                publish=replay_chunk.delay,
                publishable=Q(run__status__in=[ReplayStatus.PENDING, ReplayStatus.RUNNING]),
            )
        )
