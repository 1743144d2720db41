from django.apps import AppConfig


class PhoneChannelConfig(AppConfig):
    name = "channels_ingest.phone"
    label = "channels_phone"
    verbose_name = "Call-centre agent screen"

    def ready(self) -> None:
        from accounts.access import register_review_conflicts
        from channels_ingest.phone import signals  # noqa: F401 (connects the caller index)
        from channels_ingest.phone.selectors import applications_worked_on_by

        # The agents who keyed a phone application (not only the one who submitted it) may
        # not review it; the submitter is caught by ReviewItem.submitted_by as well.
        register_review_conflicts(applications_worked_on_by)
