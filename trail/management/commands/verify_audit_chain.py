from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from trail.services import trail_seal, trail_verify


class Command(BaseCommand):
    help = "Seal pending audit entries, then prove the hash chain intact (exit 1 if broken)."

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = trail_seal(limit=10_000_000)
        report = trail_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain BROKEN at entry seq={report.first_broken_seq} "
                f"(id={report.first_broken_id}): {report.problem}; "
                f"{report.checked} entries before it are intact"
            )
        self.stdout.write(self.style.SUCCESS(
            f"audit chain intact: {report.checked} entries verified ({sealed} sealed just now)"
        ))
