"""`manage.py check --deploy`: the Twilio webhooks must not trust the repository's local
auth token (anyone could sign requests with it)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

LOCAL_TOKEN = "local-twilio-auth-token-not-a-secret"  # noqa: S105 (the public local default)


@register(Tags.security, deploy=True)
def twilio_token_is_real(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.TWILIO_AUTH_TOKEN == LOCAL_TOKEN or len(settings.TWILIO_AUTH_TOKEN) < 16:
        return [
            Error(
                "TWILIO_AUTH_TOKEN is the local default (or too short): set the Twilio account's auth token",
                id="conversation.E001",
            )
        ]
    return []
