"""Encryption of personal data at rest, and keyed hashes for finding people without it.

Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) with MultiFernet, so keys rotate:
the first key in PII_ENCRYPTION_KEYS encrypts, every key decrypts.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import re
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


class DecryptionFailed(Exception):
    """A stored value cannot be decrypted with any configured key."""


@functools.cache
def _fernets() -> tuple[Fernet, ...]:
    keys = settings.PII_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("PII_ENCRYPTION_KEYS is empty: personal data cannot be stored")
    try:
        return tuple(Fernet(key.encode() if isinstance(key, str) else key) for key in keys)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "PII_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64 bytes); "
            "make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'"
        ) from exc


@functools.cache
def _fernet() -> MultiFernet:
    return MultiFernet(list(_fernets()))


def encrypt_json(value: Any) -> str:
    return _fernet().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode("ascii")


def decrypt_json(token: str) -> Any:
    try:
        return json.loads(_fernet().decrypt(token.encode("ascii")))
    except InvalidToken as exc:
        raise DecryptionFailed("personal data cannot be decrypted with the configured keys") from exc


def _primary_fernet() -> Fernet:
    """The key that encrypts (the first of PII_ENCRYPTION_KEYS)."""
    return _fernets()[0]


def is_under_primary_key(token: str) -> bool:
    """Whether a stored token is already encrypted with the newest key (a rotation skips it).
    A token under an older key fails the HMAC check at once, before any decryption."""
    try:
        _primary_fernet().decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate_token(token: str) -> str:
    """The same value re-encrypted with the newest key (MultiFernet.rotate: decrypted with
    whichever configured key made it, its timestamp kept). Raises DecryptionFailed when no
    configured key opens it."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionFailed("personal data cannot be decrypted with the configured keys") from exc


def primary_key_fingerprint() -> str:
    """A short, non-secret name for the newest key, so progress can be kept per rotation."""
    key = settings.PII_ENCRYPTION_KEYS[0] if settings.PII_ENCRYPTION_KEYS else ""
    raw = key.encode() if isinstance(key, str) else key
    return hashlib.sha256(b"pii-key-fingerprint:" + raw).hexdigest()[:16]


def normalise_identifier(value: str) -> str:
    """National IDs are compared without case, spaces or punctuation."""
    return re.sub(r"[^0-9A-Za-z]", "", value).upper()


def keyed_hash(key: str, purpose: str, value: str) -> str:
    """HMAC-SHA256 of `value` under `key`, separated by `purpose` so one key never gives two
    uses the same hash (identity, pseudonyms, the agent screen's caller keys)."""
    if not key:
        raise ImproperlyConfigured(f"the key for {purpose} hashes is not set")
    message = f"{purpose}:{value}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def identity_hash(value: str) -> str:
    """Keyed hash of an identifier: stable for lookups, useless without PII_HASH_KEY."""
    return keyed_hash(settings.PII_HASH_KEY, "identity", normalise_identifier(value))


def pseudonym(value: str) -> str:
    """Keyed pseudonym for exports, under a different key than identity_hash."""
    return keyed_hash(settings.PSEUDONYM_KEY, "pseudonym", value)[:24]


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting == "PII_ENCRYPTION_KEYS":
        _fernets.cache_clear()
        _fernet.cache_clear()
