"""`check --deploy`: a production trail is keyed from the environment, not a local file."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def trail_keys_configured(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    if settings.TRAIL_HMAC_KEYS:
        return []
    return [
        Error(
            "TRAIL_HMAC_KEYS is not set: the audit chain would be sealed with a key generated "
            f"into {settings.TRAIL_HMAC_LOCAL_KEY_FILE}, which is neither backed up nor shared.",
            hint="Set TRAIL_HMAC_KEYS=<key id>:<secret> (docs/audit-trail.md).",
            id="trail.E001",
        )
    ]
