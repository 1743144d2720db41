"""DRF token authentication that honours the two-factor requirement (docs/accounts.md).

Kept apart from the token view (channels_ingest/api/token.py): DRF imports authentication
classes while it loads its views.
"""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from accounts.access import can_use_api_token

SECOND_FACTOR_DETAIL = (
    "This account must use two-factor authentication, so it cannot use API tokens; use the web pages."
)


class SecondFactorAwareTokenAuthentication(TokenAuthentication):
    """Tokens of accounts that must use a second factor stop working while it is required
    (a token made before the requirement, or before the account got such a role)."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if not can_use_api_token(user):
            raise exceptions.AuthenticationFailed(SECOND_FACTOR_DETAIL)
        return user, token
