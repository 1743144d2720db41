from django.apps import AppConfig


class SinksConfig(AppConfig):
    name = "sinks"
    verbose_name = "Sinks (DynamoDB, the warehouse)"

    def ready(self) -> None:
        from config.health import register_check
        from sinks.health import check_outbox, check_sinks

        register_check("sinks", check_sinks)
        register_check("outbox", check_outbox)
