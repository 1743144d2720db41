"""Recording to the audit trail, sealing it into a keyed chain, and anchoring its head.

Verification is trail/verification.py; docs/audit-trail.md tells the whole design.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from config.db_rows import insert_per_row
from trail.anchors import Anchor, anchor_store, new_anchor
from trail.hashing import GENESIS, keyed_hash
from trail.keys import keyring
from trail.models import TrailEntry, TrailHead
from trail.verification import ChainReport, trail_verify, trail_verify_since

if TYPE_CHECKING:
    from accounts.types import Actor

__all__ = [
    "ChainReport",
    "TrailNotAnchored",
    "actor_name",
    "trail_anchor",
    "trail_entry",
    "trail_insert_per_row",
    "trail_record",
    "trail_record_many",
    "trail_seal",
    "trail_unsealed_age_seconds",
    "trail_verify",
]

logger = logging.getLogger(__name__)


def actor_name(actor: Actor, nobody: str = "") -> str:
    """How an actor is named in records: a signed-in user's username, a system job's name,
    else `nobody`."""
    if isinstance(actor, str):
        return actor
    if actor is not None and actor.pk:
        return actor.get_username()
    return nobody


def _actor_fields(actor: Actor) -> dict[str, Any]:
    """A signed-in user is linked; a name (a system job) is only a label; nobody is neither."""
    linked = actor if actor is not None and not isinstance(actor, str) and actor.pk else None
    return {"actor": linked, "actor_label": actor_name(actor)}


def trail_entry(
    *,
    action: str,
    object_type: str,
    object_id: Any,
    actor: Actor = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> TrailEntry:
    """An unsaved entry, for callers that record many at once with trail_record_many."""
    return TrailEntry(
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before or {},
        after=after or {},
        note=note[:2000],
        **_actor_fields(actor),
    )


def trail_record(**kwargs: Any) -> TrailEntry:
    """Record one thing that happened. Call inside the transaction that makes it happen,
    so the entry exists exactly when the change does."""
    entry = trail_entry(**kwargs)
    entry.save()
    return entry


def trail_record_many(entries: Iterable[TrailEntry]) -> None:
    TrailEntry.objects.bulk_create(list(entries))


def trail_insert_per_row(entry: TrailEntry, *, rows: str, object_id_sql: str) -> tuple[str, list[Any]]:
    """PostgreSQL: an INSERT that records `entry` once for each row of `rows` (an SQL
    relation, such as a CTE named by the caller), with `object_id_sql` (an SQL expression
    over it) as the object id: for a caller that moves rows and records each move in the
    same statement (config.db_rows)."""
    return insert_per_row(entry, computed="object_id", expression=object_id_sql, rows=rows)


def trail_seal(*, limit: int = 5000) -> int:
    """Give unsealed entries their place and their HMAC under the current trail key. One
    sealer at a time (the head row's lock); writers never wait for it.

    When the current key differs from the one that sealed the chain's last entry (a rotated
    key, or the first keyed seal after an unkeyed chain), a `trail.key_changed` entry goes
    first, sealed under the new key: it records the change and pins everything before it."""
    ring = keyring()
    secret = ring.secrets[ring.current_id]
    with transaction.atomic():
        TrailHead.objects.get_or_create(pk=1)
        head = TrailHead.objects.select_for_update().get(pk=1)
        pending = list(TrailEntry.objects.filter(seq__isnull=True).order_by("id")[:limit])
        if not pending:
            return 0
        if head.last_seq:
            last_key = TrailEntry.objects.filter(seq=head.last_seq).values_list("key_id", flat=True).first()
            if last_key != ring.current_id:
                pending.insert(0, _key_change_entry(last_key, ring.current_id, pending[0]))
        seq, prev = head.last_seq, head.last_hash or GENESIS
        for entry in pending:
            seq += 1
            entry.seq, entry.prev_hash, entry.key_id = seq, prev, ring.current_id
            entry.hash = prev = keyed_hash(entry, prev, seq, key_id=ring.current_id, secret=secret)
        _write_seals(pending)
        TrailHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
    return len(pending)


def _write_seals(entries: list[TrailEntry]) -> None:
    """PostgreSQL: one UPDATE ... FROM (VALUES ...) per 1,000 entries (several times faster
    than bulk_update's CASE per column); other databases: bulk_update."""
    if connection.vendor != "postgresql":
        TrailEntry.objects.bulk_update(entries, ["seq", "prev_hash", "hash", "key_id"], batch_size=500)
        return
    table = TrailEntry._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(entries), 1000):
            batch = entries[start : start + 1000]
            rows = ", ".join(["(%s::bigint, %s::bigint, %s, %s, %s)"] * len(batch))
            statement = (  # the table name and placeholders are ours; values go as parameters
                f"UPDATE {table} AS t SET seq = v.seq, prev_hash = v.prev_hash, "  # noqa: S608
                f"hash = v.hash, key_id = v.key_id FROM (VALUES {rows}) "
                "AS v(id, seq, prev_hash, hash, key_id) WHERE t.id = v.id"
            )
            cursor.execute(
                statement,
                [value for e in batch for value in (e.pk, e.seq, e.prev_hash, e.hash, e.key_id)],
            )


def _key_change_entry(old: str | None, new: str, first_pending: TrailEntry) -> TrailEntry:
    # Dated no later than the entries it precedes, so a backlog after it never looks backdated.
    entry = trail_entry(
        action="trail.key_changed",
        object_type="trail",
        object_id="chain",
        before={"key_id": old},
        after={"key_id": new},
        note="entries from here on are sealed with the key above"
        if old
        else "the chain is keyed from here on; the entries before it were sealed unkeyed",
    )
    entry.at = min(timezone.now(), first_pending.at)
    entry.save()
    return entry


class TrailNotAnchored(Exception):
    """The stretch since the last anchor does not verify: no anchor vouches for it."""

    def __init__(self, report: ChainReport):
        self.report = report
        super().__init__(report.summary())


def trail_anchor() -> Anchor | None:
    """Seal, then write the chain head to the anchor store, after proving the entries since the
    last anchor (read from the store itself, not the database). None when the head has not
    moved; TrailNotAnchored when the new stretch does not verify."""
    trail_seal()
    head = (
        TrailEntry.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "hash", "key_id").first()
    )
    if head is None or head["seq"] is None:  # (seq is never None here: the filter says so)
        return None
    store = anchor_store()
    hint = TrailHead.objects.filter(pk=1).values_list("anchored_seq", flat=True).first() or 0
    last = store.last(hint_seq=hint)
    if last and (last.seq, last.hash) == (head["seq"], head["hash"]):
        return None
    report = trail_verify_since(last)
    if not report.ok:
        logger.error("audit trail NOT anchored: %s", report.summary())
        raise TrailNotAnchored(report)
    anchor = new_anchor(seq=head["seq"], hash=head["hash"], key_id=head["key_id"])
    store.append(anchor)
    TrailHead.objects.filter(pk=1).update(anchored_seq=anchor.seq)
    return anchor


def trail_unsealed_age_seconds() -> float:
    oldest = TrailEntry.objects.filter(seq__isnull=True).order_by("id").values_list("at", flat=True).first()
    return (timezone.now() - oldest).total_seconds() if oldest else 0.0
