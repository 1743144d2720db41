"""Reading back an erasure in the warehouse (privacy.services.erasure).

fact_decision carries the person record's id (applicant_id); fact_review carries none. The
erasure owes every decision of the erased applications again, so the MERGE of the next
delivery rewrites applicant_id to the tombstone; this finds rows that still name someone else.
"""

from __future__ import annotations

from collections.abc import Iterable

from sinks.warehouse.connection import warehouse_connect

PERSONAL_LINK_COLUMNS = {"fact_decision": ("applicant_id",)}


def warehouse_stale_applicant_links(application_ids: Iterable[str], applicant_id: str) -> list[str]:
    """Application ids with a fact_decision row naming another applicant than `applicant_id`."""
    ids = list(application_ids)
    if not ids:
        return []
    placeholders = ", ".join(["%s"] * len(ids))
    with warehouse_connect() as conn:
        rows = conn.execute(
            f"SELECT DISTINCT application_id FROM fact_decision "  # noqa: S608 - placeholders only
            f"WHERE application_id IN ({placeholders}) AND applicant_id <> %s",
            [*ids, applicant_id],
        ).fetchall()
    return sorted(row[0] for row in rows)
