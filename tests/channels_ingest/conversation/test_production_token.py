"""Production will not start without a real Twilio auth token: the webhooks trust what it signs."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.production_checks import LOCAL_TWILIO_TOKEN, check_twilio_auth_token
from tests.config.production_env import manage, production_env


@pytest.mark.parametrize("token", ["", LOCAL_TWILIO_TOKEN, "short-token"])
def test_a_missing_local_or_short_token_is_refused(token: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="TWILIO_AUTH_TOKEN"):
        check_twilio_auth_token(token)


def test_a_real_looking_token_passes() -> None:
    check_twilio_auth_token("0123456789abcdef0123456789abcdef")


def test_production_settings_refuse_to_start_without_the_token() -> None:
    env = production_env()
    del env["TWILIO_AUTH_TOKEN"]
    result = manage("check", env=env)
    assert result.returncode != 0 and "TWILIO_AUTH_TOKEN" in result.stderr
