"""Recording to the audit trail, sealing it into a hash chain, and verifying the chain."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from trail.models import TrailEntry, TrailHead

GENESIS = "0" * 64


def _actor_fields(actor: Any) -> dict[str, Any]:
    if getattr(actor, "pk", None):
        return {"actor": actor, "actor_label": actor.get_username()}
    return {"actor": None, "actor_label": str(actor) if isinstance(actor, str) else ""}


def trail_entry(*, action: str, object_type: str, object_id: Any, actor: Any = None,
                before: dict | None = None, after: dict | None = None, note: str = "") -> TrailEntry:
    """An unsaved entry, for callers that record many at once with trail_record_many."""
    return TrailEntry(action=action, object_type=object_type, object_id=str(object_id),
                      before=before or {}, after=after or {}, note=note[:2000],
                      **_actor_fields(actor))


def trail_record(**kwargs: Any) -> TrailEntry:
    """Record one thing that happened. Call inside the transaction that makes it happen,
    so the entry exists exactly when the change does."""
    entry = trail_entry(**kwargs)
    entry.save()
    return entry


def trail_record_many(entries: Iterable[TrailEntry]) -> None:
    TrailEntry.objects.bulk_create(list(entries))


def entry_hash(entry: TrailEntry, prev_hash: str, seq: int) -> str:
    content = {
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
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def trail_seal(*, limit: int = 5000) -> int:
    """Give unsealed entries their place and hash. One sealer at a time (the head row's lock);
    writers never wait for it."""
    with transaction.atomic():
        head, _ = TrailHead.objects.get_or_create(pk=1)
        head = TrailHead.objects.select_for_update().get(pk=1)
        pending = list(TrailEntry.objects.filter(seq__isnull=True).order_by("id")[:limit])
        seq, prev = head.last_seq, head.last_hash or GENESIS
        for entry in pending:
            seq += 1
            entry.seq, entry.prev_hash = seq, prev
            entry.hash = prev = entry_hash(entry, prev, seq)
        TrailEntry.objects.bulk_update(pending, ["seq", "prev_hash", "hash"], batch_size=1000)
        if pending:
            TrailHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
    return len(pending)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    problem: str = ""


def trail_verify(*, chunk: int = 5000) -> ChainReport:
    """Recompute every hash in order. The first entry that does not match — edited, or
    following a deleted one — is reported; the chain head must match the last entry too."""
    prev, expected_seq, checked = GENESIS, 1, 0
    last_id = None
    queryset = TrailEntry.objects.filter(seq__isnull=False).order_by("seq")
    while True:
        batch = list(queryset.filter(seq__gte=expected_seq)[:chunk])
        if not batch:
            break
        for entry in batch:
            if entry.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, entry.pk,
                                   f"entry {expected_seq} is missing (deleted?)")
            if entry.prev_hash != prev or entry_hash(entry, prev, entry.seq) != entry.hash:
                return ChainReport(False, checked, entry.seq, entry.pk,
                                   "its content or hash does not match the chain (edited?)")
            prev, expected_seq, checked, last_id = entry.hash, expected_seq + 1, checked + 1, entry.pk
    head = TrailHead.objects.filter(pk=1).first()
    if head and (head.last_seq != checked or (checked and head.last_hash != prev)):
        return ChainReport(False, checked, checked + 1, last_id,
                           f"the chain ends at {checked} but its head says {head.last_seq} "
                           "(entries deleted from the end?)")
    return ChainReport(True, checked)


def trail_unsealed_age_seconds() -> float:
    oldest = (
        TrailEntry.objects.filter(seq__isnull=True).order_by("id").values_list("at", flat=True).first()
    )
    return (timezone.now() - oldest).total_seconds() if oldest else 0.0
