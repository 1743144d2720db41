from django.apps import AppConfig


class MailChannelConfig(AppConfig):
    name = "channels_ingest.mail"
    label = "channels_mail"
    verbose_name = "Mail entry (double keying)"

    def ready(self) -> None:
        from accounts.access import register_review_conflicts
        from channels_ingest.mail.selectors import applications_worked_on_by

        # Both clerks and the resolver of a form may not review its application.
        register_review_conflicts(applications_worked_on_by)
