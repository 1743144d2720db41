"""What someone with write access to the database (and no trail key) can do to the trail."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

from trail.hashing import GENESIS, legacy_hash
from trail.models import TrailEntry


def sql(statement: str, *params: Any) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def recompute_unkeyed(*, from_seq: int = 1, to_seq: int | None = None, strip_keys: bool = False) -> None:
    """Rehash the chain from `from_seq` (to `to_seq`) with SHA-256 the way anyone can (the
    pre-keying algorithm), keeping or stripping the key ids, and fix the head row to match."""
    prev = GENESIS
    if from_seq > 1:
        prev = TrailEntry.objects.get(seq=from_seq - 1).hash
    last_seq = from_seq - 1
    rows = TrailEntry.objects.filter(seq__gte=from_seq).order_by("seq")
    for entry in rows.filter(seq__lte=to_seq) if to_seq else rows:
        assert entry.seq is not None  # (sealed entries only)
        digest = legacy_hash(entry, prev, entry.seq)
        key_id = "" if strip_keys else entry.key_id
        sql(
            "UPDATE trail_trailentry SET prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
            prev,
            digest,
            key_id,
            entry.pk,
        )
        prev, last_seq = digest, entry.seq
    if to_seq:
        return
    sql("UPDATE trail_trailhead SET last_seq = %s, last_hash = %s WHERE id = 1", last_seq, prev)


def edit_after(entry_id: int, after: dict) -> None:
    sql("UPDATE trail_trailentry SET after = %s WHERE id = %s", json.dumps(after), entry_id)


def seal_unkeyed(entries: list[TrailEntry]) -> None:
    """Seal the way the platform did before the chain was keyed (key_id empty, SHA-256)."""
    prev, seq = GENESIS, 0
    for entry in sorted(entries, key=lambda e: e.pk):
        entry.refresh_from_db()
        seq += 1
        digest = legacy_hash(entry, prev, seq)
        sql(
            "UPDATE trail_trailentry SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",
            seq,
            prev,
            digest,
            entry.pk,
        )
        prev = digest
    sql(
        "INSERT INTO trail_trailhead (id, last_seq, last_hash, anchored_seq) VALUES (1, %s, %s, 0) "
        "ON CONFLICT (id) DO UPDATE SET last_seq = EXCLUDED.last_seq, "
        "last_hash = EXCLUDED.last_hash",
        seq,
        prev,
    )
