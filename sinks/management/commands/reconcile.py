from __future__ import annotations

import datetime as dt
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from sinks.reconcile import SinkComparison, reconcile


class Command(BaseCommand):
    help = (
        "Compare the database with DynamoDB and the warehouse and list the differences "
        "(missing, stale, extra); --fix re-sends what is missing or stale through the "
        "outbox and checks again. Exit status 1 when differences remain."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="repair what can be repaired")
        parser.add_argument(
            "--sink",
            action="append",
            choices=list(settings.SINKS) or None,
            help="only this sink (repeatable); default: every sink in SINKS",
        )
        parser.add_argument(
            "--since-hours",
            type=float,
            default=None,
            help="only applications changed in the last N hours (no extras check)",
        )
        parser.add_argument("--limit", type=int, default=20, help="differences listed per sink")

    def handle(self, *args, fix=False, sink=None, since_hours=None, limit=20, **options):
        if not settings.SINKS:
            raise CommandError("no sinks are configured (SINKS is empty): nothing to reconcile")
        since = timezone.now() - dt.timedelta(hours=since_hours) if since_hours else None
        show = sys.stderr.isatty()

        def progress(items, label):
            return tqdm(items, desc=f"reading {label}", unit=" rows", disable=not show, leave=False)

        try:
            report = reconcile(sinks=sink, fix=fix, since=since, progress=progress)
        except Exception as exc:
            raise CommandError(f"reconcile failed: {type(exc).__name__}: {exc}") from exc
        for comparison in report.comparisons:
            self._print(comparison, limit)
        if fix:
            self.stdout.write(f"\nre-sent {report.fixed} record(s) through the outbox; after the fix:")
            for comparison in report.after_fix or []:
                self._print(comparison, limit)
        remaining = report.differences
        if remaining:
            self.stdout.write(self.style.ERROR(f"{len(remaining)} difference(s)"))
            sys.exit(1)
        self.stdout.write(self.style.SUCCESS("0 differences"))

    def _print(self, comparison: SinkComparison, limit: int) -> None:
        counts: dict[str, int] = {}
        for difference in comparison.differences:
            counts[difference.kind] = counts.get(difference.kind, 0) + 1
        summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())) or "no differences"
        self.stdout.write(
            f"{comparison.sink}: expected {comparison.expected}, found {comparison.found}, "
            f"in flight {comparison.in_flight}: {summary}"
        )
        for difference in comparison.differences[:limit]:
            self.stdout.write(f"  {difference.kind:<8} {difference.key}  {difference.detail}")
        if len(comparison.differences) > limit:
            self.stdout.write(f"  ... and {len(comparison.differences) - limit} more")
