from django.apps import AppConfig


class ConversationChannelConfig(AppConfig):
    name = "channels_ingest.conversation"
    label = "channels_conversation"
    verbose_name = "Conversational channels (web chat, SMS, voice)"

    def ready(self) -> None:
        from channels_ingest.conversation import checks  # noqa: F401 (registers the check)
