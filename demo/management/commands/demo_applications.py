from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from applicants.models import Application, Channel
from applicants.schema import get_schema
from applicants.services import application_submit
from demo import synthetic

# Who keys a demo application on each channel (demo users from seed_demo).
_KEYED_BY = {Channel.API: "applicant", Channel.PHONE_AGENT: "agent", Channel.MAIL: "clerk"}


class Command(BaseCommand):
    help = "Submit synthetic demo applications through the ingestion service (DEBUG only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--count", type=int, default=60)
        parser.add_argument("--if-empty", action="store_true", help="only when no application exists yet")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, count: int, if_empty: bool, seed: int, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("demo applications are only created when DEBUG is on")
        if if_empty and Application.objects.exists():
            self.stdout.write("Applications exist; no demo applications added.")
            return
        users = {u.username: u for u in get_user_model().objects.filter(username__in=_KEYED_BY.values())}
        channels = list(_KEYED_BY)
        answers, _ = synthetic.generate(get_schema(), count, seed=seed)
        for i, row in enumerate(answers):
            channel = channels[i % len(channels)]
            actor = users.get(_KEYED_BY[channel])
            application_submit(
                answers=row,
                channel=channel,
                actor=actor,
                applicant_user=actor if channel == Channel.API else None,
                idempotency_key=f"demo-{seed}-{i}",
            )
        self.stdout.write(
            self.style.SUCCESS(f"Submitted {count} demo applications; the worker scores them as it starts.")
        )
