"""Exporting the audit trail (CSV), itself an audit trail entry with filters and fingerprint."""

from __future__ import annotations

import hashlib
import io
import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from auditing.selectors import TrailFilters
from objectstore.csv_safety import csv_writer
from trail.models import TrailEntry
from trail.services import trail_record

if TYPE_CHECKING:
    from accounts.types import Actor

HEADER = [
    "seq",
    "id",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "note",
    "hash",
    "prev_hash",
]


class TrailExportTooLarge(Exception):
    pass


def trail_export_csv(*, filters: TrailFilters, actor: Actor) -> tuple[bytes, int, str]:
    """The matching entries, oldest first, as CSV bytes; (data, rows, fingerprint).
    Refuses more than TRAIL_EXPORT_MAX_ROWS entries: narrow the filters instead."""
    entries = filters.apply(TrailEntry.objects.all()).order_by("id")
    limit = settings.TRAIL_EXPORT_MAX_ROWS
    count = entries.count()
    if count > limit:
        raise TrailExportTooLarge(
            f"{count:,} entries match; at most {limit:,} can be exported at once. "
            "Narrow the period or add a filter."
        )
    out = io.StringIO()
    writer = csv_writer(out)  # notes and names are free text: no cell runs as a formula
    writer.writerow(HEADER)
    digest = hashlib.sha256()
    for entry in entries.iterator(chunk_size=2000):
        row = [
            entry.seq or "",
            entry.pk,
            entry.at.isoformat(),
            entry.actor_label,
            entry.action,
            entry.object_type,
            entry.object_id,
            json.dumps(entry.before, sort_keys=True, default=str),
            json.dumps(entry.after, sort_keys=True, default=str),
            entry.note,
            entry.hash,
            entry.prev_hash,
        ]
        digest.update(json.dumps(row, default=str).encode() + b"\n")
        writer.writerow(row)
    with transaction.atomic():
        trail_record(
            action="trail.exported",
            object_type="trail",
            object_id="search",
            actor=actor,
            after={"filters": filters.as_dict(), "rows": count, "fingerprint": digest.hexdigest()},
        )
    return out.getvalue().encode(), count, digest.hexdigest()
