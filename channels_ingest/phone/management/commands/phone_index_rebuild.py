"""Rebuild the agent screen's caller index (keyed hashes) from every person and open draft.

Decrypts each record once, in batches: for data that arrived before the phone channel or by
bulk inserts that skip the index. Idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from applicants.models import Applicant, Draft, DraftStatus
from channels_ingest.phone.keys import index_draft, keys_of_all
from channels_ingest.phone.models import CallerKey

BATCH = 2000


class Command(BaseCommand):
    help = "Rebuild the caller index the agent screen searches (phone, name, identity keys)."

    def handle(self, *args: Any, **options: Any) -> None:
        people = 0
        pairs: list[tuple[Any, dict]] = []
        for pk, pii in Applicant.objects.values_list("pk", "pii").iterator(chunk_size=BATCH):
            pairs.append((pk, pii or {}))
            if len(pairs) >= BATCH:
                people += self._flush(pairs)
        people += self._flush(pairs)
        drafts = 0
        for draft in Draft.objects.filter(status=DraftStatus.OPEN).iterator(chunk_size=500):
            index_draft(draft.pk, draft.answers)
            drafts += 1
        self.stdout.write(f"Indexed {people} people and {drafts} open drafts.")

    @staticmethod
    def _flush(pairs: list[tuple[Any, dict]]) -> int:
        CallerKey.objects.bulk_create(keys_of_all(pairs), ignore_conflicts=True, batch_size=5000)
        done = len(pairs)
        pairs.clear()
        return done
