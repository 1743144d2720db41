from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from trail.services import TrailNotAnchored, trail_anchor


class Command(BaseCommand):
    help = (
        "Seal pending audit entries and write the chain head to TRAIL_ANCHOR_URL now "
        "(beat does it every TRAIL_ANCHOR_SECONDS)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            anchor = trail_anchor()
        except TrailNotAnchored as exc:
            raise CommandError(f"not anchored, the chain does not verify:\n{exc}") from exc
        if anchor is None:
            self.stdout.write("nothing new to anchor")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"anchored entry {anchor.seq} ({anchor.hash[:16]}…, key {anchor.key_id}) "
                f"in {settings.TRAIL_ANCHOR_URL}"
            )
        )
