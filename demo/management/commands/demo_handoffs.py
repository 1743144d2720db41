"""A few voice-bot hand-offs waiting for an agent (make run), with answers heard by speech,
some of them with low confidence, so the agent screen has work to show."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from applicants.schema import get_schema
from channels_ingest.phone.handoffs import handoff_create
from channels_ingest.phone.models import Handoff, HandoffState
from demo import synthetic

# How sure the "recogniser" was of each answer, per hand-off (below 0.8 is highlighted).
_CONFIDENCE = (
    {"full_name": 0.96, "date_of_birth": 0.91, "national_id": 0.58, "postcode": 0.66},
    {"full_name": 0.71, "date_of_birth": 0.95, "phone": 0.88},
    {"full_name": 0.93, "national_id": 0.97, "postcode": 0.52, "email": 0.45},
)
_REASONS = (
    "caller asked for a person",
    "could not understand the ID number twice",
    "caller sounded unsure about the amount",
)


class Command(BaseCommand):
    help = "Create voice-bot hand-offs waiting for an agent (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--if-empty", action="store_true", help="only when no hand-off is waiting")
        parser.add_argument("--seed", type=int, default=77)

    def handle(self, *args: Any, if_empty: bool, seed: int, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo hand-offs are only created when DEBUG is on")
        if if_empty and Handoff.objects.filter(state=HandoffState.WAITING).exists():
            self.stdout.write("Hand-offs are waiting; none added.")
            return
        schema = get_schema()
        rows, _ = synthetic.generate(schema, len(_CONFIDENCE), seed=seed)
        for number, (row, confidence, reason) in enumerate(zip(rows, _CONFIDENCE, _REASONS, strict=True)):
            heard = {
                name: (str(row[name]), sure)
                for name, sure in confidence.items()
                if name in schema.by_name and row.get(name) is not None
            }
            handoff_create(conversation_ref=f"demo-voice-{seed}-{number}", answers=heard, reason=reason)
        self.stdout.write(f"{len(_CONFIDENCE)} voice hand-offs are waiting for an agent.")
