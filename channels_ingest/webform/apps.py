from django.apps import AppConfig


class WebFormChannelConfig(AppConfig):
    name = "channels_ingest.webform"
    label = "channels_webform"
    verbose_name = "Web form channel"
