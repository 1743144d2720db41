from django.apps import AppConfig


class PhoneChannelConfig(AppConfig):
    name = "channels_ingest.phone"
    label = "channels_phone"
    verbose_name = "Call-centre agent screen"

    def ready(self) -> None:
        from channels_ingest.phone import signals  # noqa: F401 (connects the caller index)
