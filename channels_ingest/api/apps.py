from django.apps import AppConfig


class ApiChannelConfig(AppConfig):
    name = "channels_ingest.api"
    label = "channels_api"
    verbose_name = "Mobile / REST API channel"
