"""Proving the audit chain: every HMAC under its key, the order of the entries, their dates,
and every anchor against the entry at its sequence.

A report names the first entry that fails (edited, deleted, forged, backdated, sealed with an
unknown key, unkeyed after keyed entries) and every anchor that the chain contradicts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings

from trail.anchors import Anchor, anchor_store
from trail.hashing import GENESIS, keyed_hash, legacy_hash
from trail.keys import Keyring, keyring
from trail.models import TrailEntry, TrailHead


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    problem: str = ""
    legacy: int = 0  # entries sealed before the chain was keyed
    anchors_checked: int = 0
    anchor_problems: tuple[str, ...] = ()
    last_anchor_seq: int | None = None

    def summary(self) -> str:
        lines = []
        if self.problem:
            lines.append(
                f"entry seq={self.first_broken_seq} (id={self.first_broken_id}): "
                f"{self.problem}; {self.checked} entries before it are intact"
            )
        lines += [f"anchor: {problem}" for problem in self.anchor_problems]
        return "\n".join(lines) or "intact"


@dataclass
class _Walk:
    ring: Keyring
    tolerance: dt.timedelta
    anchors: list[Anchor]
    expected_seq: int = 1
    prev: str = GENESIS
    seen_keyed: bool = False
    latest_at: dt.datetime | None = None
    latest_seq: int = 0
    checked: int = 0
    legacy: int = 0
    last_id: int | None = None
    anchor_index: int = 0
    anchors_checked: int = 0
    anchor_problems: list[str] = field(default_factory=list)
    broken: tuple[int, int | None, str] | None = None

    def run(self, chunk: int) -> None:
        queryset = TrailEntry.objects.filter(seq__isnull=False).order_by("seq")
        while self.broken is None:
            batch = list(queryset.filter(seq__gte=self.expected_seq)[:chunk])
            if not batch:
                return
            for entry in batch:
                problem = self.check(entry)
                if problem:
                    self.broken = (self.expected_seq, entry.pk, problem)
                    return
                self.prev, self.expected_seq = entry.hash, self.expected_seq + 1
                self.checked, self.last_id = self.checked + 1, entry.pk

    def check(self, entry: TrailEntry) -> str:
        if entry.seq != self.expected_seq:
            return f"entry {self.expected_seq} is missing (deleted?)"
        if not entry.key_id:
            if self.seen_keyed:
                return (
                    "it is unkeyed but follows keyed entries (rewritten without the key, "
                    "or inserted into the database?)"
                )
            expected = legacy_hash(entry, self.prev, entry.seq)
        else:
            secret = self.ring.secret(entry.key_id)
            if secret is None:
                return (
                    f"it was sealed with key {entry.key_id!r}, which is not among "
                    "TRAIL_HMAC_KEYS (forged, or a key that still seals entries was removed)"
                )
            expected = keyed_hash(entry, self.prev, entry.seq, key_id=entry.key_id, secret=secret)
        if entry.prev_hash != self.prev:
            return (
                "its link to the entry before it does not match (entries before it "
                "rewritten, or this one edited?)"
            )
        if expected != entry.hash:
            return "its content or hash does not match the chain (edited?)"
        if self.latest_at and entry.at < self.latest_at - self.tolerance:
            return (
                f"it is dated {entry.at:%Y-%m-%d %H:%M:%S%z}, before entry {self.latest_seq} "
                f"sealed ahead of it ({self.latest_at:%Y-%m-%d %H:%M:%S%z}) by more than "
                f"{int(self.tolerance.total_seconds())} s: backdated (inserted into the "
                "database directly?)"
            )
        self.seen_keyed = self.seen_keyed or bool(entry.key_id)
        self.legacy += 0 if entry.key_id else 1
        if self.latest_at is None or entry.at > self.latest_at:
            self.latest_at, self.latest_seq = entry.at, entry.seq
        self._match_anchors(entry, entry.seq)
        return ""

    def _match_anchors(self, entry: TrailEntry, seq: int) -> None:
        """`seq` is the entry's (checked above to be the expected one, so never None)."""
        while self.anchor_index < len(self.anchors) and self.anchors[self.anchor_index].seq <= seq:
            anchor = self.anchors[self.anchor_index]
            self.anchor_index += 1
            self.anchors_checked += 1
            if anchor.seq < seq:  # only before the first entry checked: seq 0 or less
                self.anchor_problems.append(f"{_name(anchor)} names entry {anchor.seq}, which cannot exist")
            elif (anchor.hash, anchor.key_id) != (entry.hash, entry.key_id):
                self.anchor_problems.append(
                    f"{_name(anchor)} says entry {anchor.seq} has hash {anchor.hash[:16]}… "
                    f"(key {anchor.key_id!r}) but the chain has {entry.hash[:16]}… "
                    f"(key {entry.key_id!r}): entries up to {anchor.seq} were rewritten"
                )

    def leftover_anchors(self) -> None:
        rest = self.anchors[self.anchor_index :]
        if not rest:
            return
        if self.broken:
            self.anchor_problems.append(
                f"{len(rest)} anchors after the break (from entry {rest[0].seq}) were not checked"
            )
            return
        end = self.expected_seq - 1
        for anchor in rest:
            self.anchors_checked += 1
            self.anchor_problems.append(
                f"{_name(anchor)} names entry {anchor.seq}, but the chain ends at {end}: "
                f"entries {end + 1}..{anchor.seq} were removed (tail truncated)"
            )


