from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "privacy"
    verbose_name = "Personal data lifecycle (key rotation, erasure)"

    def ready(self) -> None:
        # An erasure that owes the sinks messages is followed up once it commits.
        from outbox.registry import ERASURE_OWED, register_handler
        from privacy.tasks import follow_up_on_commit

        register_handler(ERASURE_OWED, follow_up_on_commit)
