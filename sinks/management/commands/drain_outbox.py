from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from outbox.selectors import outbox_backlog
from outbox.services import sink_topic
from sinks.services import sink_drain


class Command(BaseCommand):
    help = (
        "Deliver what is due in the outbox to each sink now (what the drain task does), and show the backlog."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sink", action="append", help="only this sink (repeatable)")
        parser.add_argument("--seconds", type=float, default=60, help="time budget per sink")

    def handle(self, *args, sink=None, seconds=60, **options):
        sinks = sink or list(settings.SINKS)
        if not sinks:
            raise CommandError("no sinks are configured (SINKS is empty)")
        for name in sinks:
            if name not in settings.SINKS:
                raise CommandError(f"{name!r} is not in SINKS ({', '.join(settings.SINKS)})")
            result = sink_drain(sink_name=name, time_budget=seconds)
            backlog = outbox_backlog(topic=sink_topic(name))
            self.stdout.write(
                f"{name}: delivered {result.delivered}, retrying {result.retrying}, dead {result.dead}; "
                f"now pending {backlog['pending']} (oldest {backlog['oldest_pending_seconds']}s), "
                f"dead letters {backlog['dead']}"
            )
            for error in result.errors:
                self.stdout.write(f"  error: {error}")
