from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from trail.services import trail_seal, trail_verify


class Command(BaseCommand):
    help = (
        "Seal pending audit entries, then prove the chain: every HMAC under its key, the "
        "dates, and every anchor in TRAIL_ANCHOR_URL (exit 1 with what is wrong)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-anchors",
            action="store_true",
            help="skip the anchors (e.g. when their store is unreachable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = trail_seal(limit=10_000_000)
        report = trail_verify(anchors=not options["no_anchors"])
        if not report.ok:
            raise CommandError(f"audit chain BROKEN:\n{report.summary()}")
        legacy = f", {report.legacy} of them sealed before keying" if report.legacy else ""
        if options["no_anchors"]:
            anchors = "anchors not checked"
        elif report.anchors_checked:
            behind = report.checked - (report.last_anchor_seq or 0)
            anchors = (
                f"{report.anchors_checked} anchors in {settings.TRAIL_ANCHOR_URL} match "
                f"(the last at entry {report.last_anchor_seq}; {behind} entries since)"
            )
        else:
            anchors = f"no anchors yet in {settings.TRAIL_ANCHOR_URL}"
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain intact: {report.checked} entries verified{legacy} "
                f"({sealed} sealed just now); {anchors}"
            )
        )
