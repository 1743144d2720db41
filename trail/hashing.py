"""The hash of a sealed entry: HMAC-SHA256 under a trail key over the previous hash and the
entry's canonical content (keyed entries), or plain SHA-256 (entries sealed before keying)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

GENESIS = "0" * 64


def _content(entry: Any, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "before": entry.before,
        "after": entry.after,
        "note": entry.note,
    }


def _canonical(content: dict[str, Any]) -> str:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)


def legacy_hash(entry: Any, prev_hash: str, seq: int) -> str:
    """How entries were sealed before the chain was keyed (anyone could recompute it)."""
    canonical = _canonical(_content(entry, seq))
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def keyed_hash(entry: Any, prev_hash: str, seq: int, *, key_id: str, secret: bytes) -> str:
    canonical = _canonical({**_content(entry, seq), "key_id": key_id})
    return hmac.new(secret, f"{prev_hash}|{canonical}".encode(), hashlib.sha256).hexdigest()
