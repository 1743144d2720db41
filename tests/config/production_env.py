"""Valid production environment values for tests that start the production settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

from cryptography.fernet import Fernet

from tests.conftest import ROOT


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "risk.example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/riskscore",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
        "PII_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PII_HASH_KEY": secrets.token_urlsafe(32),
        "PSEUDONYM_KEY": secrets.token_urlsafe(32),
        "TRAIL_HMAC_KEYS": f"t1:{secrets.token_urlsafe(32)}",
        "TWILIO_AUTH_TOKEN": secrets.token_urlsafe(32),
    }
    return {**env, **overrides}


def clean_environ() -> dict[str, str]:
    """This process's environment less what the test settings read, so the subprocess sees
    only what the test gives it."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "PII_", "PSEUDONYM_", "CACHE_URL", "TRAIL_"))
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean_environ(), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_setting(expression: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Print one `settings.<expression>` as the given environment's settings module sees it."""
    return subprocess.run(
        [sys.executable, "-c", f"from django.conf import settings; print(settings.{expression})"],
        cwd=ROOT,
        env={**clean_environ(), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
