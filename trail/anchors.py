"""Anchors: the chain head (sequence, hash, key id, time) written where the database writer
cannot change it, so rewriting the trail — even with the HMAC key — shows against them.

Two stores, chosen by TRAIL_ANCHOR_URL:
- `file:///path/anchors.jsonl`: a local file opened with O_APPEND, one JSON line per anchor
  (make it append-only for the database's OS user, e.g. `chattr +a`, or ship it off-host);
- `s3://bucket/prefix`: one object per anchor, under S3 Object Lock when
  TRAIL_ANCHOR_LOCK_MODE is set (the bucket must have Object Lock enabled), so no version can
  be deleted or overwritten before TRAIL_ANCHOR_RETAIN_DAYS. The key carries the anchor
  (`<seq>-<key id>-<hash>.json`), so verifying lists the prefix and reads no object.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from django.conf import settings
from django.utils import timezone


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    key_id: str
    at: dt.datetime
    where: str = ""  # for reports: the file line or object key

    def as_json(self) -> str:
        return json.dumps(
            {"seq": self.seq, "hash": self.hash, "key_id": self.key_id, "at": self.at.isoformat()},
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class AnchorRead:
    anchors: list[Anchor]
    problems: list[str]


class AnchorStore(Protocol):
    url: str

    def append(self, anchor: Anchor) -> None: ...

    def last(self, *, hint_seq: int = 0) -> Anchor | None:
        """The latest anchor; `hint_seq` (at or before it) may save reading them all."""

    def read(self) -> AnchorRead: ...


def _parse_line(line: str, where: str) -> Anchor:
    data = json.loads(line)
    return Anchor(
        seq=int(data["seq"]),
        hash=str(data["hash"]),
        key_id=str(data["key_id"]),
        at=dt.datetime.fromisoformat(data["at"]),
        where=where,
    )


class FileAnchorStore:
    def __init__(self, path: Path):
        self.path = path
        self.url = f"file://{path}"

    def append(self, anchor: Anchor) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_APPEND: every write lands at the end, whatever else has the file open; one write
        # per line, so lines never interleave.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (anchor.as_json() + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def last(self, *, hint_seq: int = 0) -> Anchor | None:
        try:
            with self.path.open("rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - 4096))
                lines = handle.read().decode(errors="replace").strip().splitlines()
        except FileNotFoundError:
            return None
        for line in reversed(lines):
            try:
                return _parse_line(line, f"{self.path} (last line)")
            except (ValueError, KeyError, TypeError):
                continue
        return None

    def read(self) -> AnchorRead:
        anchors, problems = [], []
        try:
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                for number, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        anchors.append(_parse_line(line, f"{self.path} line {number}"))
                    except (ValueError, KeyError, TypeError):
                        problems.append(f"{self.path} line {number} is not an anchor: {line[:80]!r}")
        except FileNotFoundError:
            pass
        return AnchorRead(anchors, problems)


_OBJECT = re.compile(r"^(?P<seq>\d{15})-(?P<key_id>[A-Za-z0-9_.-]{0,16})-(?P<hash>[0-9a-f]{64})\.json$")


class S3AnchorStore:
    def __init__(self, *, bucket: str, prefix: str, lock_mode: str, retain_days: int):
        from objectstore.s3 import S3ObjectStore

        self.store = S3ObjectStore(bucket=bucket, prefix=prefix)
        self.url = self.store.base_url
        self.lock_mode, self.retain_days = lock_mode, retain_days

    @staticmethod
    def object_key(anchor: Anchor) -> str:
        return f"{anchor.seq:015d}-{anchor.key_id}-{anchor.hash}.json"

    def append(self, anchor: Anchor) -> None:
        retain_until = anchor.at + dt.timedelta(days=self.retain_days) if self.lock_mode else None
        self.store.put(
            self.object_key(anchor),
            (anchor.as_json() + "\n").encode(),
            lock_mode=self.lock_mode,
            retain_until=retain_until,
        )

    def last(self, *, hint_seq: int = 0) -> Anchor | None:
        # Keys sort by sequence, so a listing from the hint is short. The hint comes from the
        # database: a wrong one only costs a full listing, never a wrong answer.
        if hint_seq > 0:
            found = self.read(after=f"{hint_seq:015d}").anchors
            if found:
                return found[-1]
        found = self.read().anchors
        return found[-1] if found else None

    def read(self, *, after: str = "") -> AnchorRead:
        anchors, problems = [], []
        for key, modified in self.store.list_keys(start_after=after):
            match = _OBJECT.match(key.rsplit("/", 1)[-1])
            where = f"{self.url}/{key}"
            if not match:
                problems.append(f"{where} is not an anchor object")
                continue
            anchors.append(
                Anchor(
                    seq=int(match["seq"]),
                    hash=match["hash"],
                    key_id=match["key_id"],
                    at=modified,
                    where=where,
                )
            )
        anchors.sort(key=lambda a: (a.seq, a.at))
        return AnchorRead(anchors, problems)


def anchor_store() -> AnchorStore:
    url = settings.TRAIL_ANCHOR_URL
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        return S3AnchorStore(
            bucket=parsed.netloc,
            prefix=parsed.path.strip("/"),
            lock_mode=settings.TRAIL_ANCHOR_LOCK_MODE,
            retain_days=settings.TRAIL_ANCHOR_RETAIN_DAYS,
        )
    return FileAnchorStore(Path(parsed.path))


def new_anchor(*, seq: int, hash: str, key_id: str) -> Anchor:
    return Anchor(seq=seq, hash=hash, key_id=key_id, at=timezone.now())
