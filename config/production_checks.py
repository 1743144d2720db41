"""Start-up checks of production settings: refuse to start with secrets that cannot work.

Each failure is an ImproperlyConfigured naming the environment variable and saying how to
make a good value, so a bad deployment stops at `migrate` or at the first worker start
instead of answering 500 to every submission.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY_MIN_LENGTH = 50  # Django's own --deploy rule, made fatal here
HMAC_KEY_MIN_LENGTH = 32
MIN_DISTINCT_CHARACTERS = 8
MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105 (a command, not a secret)
MAKE_FERNET_KEY = "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"


def _check_random_looking(name: str, value: str, min_length: int) -> None:
    if len(value) < min_length or len(set(value)) < MIN_DISTINCT_CHARACTERS:
        raise ImproperlyConfigured(
            f"{name} is too weak: use at least {min_length} random characters "
            f"(got {len(value)}, {len(set(value))} distinct). Make one with: {MAKE_SECRET}"
        )


def check_secret_key(secret_key: str) -> None:
    _check_random_looking("DJANGO_SECRET_KEY", secret_key, SECRET_KEY_MIN_LENGTH)
    if secret_key.startswith("django-insecure"):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is Django's insecure development key")


def check_encryption_keys(keys: Sequence[str]) -> None:
    from cryptography.fernet import Fernet

    if not keys:
        raise ImproperlyConfigured(f"PII_ENCRYPTION_KEYS is empty. Make a key with: {MAKE_FERNET_KEY}")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            raise ImproperlyConfigured(
                f"PII_ENCRYPTION_KEYS item {position} is not a Fernet key (32 url-safe base64 "
                f"bytes). Make one with: {MAKE_FERNET_KEY}"
            ) from None
    if len(set(keys)) != len(keys):
        raise ImproperlyConfigured("PII_ENCRYPTION_KEYS names the same key twice")


def check_distinct(named_keys: dict[str, Sequence[str]]) -> None:
    """No key serves two purposes: a leaked export pseudonym key must not find people."""
    seen: dict[str, str] = {}
    for name, values in named_keys.items():
        for value in values:
            if value in seen and seen[value] != name:
                raise ImproperlyConfigured(
                    f"{name} and {seen[value]} must be different keys (each has one purpose)"
                )
            seen[value] = name


LOCAL_TWILIO_TOKEN = "local-twilio-auth-token-not-a-secret"  # noqa: S105 (the public local default)
TWILIO_TOKEN_MIN_LENGTH = 32  # Twilio's auth tokens are 32 hex digits


def check_twilio_auth_token(token: str) -> None:
    """The Twilio webhooks (SMS, voice) trust what this token signs: the repository's local
    default would let anyone sign requests."""
    if token == LOCAL_TWILIO_TOKEN or len(token) < TWILIO_TOKEN_MIN_LENGTH:
        raise ImproperlyConfigured(
            "TWILIO_AUTH_TOKEN must be the auth token of the Twilio account whose numbers post to "
            "the webhooks (Twilio Console, Account info: 32 characters), not the local default"
        )


def check_database(database: dict[str, Any]) -> None:
    if not database.get("ENGINE", "").endswith(("postgresql", "postgis")):
        raise ImproperlyConfigured(
            f"DATABASE_URL must name a PostgreSQL database in production (got the engine "
            f"{database.get('ENGINE')!r}); SQLite is for `make run` on one machine only"
        )


def check_production_settings(
    *,
    secret_key: str,
    encryption_keys: Sequence[str],
    hash_key: str,
    pseudonym_key: str,
    database: dict[str, Any],
) -> None:
    check_secret_key(secret_key)
    check_encryption_keys(encryption_keys)
    _check_random_looking("PII_HASH_KEY", hash_key, HMAC_KEY_MIN_LENGTH)
    _check_random_looking("PSEUDONYM_KEY", pseudonym_key, HMAC_KEY_MIN_LENGTH)
    check_distinct(
        {
            "DJANGO_SECRET_KEY": [secret_key],
            "PII_HASH_KEY": [hash_key],
            "PSEUDONYM_KEY": [pseudonym_key],
            "PII_ENCRYPTION_KEYS": list(encryption_keys),
        }
    )
    check_database(database)
