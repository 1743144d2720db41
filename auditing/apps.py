from django.apps import AppConfig


class AuditingConfig(AppConfig):
    name = "auditing"
    verbose_name = "Review queue, audit trail pages and labelled exports"

    def ready(self) -> None:
        # Logins of staff are audit trail entries (see auditing/signals.py).
        from auditing import signals  # noqa: F401
