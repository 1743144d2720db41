from django.apps import AppConfig


class SinksConfig(AppConfig):
    name = "sinks"
    verbose_name = "Sinks (DynamoDB, the warehouse)"

    def ready(self) -> None:
        from config.health import register_check
        from sinks.health import check_outbox, check_sinks

        register_check("sinks", check_sinks)
        register_check("outbox", check_outbox)

        # Every "sink:<name>" topic of the outbox is drained here.
        from outbox.registry import register_consumer
        from outbox.services import SINK_PREFIX
        from sinks.tasks import wake_drain

        register_consumer(SINK_PREFIX, wake_drain)
