"""The keys that seal the audit chain: HMAC-SHA256 keys kept outside the database.

TRAIL_HMAC_KEYS lists `id:secret` items, newest first. The first seals new entries; each
entry records the id of the key it was sealed with, so older keys keep verifying the entries
they sealed and a new key never rewrites anything.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Keyring:
    current_id: str
    secrets: dict[str, bytes]

    def secret(self, key_id: str) -> bytes | None:
        return self.secrets.get(key_id)


def keyring() -> Keyring:
    return _keyring(tuple(settings.TRAIL_HMAC_KEYS), str(settings.TRAIL_HMAC_LOCAL_KEY_FILE))


@lru_cache(maxsize=4)
def _keyring(configured: tuple[tuple[str, str], ...], local_file: str) -> Keyring:
    keys = list(configured) or _local_keys(Path(local_file))
    return Keyring(current_id=keys[0][0], secrets={k: v.encode() for k, v in keys})


def _local_keys(path: Path) -> list[tuple[str, str]]:
    """A key made once for a developer machine or the tests, kept out of git under var/.
    Production sets TRAIL_HMAC_KEYS (`check --deploy` says so)."""
    if not str(path) or str(path) == ".":
        raise ImproperlyConfigured("TRAIL_HMAC_KEYS is not set and there is no local key file")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps([["local1", secrets.token_urlsafe(32)]]))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # two processes starting at once end with one key
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
    return [(str(key_id), str(secret)) for key_id, secret in json.loads(path.read_text())]
