"""Settings of the audit trail (app `trail`): the HMAC keys that seal the chain, and the anchors
that pin its head outside the database. Imported at the end of base.py. See docs/audit-trail.md.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import env_choice, env_float, env_int, env_list, env_str
from config.settings.base import CELERY_BEAT_SCHEDULE, VAR_DIR

__all__ = [
    "TRAIL_ANCHOR_LOCK_MODE",
    "TRAIL_ANCHOR_RETAIN_DAYS",
    "TRAIL_ANCHOR_SECONDS",
    "TRAIL_ANCHOR_URL",
    "TRAIL_BACKDATE_TOLERANCE_SECONDS",
    "TRAIL_HMAC_KEYS",
    "TRAIL_HMAC_LOCAL_KEY_FILE",
]

_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")
MIN_TRAIL_KEY_LENGTH = 32


def trail_hmac_keys(raw: list[str]) -> list[tuple[str, str]]:
    """`id:secret` items, newest first: the first seals new entries, every one verifies the
    entries sealed with it. Raises ImproperlyConfigured naming the bad item."""
    keys: list[tuple[str, str]] = []
    for position, item in enumerate(raw, start=1):
        key_id, sep, secret = item.strip().partition(":")
        if not sep or not _KEY_ID.match(key_id):
            raise ImproperlyConfigured(
                f"TRAIL_HMAC_KEYS item {position} must look like <key id>:<secret> with a key id "
                "of 1-16 letters, digits, '_', '-' or '.'"
            )
        if len(secret) < MIN_TRAIL_KEY_LENGTH or len(set(secret)) < 10:
            raise ImproperlyConfigured(
                f"TRAIL_HMAC_KEYS key {key_id!r} is too weak: use at least "
                f'{MIN_TRAIL_KEY_LENGTH} random characters (python -c "import secrets; '
                'print(secrets.token_urlsafe(32))")'
            )
        if any(key_id == known for known, _ in keys):
            raise ImproperlyConfigured(f"TRAIL_HMAC_KEYS names key id {key_id!r} twice")
        keys.append((key_id, secret))
    return keys


def require_trail_hmac_keys(keys: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """For production settings: the keys must come from the environment."""
    if not keys:
        raise ImproperlyConfigured(
            "TRAIL_HMAC_KEYS is required: <key id>:<secret>[,<older id>:<older secret>...] "
            "(docs/audit-trail.md)"
        )
    return keys


# Newest first. Empty: a key generated once into TRAIL_HMAC_LOCAL_KEY_FILE (local and tests
# only; `check --deploy` refuses it).
TRAIL_HMAC_KEYS = trail_hmac_keys(env_list("TRAIL_HMAC_KEYS", []))
TRAIL_HMAC_LOCAL_KEY_FILE = Path(env_str("TRAIL_HMAC_LOCAL_KEY_FILE", str(VAR_DIR / "trail-hmac-keys.json")))

# Anchors: where the chain head is written, out of the database writer's reach.
# file:///path/anchors.jsonl (appended to, one JSON line each) or s3://bucket/prefix
# (one object each; with S3 Object Lock when TRAIL_ANCHOR_LOCK_MODE is set).
TRAIL_ANCHOR_URL = env_str("TRAIL_ANCHOR_URL", f"file://{VAR_DIR / 'trail-anchors.jsonl'}")
if not TRAIL_ANCHOR_URL.startswith(("file://", "s3://")):
    raise ImproperlyConfigured(f"TRAIL_ANCHOR_URL={TRAIL_ANCHOR_URL!r} must start with file:// or s3://")
TRAIL_ANCHOR_LOCK_MODE = env_choice("TRAIL_ANCHOR_LOCK_MODE", ("", "GOVERNANCE", "COMPLIANCE"), "")
TRAIL_ANCHOR_RETAIN_DAYS = env_int("TRAIL_ANCHOR_RETAIN_DAYS", 7 * 366, minimum=1, maximum=100 * 366)
TRAIL_ANCHOR_SECONDS = env_float("TRAIL_ANCHOR_SECONDS", 60.0, minimum=1.0)

# An entry dated this much earlier than one sealed before it was not written by the app
# (entries are sealed in insertion order; a transaction holds one back at most minutes).
TRAIL_BACKDATE_TOLERANCE_SECONDS = env_int("TRAIL_BACKDATE_TOLERANCE_SECONDS", 900, minimum=60)

CELERY_BEAT_SCHEDULE["anchor-audit-trail"] = {
    "task": "trail.tasks.anchor_trail",
    "schedule": TRAIL_ANCHOR_SECONDS,
}