def _name(anchor: Anchor) -> str:
    return f"the anchor of {anchor.at:%Y-%m-%d %H:%M:%S%z} ({anchor.where})"


def _walk(anchors: list[Anchor]) -> _Walk:
    return _Walk(
        ring=keyring(),
        anchors=anchors,
        tolerance=dt.timedelta(seconds=settings.TRAIL_BACKDATE_TOLERANCE_SECONDS),
    )


def _report(walk: _Walk, *, extra_problems: list[str] | None = None, head_check: bool = True) -> ChainReport:
    seq, entry_id, problem = walk.broken or (None, None, "")
    if not problem and head_check:
        head = TrailHead.objects.filter(pk=1).first()
        if head and (head.last_seq != walk.checked or (walk.checked and head.last_hash != walk.prev)):
            seq, entry_id = walk.checked + 1, walk.last_id
            problem = (
                f"the chain ends at {walk.checked} but its head says {head.last_seq} "
                "(entries deleted from the end?)"
            )
    anchor_problems = tuple([*(extra_problems or []), *walk.anchor_problems])
    last_anchor = walk.anchors[-1].seq if walk.anchors else None
    return ChainReport(
        ok=not problem and not anchor_problems,
        checked=walk.checked,
        first_broken_seq=seq,
        first_broken_id=entry_id,
        problem=problem,
        legacy=walk.legacy,
        anchors_checked=walk.anchors_checked,
        anchor_problems=anchor_problems,
        last_anchor_seq=last_anchor,
    )


def trail_verify(*, chunk: int = 5000, anchors: bool = True) -> ChainReport:
    """Recompute every hash in order (keyed ones under the key each names), check dates, and
    compare every anchor in TRAIL_ANCHOR_URL with the entry at its sequence."""
    found: list[Anchor] = []
    problems: list[str] = []
    if anchors:
        store = anchor_store()
        try:
            read = store.read()
        except Exception as exc:  # any failure to read them is itself the finding
            problems.append(f"the anchors at {store.url} could not be read: {exc}")
        else:
            found, problems = read.anchors, list(read.problems)
    walk = _walk(found)
    walk.run(chunk)
    walk.leftover_anchors()
    return _report(walk, extra_problems=problems)


def trail_verify_since(anchor: Anchor | None, *, chunk: int = 5000) -> ChainReport:
    """Verify only the entries after `anchor` (the whole chain when None): the anchor writer
    vouches for a new head only when this passes."""
    walk = _walk([])
    if anchor is not None:
        row = TrailEntry.objects.filter(seq=anchor.seq).values("pk", "hash", "key_id", "at").first()
        if row is None or (row["hash"], row["key_id"]) != (anchor.hash, anchor.key_id):
            walk.broken = (
                anchor.seq,
                row["pk"] if row is not None else None,
                f"the last anchor ({anchor.where}) does not match entry {anchor.seq}",
            )
            return _report(walk, head_check=False)
        walk.expected_seq, walk.prev = anchor.seq + 1, anchor.hash
        walk.seen_keyed, walk.latest_at, walk.latest_seq = bool(anchor.key_id), row["at"], anchor.seq
    walk.run(chunk)
    return _report(walk, head_check=False)
